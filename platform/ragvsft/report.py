"""Figures and verdicts from per-arm summaries (matplotlib only; logging them is the pipeline's job)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ragvsft.ceiling import Curve, CurvePoint
from ragvsft.stats import Estimate

HEADLINE_METRICS = ("token_f1", "exact_match", "answer_recall", "faithfulness", "answer_relevance")
LOWER_IS_BETTER = {"latency_ms_p50", "latency_ms_p95"}


def winners(summaries: Mapping[str, Mapping[str, Estimate | float]], metrics: Sequence[str]) -> dict[str, str]:
    """Best arm per metric (by mean; lower latency wins); ``"tie"`` when every arm has the same value.

    Arms without a value for a metric are skipped.

    Example:
        >>> winners({"a": {"token_f1": Estimate(0.2, 0.1, 0.3, 9)}, "b": {"token_f1": Estimate(0.5, 0.4, 0.6, 9)}},
        ...         ["token_f1"])
        {'token_f1': 'b'}
    """
    out = {}
    for metric in metrics:
        values = {arm: _mean(s.get(metric)) for arm, s in summaries.items()}
        values = {arm: v for arm, v in values.items() if v is not None}
        if len(set(values.values())) > 1:
            pick = min if metric in LOWER_IS_BETTER else max
            out[metric] = pick(values, key=values.__getitem__)
        elif len(values) > 1:
            out[metric] = "tie"
    return out


def _mean(value: Estimate | float | None) -> float | None:
    if isinstance(value, Estimate):
        return value.mean if value.n else None
    return None if value is None or value != value else float(value)


def metric_figure(summaries: Mapping[str, Mapping[str, Estimate | float]], metrics: Sequence[str] = HEADLINE_METRICS) -> Any:
    """One panel per metric: the mean per arm with its 95 % interval as an error bar."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    arms = list(summaries)
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.4), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        ests = [summaries[a].get(metric) for a in arms]
        means = [e.mean if isinstance(e, Estimate) and e.n else 0.0 for e in ests]
        lows = [m - e.low if isinstance(e, Estimate) and e.n else 0.0 for m, e in zip(means, ests)]
        highs = [e.high - m if isinstance(e, Estimate) and e.n else 0.0 for m, e in zip(means, ests)]
        ax.bar(arms, means, yerr=[lows, highs], capsize=4, color="#4c72b0")
        ax.set_title(metric)
        ax.set_ylim(0, 1)
        ax.tick_params(axis="x", rotation=30)
    fig.suptitle("metric by arm (mean, 95% bootstrap CI)")
    fig.tight_layout()
    return fig


def latency_figure(latencies_ms: Mapping[str, Sequence[float]]) -> Any:
    """Distribution of per-answer latency for each arm (box plot, log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.boxplot(list(latencies_ms.values()), tick_labels=list(latencies_ms))
    ax.set_yscale("log")
    ax.set_ylabel("latency per answer (ms)")
    ax.set_title("latency by arm (retrieval + generation)")
    fig.tight_layout()
    return fig


def ceiling_figure(curves: Sequence[Curve], *, metric: str, xlabel: str, title: str,
                   bounds: Mapping[str, CurvePoint] | None = None, x_of: str = "x") -> Any:
    """Curves with their 95 % intervals, each plateau circled, and bounds (e.g. the oracle) as shaded bands.

    ``x_of = "prompt_tokens"`` draws quality against the tokens the prompts held instead of the setting.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for n, curve in enumerate(curves):
        pts = sorted(curve.points, key=lambda p: getattr(p, x_of))
        xs = [getattr(p, x_of) for p in pts]
        means = [p.estimate.mean for p in pts]
        err = [[m - p.estimate.low for m, p in zip(means, pts)], [p.estimate.high - m for m, p in zip(means, pts)]]
        label = curve.arm + (f" ({curve.series})" if curve.series else "")
        line = ax.errorbar(xs, means, yerr=err, marker="o", capsize=4, label=label, color=f"C{n}")
        if curve.plateau is not None:
            ax.plot([getattr(curve.plateau, x_of)], [curve.plateau.estimate.mean], marker="o", markersize=16,
                    markerfacecolor="none", markeredgewidth=2, color=line.lines[0].get_color(),
                    label=f"{label}: plateau at {curve.plateau.x:g}")
    for n, (name, p) in enumerate((bounds or {}).items(), start=len(curves)):
        ax.axhline(p.estimate.mean, linestyle="--", color=f"C{n}", label=f"{name} (bound)")
        ax.axhspan(p.estimate.low, p.estimate.high, color=f"C{n}", alpha=0.12)
    if x_of == "x":  # settings (top_k, examples, shots) are whole numbers
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"{metric} (mean, 95% CI)")
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig

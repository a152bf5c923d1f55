"""Figures and verdicts from per-arm summaries (matplotlib only; logging them is the pipeline's job)."""

from __future__ import annotations

import statistics
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
        values = {arm: mean_of(s.get(metric)) for arm, s in summaries.items()}
        values = {arm: v for arm, v in values.items() if v is not None}
        if len(set(values.values())) > 1:
            pick = min if metric in LOWER_IS_BETTER else max
            out[metric] = pick(values, key=values.__getitem__)
        elif len(values) > 1:
            out[metric] = "tie"
    return out


def mean_of(value: Estimate | float | None) -> float | None:
    """A summary entry's mean: None for an estimate over no answers, a missing value or NaN."""
    if isinstance(value, Estimate):
        return value.mean if value.n else None
    return None if value is None or value != value else float(value)


def metric_figure(summaries: Mapping[str, Mapping[str, Estimate | float]], metrics: Sequence[str] = HEADLINE_METRICS) -> Any:
    """One panel per metric: each arm's mean as a labelled bar with its 95 % interval, ``n`` under the arm's name.

    An arm without a value says "no value" instead of drawing nothing; a zero mean still shows its label.
    """
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    arms = list(summaries)
    cols = min(3, len(metrics))
    rows = -(-len(metrics) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(max(4.2, 0.75 * len(arms) + 1.6) * cols, 3.9 * rows + 0.4),
                             squeeze=False)
    for ax in axes.flat[len(metrics):]:
        ax.set_visible(False)
    for n, (ax, metric) in enumerate(zip(axes.flat, metrics)):
        ests = [summaries[a].get(metric) for a in arms]
        valued = [isinstance(e, Estimate) and e.n > 0 for e in ests]
        means = [e.mean if ok else 0.0 for e, ok in zip(ests, valued)]
        err = [[m - e.low if ok else 0.0 for m, e, ok in zip(means, ests, valued)],
               [e.high - m if ok else 0.0 for m, e, ok in zip(means, ests, valued)]]
        xs = range(len(arms))
        ax.bar(xs, means, yerr=err, capsize=5, color="#4c72b0", ecolor="#333333", width=0.65)
        for x, m, e, ok in zip(xs, means, ests, valued):
            top = e.high if ok else 0.0
            ax.annotate(f"{m:.2f}" if ok else "no value", (x, top), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=9, color="black" if ok else "#999999")
        labels = [f"{a}\nn={e.n}" if ok else a for a, e, ok in zip(arms, ests, valued)]
        ax.set_xticks(list(xs), labels, fontsize=9)
        ax.axhline(0, color="#333333", linewidth=0.8)  # a zero bar sits on a visible floor
        ax.set_title(metric.replace("_", " "), fontsize=11)
        ax.set_ylabel("mean score (0–1)" if n % cols == 0 else "")
        ax.set_ylim(0, 1.12)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("metric by arm: mean with 95% bootstrap interval (n = questions scored)", fontsize=11)
    fig.tight_layout()
    return fig


def latency_figure(latencies_ms: Mapping[str, Sequence[float]]) -> Any:
    """Per-answer latency for each arm: box plot on a log axis with readable ticks, the median written on each box."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    arms = list(latencies_ms)
    data = [[max(float(v), 1e-3) for v in latencies_ms[a]] or [float("nan")] for a in arms]
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(arms) + 2), 4.2))
    ax.boxplot(data, tick_labels=[f"{a}\nn={len(latencies_ms[a])}" for a in arms], whis=1.5)
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    for x, values in enumerate(data, start=1):
        median = statistics.median(values)
        if median == median:  # an arm with no answers has no box
            ax.annotate(f"{median:,.0f} ms", (x + 0.27, median), va="center", fontsize=8)
    ax.set_ylabel("latency per answer (ms, log scale)")
    ax.set_title("latency by arm (retrieval + generation)\nbox: quartiles and median; whiskers: 1.5 × IQR; "
                 "circles: answers beyond", fontsize=10)
    ax.grid(axis="y", alpha=0.3, which="major")
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

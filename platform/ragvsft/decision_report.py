"""The decision report: the verdict, the measured comparison of the arms, the curves — as Markdown and as one
self-contained HTML page (plots embedded), from an evidence file (``ragvsft.results``).

Costs are computed, not assumed: compute seconds per question are the answer's new tokens over the arm's
measured throughput, plus its retrieval time; a machine hour costs ``report.cpu_hour_price`` or
``report.gpu_hour_price``. An endpoint arm (a "foundation model") is priced by its provider, so its cost is
left blank.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragvsft.arms import ARMS
from ragvsft.ceiling import Ceiling, base_point
from ragvsft.results import ExperimentResults, point_label
from ragvsft.stats import Estimate, mean_ci, percentile, too_few_questions
from ragvsft.verdict import Verdict


@dataclass(frozen=True)
class ArmRow:
    """One arm of the comparison table, at the experiment file's own setting."""

    arm: str
    kind: str  # the arm's description, or "foundation model (endpoint)"
    quality: Estimate
    hallucination_rate: float  # 1 - mean faithfulness
    unfaithful_share: float  # share of answers with faithfulness below the threshold
    latency_ms_p50: float
    latency_ms_p95: float
    tokens_per_s: float
    peak_rss_mb: float
    index_mb: float
    adapter_mb: float
    train_s: float
    usd_per_1000: float  # NaN for endpoint arms


def hour_price(settings: Mapping[str, Any], device: str) -> float:
    """USD per hour of the machine that answered: the GPU price on CUDA, else the CPU price."""
    return settings["gpu_hour_price"] if device.startswith("cuda") else settings["cpu_hour_price"]


def comparison(results: ExperimentResults, ceiling: Ceiling, settings: Mapping[str, Any]) -> list[ArmRow]:
    """The comparison architects otherwise make from intuition, every cell measured."""
    point = base_point(results)
    price = hour_price(settings, point.device)
    rows = []
    for arm, records in point.records.items():
        spec = results.arm_specs.get(arm, {})
        endpoint = arm not in ARMS
        faith = [r.scores.get("faithfulness") for r in records]
        faith = [f for f in faith if f is not None]
        speed = point.tokens_per_s.get(arm, 0.0)
        compute_s = np.mean([(r.new_tokens / speed if speed else 0.0) + r.retrieval_ms / 1000 for r in records])
        latencies = [r.latency_ms for r in records]
        uses_index = spec.get("context", "none") != "none"
        rows.append(ArmRow(
            arm, "foundation model (endpoint)" if endpoint else spec.get("description", ""),
            ceiling.at_base[arm].estimate,
            1 - float(np.mean(faith)) if faith else float("nan"),
            float(np.mean([f < settings["faithfulness_threshold"] for f in faith])) if faith else float("nan"),
            percentile(latencies, 50), percentile(latencies, 95), speed, point.peak_rss_mb.get(arm, float("nan")),
            point.index_mb if uses_index else 0.0, point.adapter_mb if spec.get("adapter") else 0.0,
            point.train_s if spec.get("adapter") else 0.0,
            float("nan") if endpoint else float(compute_s) * 1000 / 3600 * price))
    return rows


def _num(value: float, fmt: str = ".2f") -> str:
    return "–" if value != value else format(value, fmt)


def _caution(results: ExperimentResults, alpha: float) -> str:
    """The small-eval-set warning for the verdict's comparisons (arm pairs at one point), if it applies."""
    arms = max((len(p.records) for p in results.points), default=0)
    n = max((len(rs) for p in results.points for rs in p.records.values()), default=0)
    return too_few_questions(n, arms * (arms - 1) // 2, alpha=alpha) if arms > 1 else ""


def render_markdown(results: ExperimentResults, ceiling: Ceiling, verdict: Verdict, rows: list[ArmRow],
                    figures: Mapping[str, str], settings: Mapping[str, Any]) -> str:
    """The report as Markdown; ``figures`` maps a caption to a PNG file name beside the report."""
    m = ceiling.metric
    device = results.points[0].device if results.points else "cpu"
    price = hour_price(settings, device)
    lines = [
        f"# {results.experiment}: RAG or fine-tuning? — decision report",
        "",
        f"Corpus `{results.corpus}`; {results.kind} with {len(results.points)} point(s)"
        + (f" over {', '.join(f'`{a}`' for a in results.axes)}" if results.axes else "")
        + f"; quality metric `{m}`; MLflow run `{results.run_id}`.",
        "",
        f"## Verdict: {verdict.advice}",
        "",
        verdict.evidence,
        "",
        f"(rule `{verdict.rule}`; the rules are listed in `ragvsft.verdict` and the README.)",
        "",
        *([f"**Caution:** {caution}.", ""] if (caution := _caution(results, settings["alpha"])) else []),
        f"## The arms, measured (at the experiment file's settings, on {device})",
        "",
        f"| arm | what it is | {m} [95% CI] | hallucination rate | answers below faithfulness "
        f"{settings['faithfulness_threshold']} | p50 ms | p95 ms | tokens/s | peak RSS MB | index MB | adapter MB "
        f"| training s | USD / 1,000 questions |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.arm} | {r.kind} | {_num(r.quality.mean, '.3f')} [{_num(r.quality.low)}, {_num(r.quality.high)}] "
            f"| {_num(r.hallucination_rate)} | {_num(r.unfaithful_share)} | {_num(r.latency_ms_p50, '.0f')} "
            f"| {_num(r.latency_ms_p95, '.0f')} | {_num(r.tokens_per_s, '.1f')} | {_num(r.peak_rss_mb, '.0f')} "
            f"| {_num(r.index_mb, '.1f')} | {_num(r.adapter_mb, '.1f')} | {_num(r.train_s, '.0f')} "
            f"| {_num(r.usd_per_1000, '.4f')} |")
    lines += ["", f"Hallucination rate is 1 − mean `faithfulness`. Cost: compute seconds per answer (new tokens ÷ "
                  f"measured tokens/s + retrieval) at {price} USD per machine hour; training is paid once."]
    if ceiling.curves:
        lines += ["", "## Curves and plateaus", "",
                  f"A plateau is the smallest setting whose paired difference in `{m}` to the curve's best setting "
                  f"is not significant (Holm-adjusted p ≥ {settings['alpha']}).", "",
                  "| curve | points (x: mean) | best | plateau |", "|---|---|---|---|"]
        for name, c in ceiling.curves.items():
            pts = ", ".join(f"{p.x:g}: {p.estimate.mean:.3f}" for p in c.points)
            lines.append(f"| {name} ({c.axis}) | {pts} | {c.best.x:g} ({c.best.estimate}) | "
                         f"{c.plateau.x:g} ({c.plateau.estimate}) |" if c.best and c.plateau else f"| {name} | {pts} | – | – |")
    for caption, file in figures.items():
        lines += ["", f"![{caption}]({file})"]
    if len(results.points) > 1:
        arms = list(dict.fromkeys(a for p in results.points for a in p.records))
        lines += ["", f"## Every point: mean `{m}` per arm", "", "| point | " + " | ".join(arms) + " |",
                  "|---" * (len(arms) + 1) + "|"]
        for p in results.points:
            cells = [_num(mean_ci([r.scores.get(m) for r in p.records[a]]).mean, ".3f") if a in p.records else "–"
                     for a in arms]
            lines.append(f"| {point_label(p.values)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def render_html(markdown_text: str, folder: Path) -> str:
    """One self-contained page: the Markdown rendered, every PNG it references embedded as a data URI."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown_text)
    for png in sorted(folder.glob("*.png")):
        data = base64.b64encode(png.read_bytes()).decode()
        body = body.replace(f'src="{png.name}"', f'src="data:image/png;base64,{data}"')
    title = html.escape(markdown_text.splitlines()[0].lstrip("# "))
    style = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;"
             "text-align:right}td:first-child,td:nth-child(2){text-align:left}img{max-width:100%}")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title><style>{style}</style>"
            f"</head><body>{body}</body></html>\n")

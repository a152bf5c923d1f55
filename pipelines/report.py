"""Report recipe: the ceiling analysis and the decision report from an experiment's evidence file.

    ragvsft report experiments/demo.toml

`run` and `sweep` call ``write`` at their end; this command renders it again from
``<output_dir>/report/results.json`` without recomputing anything (e.g. after changing ``[report]`` prices).
Writes ``report.md``, a self-contained ``report.html`` and the plots to ``<output_dir>/report/``, logs them and
the ``ceiling/...`` metrics to the run or sweep's MLflow parent run, and prints the verdict.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from ragvsft import tracking
from ragvsft.ceiling import Ceiling, analyse
from ragvsft.config import ExperimentConfig, ReportConfig
from ragvsft.decision_report import comparison, render_html, render_markdown
from ragvsft.errors import RagvsftError
from ragvsft.report import ceiling_figure, metric_figure
from ragvsft.results import ExperimentResults
from ragvsft.verdict import decide


def main(config: ExperimentConfig, console: Console) -> Path:
    folder = config.output_dir / "report"
    results = ExperimentResults.load(folder / "results.json")
    # The [report] table is read from the experiment file now: prices and thresholds may have changed.
    results = dataclasses.replace(results, settings=dataclasses.asdict(config.report))
    try:
        logger: tracking.RunLogger | None = tracking.existing_run(tracking.tracking_uri(), results.run_id)
    except RagvsftError as exc:  # the files are still worth having
        console.print(f"[yellow]warning:[/] the report is not logged to MLflow: {escape(str(exc))}")
        logger = None
    return write(results, folder, console, logger=logger)


def write(results: ExperimentResults, folder: Path, console: Console, *,
          logger: tracking.RunLogger | None = None) -> Path:
    """Analyse, render, save under ``folder`` and log to ``logger``'s run; returns the Markdown report's path."""
    settings = results.settings
    metric = settings["metric"]
    ceiling = analyse(results, metric, alpha=settings["alpha"])
    verdict = decide(results, ceiling, alpha=settings["alpha"],
                     match_margin=settings.get("match_margin", ReportConfig.match_margin))  # older results lack it
    rows = comparison(results, ceiling, settings)
    folder.mkdir(parents=True, exist_ok=True)
    figures = _figures(ceiling, folder)
    markdown = render_markdown(results, ceiling, verdict, rows, figures, settings)
    (folder / "report.md").write_text(markdown, encoding="utf-8")
    (folder / "report.html").write_text(render_html(markdown, folder), encoding="utf-8")
    if logger is not None:
        logger.log_artifacts(folder, "report")
        logger.log_metrics(ceiling_metrics(ceiling))
        for name, curve in ceiling.curves.items():  # steps: MLflow draws each curve against its setting
            for p in curve.points:
                logger.log_metrics({f"ceiling/{name}/{metric}": p.estimate.mean}, step=int(p.x))
        logger.set_tags({"ragvsft.verdict": verdict.rule})
        logger.describe(f"**Verdict: {verdict.advice}** {verdict.evidence}\n\n"
                        f"Decision report: [report.html]({logger.artifact_link('report/report.html')})")
    console.print(f"\n[bold]verdict:[/] {verdict.advice}\n{verdict.evidence}", highlight=False)
    console.print(f"report: {folder / 'report.html'} (and report.md)")
    return folder / "report.md"


def ceiling_metrics(ceiling: Ceiling) -> dict[str, float]:
    """``ceiling/<curve>/plateau_x`` and friends, and every arm's value at the experiment file's setting."""
    m = ceiling.metric
    out = {f"ceiling/at_base/{arm}/{m}": p.estimate.mean for arm, p in ceiling.at_base.items() if p.estimate.n}
    for name, c in ceiling.curves.items():
        if c.plateau and c.best:
            out |= {f"ceiling/{name}/plateau_x": c.plateau.x, f"ceiling/{name}/plateau_{m}": c.plateau.estimate.mean,
                    f"ceiling/{name}/plateau_{m}_ci_low": c.plateau.estimate.low,
                    f"ceiling/{name}/plateau_{m}_ci_high": c.plateau.estimate.high,
                    f"ceiling/{name}/best_x": c.best.x, f"ceiling/{name}/best_{m}": c.best.estimate.mean}
    if "oracle" in ceiling.at_base and ceiling.rag is not None:
        out["ceiling/retrieval_loss"] = ceiling.at_base["oracle"].estimate.mean - ceiling.rag.estimate.mean
    return {k: v for k, v in out.items() if v == v}


def _figures(ceiling: Ceiling, folder: Path) -> dict[str, str]:
    """Render every plot the analysis allows into ``folder``; caption -> file name."""
    import matplotlib.pyplot as plt

    m, curves, at = ceiling.metric, ceiling.curves, ceiling.at_base
    bounds = {a: at[a] for a in ("oracle", "oracle_finetuned") if a in at}
    plots = {}
    top_k = [curves[k] for k in ("rag_top_k", "hybrid_top_k") if k in curves]
    if top_k:
        plots["rag_top_k.png"] = ("Quality against passages retrieved (top_k = 0 is the base model)",
                                  ceiling_figure(top_k, metric=m, xlabel="passages in the prompt (top_k)",
                                                 title="RAG curve: where more passages stop helping", bounds=bounds))
        plots["rag_tokens.png"] = ("Quality against prompt length",
                                   ceiling_figure(top_k, metric=m, xlabel="mean prompt length (tokens)", x_of="prompt_tokens",
                                                  title="Quality against context tokens", bounds=bounds))
    shots = [c for k, c in curves.items() if k.endswith("_few_shot")]
    if shots:
        plots["few_shot.png"] = ("Quality against worked examples in the prompt",
                                 ceiling_figure(shots, metric=m, xlabel="worked examples in the prompt (few_shot)",
                                                title="Few-shot curve"))
    examples = [c for k, c in curves.items() if "_examples" in k]
    if examples:
        plots["finetune_examples.png"] = ("Quality against training questions",
                                          ceiling_figure(examples, metric=m, xlabel="training questions (count)",
                                                         title="Fine-tuning curve, per recipe", bounds=bounds))
    plots["arms.png"] = ("Every arm at the experiment file's settings",
                         metric_figure({a: {m: p.estimate} for a, p in at.items()}, metrics=[m]))
    out = {}
    for file, (caption, fig) in plots.items():
        fig.savefig(folder / file, dpi=110)
        plt.close(fig)
        out[caption] = file
    return out

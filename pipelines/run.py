"""Run recipe — the product's main job:

    ragvsft run experiments/demo.toml

1. validate config, corpus and model before anything expensive;
2. build the index and fine-tune the adapter at the same time, in two processes;
3. put the same eval questions through every arm and score them;
4. log it all under one MLflow parent run, register index and adapter (and the pair, as a release) as
   `challenger` versions, and print arms x metrics with the winner per metric.
"""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragvsft import review, tracking
from ragvsft.builders import corpus_state
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import qa_where
from ragvsft.evaluation import compare_arms, eval_questions, flatten_summary
from ragvsft.fewshot import examples_of
from ragvsft.pipelines import evaluate, report
from ragvsft.pipelines.common import checked_corpus
from ragvsft.pipelines.parallel import run_in_parallel
from ragvsft.preflight import adapter_arms
from ragvsft.releases import annotate, answering_params, register_pair
from ragvsft.report import HEADLINE_METRICS, latency_figure, metric_figure, winners
from ragvsft.results import ExperimentResults
from ragvsft.stats import Estimate, PairedTest, format_p, too_few_questions

TABLE_METRICS = (*HEADLINE_METRICS, "semantic_similarity", "context_recall_at_k", "context_precision_at_k")
PAIRED_METRICS = ("token_f1", "answer_recall", "faithfulness")  # in the console; MLflow gets every metric


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def main(config: ExperimentConfig, console: Console) -> list[evaluate.ArmResult]:
    corpus = checked_corpus(config, console)
    uri = tracking.tracking_uri()
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name),
        name=tracking.run_title(f"run-{config.name}", corpus.name, config.model.base_model),
        description=f"RAG vs LoRA on {corpus.name}: arms {', '.join(config.evaluate.arms)}; "
                    f"base {config.model.base_model}, recipe {config.finetune.recipe}",
        tags={"ragvsft.pipeline": "run", "ragvsft.experiment": config.name,
              "mlflow.source.git.commit": _git_commit(), "ragvsft.docs_sha256": corpus.docs.sha256},
    ) as logged:
        # 1. What this run is: config, corpus hashes, the questions of each split.
        logged.log_params(answering_params(config) | {"docs_sha256": corpus.docs.sha256,
                                                      "qa_sha256": corpus.qa_sha256})
        for split in ("train", "eval"):
            rows = [{"id": q.id, "question": q.question, "gold_answer": q.answer, "sources": ", ".join(q.sources),
                     "tags": ", ".join(q.tags)} for q in corpus.split(split)]
            logged.log_dataset(rows, name=f"{corpus.name}-{split}", source=qa_where(config.corpus),
                               digest=corpus.qa_sha256, context="training" if split == "train" else "evaluation")
        logged.log_dict(corpus.split_record(), "corpus/split.json")

        # 2. Index and adapter at the same time (no adapter when no arm uses one).
        recipes = ("index", "finetune") if adapter_arms(config) else ("index",)
        console.print("building the index and fine-tuning in parallel …" if len(recipes) == 2 else
                      "building the index (no arm uses an adapter, so nothing is fine-tuned) …")
        children = run_in_parallel(config, logged.run_id, console, recipes)
        idx, ft = children["index"], children.get("finetune")
        console.print(f"index: {idx['chunks']} chunks ({'reused' if idx['reused'] else 'built'})"
                      + (f" — adapter: {ft['adapter_dir']}" if ft else ""))

        # 3. Every arm on the same questions.
        #    The index is the version this run built, never whatever CURRENT names by now: another run on the same
        #    output folder may have published its own in the meantime.
        results = evaluate.main(config, console, corpus, adapter_dir=Path(ft["adapter_dir"]) if ft else None,
                                parent_run_id=logged.run_id, index_dir=Path(idx["path"]))

        # 4. The report: figures, paired comparisons, winners; the parent carries the headline numbers per arm and
        #    the tables a reviewer reads first (the full numbers stay in report/summary.json).
        summaries = {r.arm.name: r.summary for r in results}
        best = winners(summaries, (*TABLE_METRICS, "latency_ms_p50"))
        logged.log_figure(metric_figure(summaries), "report/metrics_by_arm.png")
        logged.log_figure(latency_figure({r.arm.name: [x.latency_ms for x in r.records] for r in results}),
                          "report/latency_by_arm.png")
        paired = compare_arms({r.arm.name: r.records for r in results},
                              sorted({k for r in results for x in r.records for k in x.scores}), seed=config.seed)
        logged.log_metrics(review.headline_metrics(summaries))
        logged.log_table(review.arms_table(summaries, (*TABLE_METRICS, "latency_ms_p50", "latency_ms_p95")),
                         "report/arms.json")
        logged.log_table(review.paired_table(paired), "report/paired.json")
        logged.log_dict({"winners": best, "arms": {a: flatten_summary(s) for a, s in summaries.items()},
                         "arm_specs": {r.arm.name: dataclasses.asdict(r.arm.spec) for r in results},
                         "paired": {f"{a} vs {b}": {m: dataclasses.asdict(t) for m, t in tests.items()}
                                    for (a, b), tests in paired.items()}},
                        "report/summary.json")
        logged.log_params({f"winner.{m}": arm for m, arm in best.items()})
        if not any(r.slices for r in results):
            logged.set_tags({"ragvsft.slices": "none: no eval question has tags, so no per-tag breakdown"})

        # 5. The evidence file and the decision report (`ragvsft report` renders it again).
        evidence = ExperimentResults(
            experiment=config.name, corpus=corpus.name, kind="run", run_id=logged.run_id, axes=(), base_values={},
            arm_specs={r.arm.name: dataclasses.asdict(r.arm.spec) for r in results},
            settings=dataclasses.asdict(config.report),
            points=[evaluate.point_result({}, results, index_dir=Path(idx["path"]),
                                          adapter_dir=Path(ft["adapter_dir"]) if ft else None,
                                          train_examples=ft["train_questions"] if ft else 0,
                                          device=config.model.device)])
        evidence.save(config.output_dir / "report" / "results.json")
        print_summary(console, results, best, paired)
        report.write(evidence, config.output_dir / "report", console, logger=logged)

        # 6. Register index and adapter as new `challenger` versions — only after a complete evaluation: a trial
        #    on a subset of the questions measures too little to stand for a version.
        evaluated, eval_split = len(eval_questions(corpus, config.evaluate.max_questions)), len(corpus.split("eval"))
        if evaluated == eval_split:
            release = register_pair(uri, corpus.name, idx, ft, state=corpus_state(config, corpus),
                                    examples=examples_of(corpus.split("train")), logger=logged)
            annotate(uri, corpus.name, release, evaluate.evaluation_of(logged.run_id, config, corpus, results))
    if evaluated < eval_split:
        console.print(f"\n[yellow]evaluate.max_questions={config.evaluate.max_questions}: a trial on {evaluated} "
                      f"of {eval_split} eval questions — runs logged, nothing registered[/]")
    if not any(r.slices for r in results):
        console.print("no per-tag breakdown: no eval question has tags (the `tags` field of the question file)")
    view = review.open_room(uri, corpus.name, config.corpus, logged.run_id, review.comparison_view(
        logged.run_id, pipeline="evaluate", group_tag="ragvsft.arm", metrics=list(review.HEADLINE),
        params=["generator", "questions"]), "arms side by side")
    console.print(f"\nopen the runs: {tracking.ui_command(uri)}, then\n  the arms side by side: "
                  f"{tracking.ui_base(uri)}/{view}\n  this run: "
                  f"{tracking.run_url(uri, tracking.experiment_id(uri, tracking.experiment_name(corpus.name)), logged.run_id)}",
                  highlight=False, soft_wrap=True)
    return results


SHORT_NAMES = {"token_f1": "F1", "exact_match": "EM", "answer_recall": "ans recall", "faithfulness": "faithful",
               "answer_relevance": "relevance", "semantic_similarity": "sem sim", "context_recall_at_k": "ctx rec@k",
               "context_precision_at_k": "ctx prec@k", "latency_ms_p50": "p50 ms", "latency_ms_p95": "p95 ms",
               "tokens_per_s": "tok/s"}


def _cell(value: Estimate | float | None, win: bool) -> str:
    """``0.271±0.19`` (mean ± half the 95 % interval) for estimates; plain numbers otherwise."""
    if isinstance(value, Estimate):
        text = "–" if not value.n else f"{value.mean:.3f}±{(value.high - value.low) / 2:.2f}"
    else:
        text = "–" if value is None or value != value else f"{value:,.0f}"
    return f"[bold green]{text}[/]" if win else text


def print_summary(console: Console, results: list[evaluate.ArmResult], best: dict[str, str],
                  paired: dict[tuple[str, str], dict[str, PairedTest]]) -> None:
    columns = (*TABLE_METRICS, "latency_ms_p50", "latency_ms_p95", "tokens_per_s")
    table = Table(title="arms x metrics: mean ± half the 95% bootstrap CI; best in green")
    table.add_column("arm")
    for column in columns:
        table.add_column(SHORT_NAMES[column], justify="right")
    for r in results:
        table.add_row(r.arm.name, *(_cell(r.summary.get(c), best.get(c) == r.arm.name) for c in columns))
    console.print(table)
    console.print("; ".join(f"{r.arm.name}: {r.arm.spec.description}" for r in results), highlight=False)
    tags = sorted({t for r in results for t in r.slices})
    if tags:
        sliced = Table(title="F1 by question tag (mean ± half CI; best in green): where each arm wins")
        sliced.add_column("tag")
        for r in results:
            sliced.add_column(r.arm.name, justify="right")
        for tag in tags:
            f1 = {r.arm.name: r.slices.get(tag, {}).get("token_f1") for r in results}
            top = winners({arm: {"token_f1": e} for arm, e in f1.items() if e}, ["token_f1"]).get("token_f1")
            n = max((e.n for e in f1.values() if e), default=0)
            sliced.add_row(f"{escape(tag)} ({n})", *(_cell(e, arm == top) for arm, e in f1.items()))
        console.print(sliced)
    console.print("best per metric: " + ", ".join(f"{SHORT_NAMES[m]} {arm}" for m, arm in best.items()))
    if paired:
        n = max((t.n for tests in paired.values() for t in tests.values()), default=0)
        if warning := too_few_questions(n, len(paired)):
            console.print(f"\n[yellow]warning:[/] {warning}", highlight=False)
        console.print("\npaired comparisons on the same questions (difference [95% paired bootstrap CI], "
                      "permutation p Holm-adjusted over the arm pairs):")
        for (a, b), tests in paired.items():
            parts = [f"{t.diff:+.3f} {m} [{t.low:+.3f}, {t.high:+.3f}], {format_p(t.p)}"
                     for m in PAIRED_METRICS if (t := tests.get(m))]
            if parts:
                console.print(escape(f"  {a} vs {b}: " + "; ".join(parts)), highlight=False)

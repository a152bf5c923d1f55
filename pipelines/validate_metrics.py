"""Validate-metrics recipe: can the faithfulness scorers tell supported answers from unsupported ones?

    ragvsft validate-metrics experiments/demo.toml [--judge] [--max-questions 40]

1. build a labelled set from the eval questions: gold answers and evidence
   sentences (supported); swapped numbers and names, invented details, other
   questions' answers (unsupported) — see ``ragvsft/metrics/labelled_set.py``;
2. score it with every faithfulness scorer (and the LLM judge when asked),
   twice, to time them and check they are deterministic;
3. report AUROC overall and per kind of unsupported answer, and how the
   correctness metrics correlate with the labels;
4. log it all to one MLflow run and print a table plus the worst misses.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragvsft import tracking
from ragvsft.builders import build_embedder, build_judge
from ragvsft.config import ExperimentConfig
from ragvsft.errors import RagvsftError
from ragvsft.metrics import build_metrics
from ragvsft.metrics.labelled_set import LabelledAnswer, build_labelled_set
from ragvsft.metrics.validation import ScorerReport, validate
from ragvsft.pipelines.common import load_experiment_corpus, step_progress

FAITHFULNESS_SCORERS = ("faithfulness", "faithfulness_token_support")
CORRECTNESS_METRICS = ("token_f1", "answer_recall", "semantic_similarity")
AUROC_GOAL = 0.85
KIND_LABELS = {"swapped_number": "number", "swapped_name": "name", "fabricated_detail": "invented",
               "other_answer": "other ans", "sentence_wrong_fact": "wrong fact"}


@dataclass(frozen=True)
class Validation:
    run_id: str
    labelled: list[LabelledAnswer]
    reports: list[ScorerReport]


def main(config: ExperimentConfig, console: Console, *, judge: bool = False, max_questions: int = 0,
         repeat: bool = True) -> Validation:
    corpus = load_experiment_corpus(config, console)
    questions = list(corpus.split("eval"))[: max_questions or None]
    labelled = build_labelled_set(questions, {d.id: d.text for d in corpus.documents}, seed=config.seed)
    if not labelled:
        raise RagvsftError(f"{config.corpus / 'qa.jsonl'}: no eval question names its source documents "
                           "(\"sources\"), so there is no evidence to label answers against")
    supported = sum(a.supported for a in labelled)
    console.print(f"labelled set: {len(labelled)} answers to {len({a.qa_id for a in labelled})} questions "
                  f"({supported} supported, {len(labelled) - supported} unsupported)")

    names = [*FAITHFULNESS_SCORERS, *(["faithfulness_judge"] if judge else []), *CORRECTNESS_METRICS]
    judge_model = build_judge(config.evaluate.judge, config.model, environ=os.environ) if judge else None
    metrics = build_metrics(names, embedder=build_embedder(config.index), judge=judge_model)
    reports = []
    for metric in metrics:
        with step_progress(console, f"validate: {metric.name}") as step:
            reports.append(validate(metric, labelled, repeat=repeat, on_progress=step))

    uri = tracking.tracking_uri()
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name), name=f"validate-metrics-{config.name}",
        description=f"faithfulness scorers on a labelled set of {len(labelled)} answers built from {corpus.name}",
        tags={"ragvsft.pipeline": "validate-metrics", "ragvsft.experiment": config.name},
    ) as logged:
        logged.log_params({"corpus": str(config.corpus), "seed": config.seed, "questions": len(questions),
                             "answers": len(labelled), "supported": supported, "embedder": config.index.embedder,
                             "judge": judge_model.identity if judge_model else "none"})
        logged.log_metrics(_flat(reports))
        logged.log_table(_rows(labelled, reports), "validation/labelled_set.json")
        logged.log_dict({r.name: {k: v for k, v in dataclasses.asdict(r).items() if k != "scores"} for r in reports},
                          "validation/summary.json")
    print_report(console, labelled, reports)
    console.print(f"\nlogged run {logged.run_id}; view it with: {tracking.ui_command(uri)}")
    return Validation(logged.run_id, labelled, reports)


def _flat(reports: Sequence[ScorerReport]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in reports:
        out |= {f"auroc/{r.name}": r.auroc, f"correlation/{r.name}": r.correlation,
                f"seconds_per_1000/{r.name}": r.seconds_per_1000, f"unscored/{r.name}": float(r.unscored)}
        out |= {f"auroc/{r.name}/{kind}": v for kind, v in r.auroc_by_kind.items()}
        if r.parse_failures is not None:
            out[f"parse_failures/{r.name}"] = float(r.parse_failures)
        if r.deterministic is not None:
            out[f"deterministic/{r.name}"] = float(r.deterministic)
    return {k: v for k, v in out.items() if v == v}  # NaN (undefined AUROC) left out


def _rows(labelled: Sequence[LabelledAnswer], reports: Sequence[ScorerReport]) -> list[dict]:
    return [{"id": a.qa_id, "kind": a.kind, "supported": a.supported, "question": a.question, "gold_answer": a.gold_answer,
             "answer": a.answer, **{r.name: r.scores[i] for r in reports}} for i, a in enumerate(labelled)]


def print_report(console: Console, labelled: Sequence[LabelledAnswer], reports: Sequence[ScorerReport]) -> None:
    kinds = sorted({k for r in reports for k in r.auroc_by_kind})
    table = Table(title=f"AUROC: supported vs unsupported answers (goal for the default scorer: >= {AUROC_GOAL})")
    table.add_column("scorer", no_wrap=True)
    for column in ("AUROC", *(KIND_LABELS.get(k, k) for k in kinds), "corr", "s/1000", "unscored", "parse fail",
                   "same twice"):
        table.add_column(column, justify="right")
    for r in reports:
        table.add_row(r.name, f"{r.auroc:.3f}", *(f"{r.auroc_by_kind[k]:.3f}" for k in kinds), f"{r.correlation:.3f}",
                      f"{r.seconds_per_1000:.2f}", str(r.unscored),
                      "–" if r.parse_failures is None else str(r.parse_failures),
                      "–" if r.deterministic is None else ("yes" if r.deterministic else "[red]no[/]"))
    console.print(table)
    console.print("per-kind columns: AUROC of supported answers against one kind of unsupported answer; "
                  "corr: correlation with the labels; s/1000: seconds to score 1,000 answers here")
    default = next(r for r in reports if r.name == "faithfulness")
    verdict = "[green]meets[/]" if default.auroc >= AUROC_GOAL else "[red]misses[/]"
    console.print(f"default faithfulness scorer: AUROC {default.auroc:.3f}, {verdict} the {AUROC_GOAL} goal")
    # Where it fails: unsupported answers it fully believes, supported ones it doubts.
    values = [v or 0.0 for v in default.scores]
    ranked = sorted(range(len(labelled)), key=values.__getitem__)
    misses = ([i for i in reversed(ranked) if not labelled[i].supported and values[i] >= 1.0][:5]
              + [i for i in ranked if labelled[i].supported and values[i] < 1.0][:5])
    believed = Counter(a.kind for a, v in zip(labelled, values) if not a.supported and v >= 1.0)
    if believed:
        console.print("unsupported answers it scores 1.0: " + ", ".join(f"{n} {k}" for k, n in believed.most_common()))
    if misses:
        console.print("where the default scorer fails (score, kind, gold -> answer):")
    for i in misses:
        a = labelled[i]
        console.print(f"    {values[i]:.2f} {a.kind:<20} {escape(a.gold_answer[:40])!r} -> "
                      f"{escape(a.answer[:90])!r}", highlight=False)

"""Validate-metrics recipe: can the faithfulness scorers tell supported answers from unsupported ones?

    ragvsft validate-metrics experiments/demo.toml [--judge] [--max-questions 40] [--labelled judged.jsonl]

1. take a labelled set: built from the eval questions (gold answers, evidence
   sentences, restatements and rewordings: supported; swapped numbers and names,
   invented details, other answers, restatements with one detail wrong, true
   sentences from other documents: unsupported — see
   ``ragvsft/metrics/labelled_set.py``), or a team's own judged answers
   (``--labelled``, see ``ragvsft/metrics/labelled_file.py``);
2. score it with every faithfulness scorer (and the LLM judge when asked),
   twice, to time them and check they are deterministic;
3. report AUROC with its bootstrap interval, per kind of answer, and over pairs
   of answers of similar length (a scorer that measures length is exposed
   there), and how the correctness metrics correlate with the labels (built-in
   set only: a judged file has no gold answers);
4. log it all to one MLflow run and print a table plus the worst misses.
"""

from __future__ import annotations

import dataclasses
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragvsft import tracking
from ragvsft.builders import build_embedder, build_judge
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import corpus_name, qa_where
from ragvsft.errors import RagvsftError
from ragvsft.hashing import sha256_file
from ragvsft.metrics import METRICS, build_metrics
from ragvsft.metrics.labelled_file import read_labelled
from ragvsft.metrics.labelled_set import LabelledAnswer, build_labelled_set
from ragvsft.metrics.validation import ScorerReport, validate
from ragvsft.pipelines.common import load_experiment_corpus, step_progress

FAITHFULNESS_SCORERS = ("faithfulness", "faithfulness_token_support")
CORRECTNESS_METRICS = ("token_f1", "answer_recall", "semantic_similarity")
AUROC_GOAL = 0.85


@dataclass(frozen=True)
class Validation:
    run_id: str
    labelled: list[LabelledAnswer]
    reports: list[ScorerReport]


def main(config: ExperimentConfig, console: Console, *, judge: bool = False, max_questions: int = 0,
         repeat: bool = True, labelled_file: Path | None = None) -> Validation:
    if labelled_file is not None:
        labelled = read_labelled(labelled_file)
        name, source = corpus_name(config.corpus), f"{labelled_file}, sha256 {sha256_file(labelled_file)[:12]}"
        questions = len({a.qa_id for a in labelled})
    else:
        corpus = load_experiment_corpus(config, console)
        eval_split = list(corpus.split("eval"))[: max_questions or None]
        labelled = build_labelled_set(eval_split, {d.id: d.text for d in corpus.documents}, seed=config.seed)
        if not labelled:
            raise RagvsftError(f"{qa_where(config.corpus)}: no eval question names its source documents "
                               "(\"sources\"), so there is no evidence to label answers against")
        name, source, questions = corpus.name, f"built from {corpus.name}", len(eval_split)
    supported = sum(a.supported for a in labelled)
    console.print(f"labelled set ({source}): {len(labelled)} answers to {len({a.qa_id for a in labelled})} "
                  f"questions ({supported} supported, {len(labelled) - supported} unsupported)")

    # A judged file has no gold answers: the correctness metrics have nothing to compare with.
    names = [*FAITHFULNESS_SCORERS, *(["faithfulness_judge"] if judge else []),
             *(CORRECTNESS_METRICS if labelled_file is None else ())]
    judge_model = build_judge(config.evaluate.judge, config.model, environ=os.environ) if judge else None
    # The embedder is loaded only for a metric that needs one (not for a judged file's faithfulness scorers).
    needs_embedder = any("embedder" in getattr(METRICS[n], "requires", ()) for n in names)
    metrics = build_metrics(names, embedder=build_embedder(config.index, measuring=True) if needs_embedder else None,
                            judge=judge_model)
    reports = []
    for metric in metrics:
        with step_progress(console, f"validate: {metric.name}") as step:
            reports.append(validate(metric, labelled, repeat=repeat, on_progress=step))

    uri = tracking.tracking_uri()
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(name), name=f"validate-metrics-{config.name}",
        description=f"faithfulness scorers on a labelled set of {len(labelled)} answers, {source}",
        tags={"ragvsft.pipeline": "validate-metrics", "ragvsft.experiment": config.name},
    ) as logged:
        logged.log_params({"corpus": str(config.corpus), "labelled": source, "seed": config.seed, "questions": questions,
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
        out |= {f"auroc/{r.name}": r.auroc, f"auroc_low/{r.name}": r.interval[0], f"auroc_high/{r.name}": r.interval[1],
                f"auroc_length_matched/{r.name}": r.length_matched, f"correlation/{r.name}": r.correlation,
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
    table = Table(title=f"AUROC: supported vs unsupported answers (goal for the default scorer: >= {AUROC_GOAL})")
    for column in ("scorer", "AUROC [95% CI]", "length-matched", "corr", "s/1000", "unscored", "parse fail",
                   "same twice"):
        table.add_column(column, justify="left" if column == "scorer" else "right", no_wrap=column == "scorer")
    pairs = reports[0].length_matched_pairs if reports else 0
    for r in reports:
        table.add_row(r.name, f"{r.auroc:.3f} [{r.interval[0]:.3f}, {r.interval[1]:.3f}]",
                      f"{r.length_matched:.3f}" if r.length_matched_pairs else "–",
                      f"{r.correlation:.3f}", f"{r.seconds_per_1000:.2f}", str(r.unscored),
                      "–" if r.parse_failures is None else str(r.parse_failures),
                      "–" if r.deterministic is None else ("yes" if r.deterministic else "[red]no[/]"))
    console.print(table)
    console.print(f"length-matched: AUROC over the {pairs} supported/unsupported pairs whose answers differ by at most "
                  "2 words or 25 %: a scorer that measures length is near 0.5 there; corr: correlation with the "
                  "labels; s/1000: seconds to score 1,000 answers here")
    counts = Counter((a.kind, a.supported) for a in labelled)
    kinds = Table(title="AUROC per kind: the kind's answers against every answer of the other label")
    kinds.add_column("kind", no_wrap=True)
    kinds.add_column("label")
    kinds.add_column("n", justify="right")
    for r in reports:
        kinds.add_column(r.name, justify="right")
    for kind in sorted({a.kind for a in labelled}, key=lambda k: (not counts[k, True], k)):
        label = "/".join(name for flag, name in ((True, "supported"), (False, "unsupported")) if counts[kind, flag])
        kinds.add_row(kind, label, str(counts[kind, True] + counts[kind, False]),
                      *(f"{r.auroc_by_kind[kind]:.3f}" for r in reports))
    console.print(kinds)
    default = next(r for r in reports if r.name == "faithfulness")
    verdict = "[green]meets[/]" if default.auroc >= AUROC_GOAL else "[red]misses[/]"
    console.print(f"default faithfulness scorer: AUROC {default.auroc:.3f}, {verdict} the {AUROC_GOAL} goal")
    if judge := next((r for r in reports if r.name == "faithfulness_judge"), None):
        console.print(escape(judge_advice(judge, default)))
    # Where it fails: unsupported answers it fully believes, supported ones it doubts.
    values = [v or 0.0 for v in default.scores]
    ranked = sorted(range(len(labelled)), key=values.__getitem__)
    misses = ([i for i in reversed(ranked) if not labelled[i].supported and values[i] >= 1.0][:5]
              + [i for i in ranked if labelled[i].supported and values[i] < 1.0][:5])
    believed = Counter(a.kind for a, v in zip(labelled, values) if not a.supported and v >= 1.0)
    if believed:
        console.print("unsupported answers it scores 1.0: " + ", ".join(f"{n} {k}" for k, n in believed.most_common()))
    if misses:
        console.print("where the default scorer fails (score, kind, gold answer or question -> answer):")
    for i in misses:
        a = labelled[i]
        console.print(f"    {values[i]:.2f} {a.kind:<20} {escape((a.gold_answer or a.question)[:40])!r} -> "
                      f"{escape(a.answer[:90])!r}", highlight=False)


def judge_advice(judge: ScorerReport, default: ScorerReport) -> str:
    """Whether the judge earns its cost on this labelled set: only when its AUROC interval lies above the default
    scorer's AUROC (it costs hundreds of times more per answer)."""
    cost = f"{judge.seconds_per_1000 / max(default.seconds_per_1000, 1e-9):,.0f}x the default's time"
    if judge.interval[0] > default.auroc:
        return (f"judge: AUROC {judge.auroc:.3f} [{judge.interval[0]:.3f}, {judge.interval[1]:.3f}] beats the default "
                f"scorer's {default.auroc:.3f} at {cost}: worth adding faithfulness_judge to evaluate.metrics")
    return (f"judge: AUROC {judge.auroc:.3f} [{judge.interval[0]:.3f}, {judge.interval[1]:.3f}] does not beat the default "
            f"scorer's {default.auroc:.3f} ({cost}): keep it off, or configure a more capable [evaluate.judge]")

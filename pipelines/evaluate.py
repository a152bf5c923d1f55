"""Evaluate recipe: the same eval questions through every arm, scored with the same metrics, one MLflow run per arm.

Called by `ragvsft run` once the index and the adapter exist.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ragvsft import tracking
from ragvsft.answer_limits import HIT_LIMIT_WARNING_SHARE, AnswerLimits, hit_limit_share
from ragvsft.builders import build_answer_limits, build_arms, build_embedder, build_judge, load_retriever, needs_judge
from ragvsft.cache import CachedGenerator, CachedMetric, ResultCache
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import Corpus
from ragvsft.device import resolve_device
from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.evaluation import (
    Arm,
    EvalRecord,
    answer,
    eval_questions,
    flatten_summary,
    oracle_all,
    retrieve_all,
    score,
    summarize,
)
from ragvsft.fewshot import pick_shots
from ragvsft.finetune.adapter import load_adapter_meta
from ragvsft.generators import Generator
from ragvsft.metrics import build_metrics
from ragvsft.pipelines.common import ForwardFn, folder_mb, peak_rss_mb, step_progress
from ragvsft.releases import Evaluation
from ragvsft.results import PointResult
from ragvsft.retriever import DenseRetriever
from ragvsft.review import headline_by_arm, rounded
from ragvsft.stats import Estimate

ANSWERS_TABLE = "eval/answers.json"  # each arm run's per-question table: arm, question, answer, every score


def read_answers(artifact_uri: str) -> list[dict[str, Any]]:
    """The rows of an arm run's ``ANSWERS_TABLE`` (MLflow stores a table as columns + rows), one dict per question."""
    table = tracking.mlflow.artifacts.load_dict(f"{artifact_uri}/{ANSWERS_TABLE}")
    return [dict(zip(table["columns"], row, strict=True)) for row in table["data"]]


@dataclass(frozen=True)
class ArmResult:
    arm: Arm
    run_id: str
    summary: dict[str, Estimate | float]
    slices: dict[str, dict[str, Estimate]]  # tag -> metric -> estimate
    records: list[EvalRecord]


def _closed_book_evidence(
    records: Sequence[EvalRecord], corpus: Corpus, retriever: DenseRetriever, k: int
) -> dict[str, tuple[str, ...]]:
    """Gold source documents where known, else the chunks that best match the answer itself."""
    texts = {d.id: d.text for d in corpus.documents}
    evidence = {r.qa_id: tuple(texts[s] for s in r.sources) for r in records if r.sources}
    missing = [r for r in records if not r.sources]
    if missing:
        for r, hits in zip(missing, retriever.search_many([r.answer or r.question for r in missing], k)):
            evidence[r.qa_id] = tuple(h.chunk.text for h in hits)
    return evidence


def _slices(records: Sequence[EvalRecord], seed: int) -> dict[str, dict[str, Estimate]]:
    tags = sorted({t for r in records for t in r.tags})
    out = {}
    for tag in tags:
        subset = [r for r in records if tag in r.tags]
        out[tag] = {k: v for k, v in summarize(subset, tokens_per_s=0.0, seed=seed).items() if isinstance(v, Estimate)}
    return out


@dataclass
class Loaded:
    """What evaluations in one process share: embedders and generators load once (a sweep evaluates many points),
    and the answer/score cache stays open."""

    cache: ResultCache | None = None
    embedders: dict[Any, SentenceTransformerEmbedder] = field(default_factory=dict)
    generators: dict[Any, Generator] = field(default_factory=dict)

    @classmethod
    def for_experiment(cls, config: ExperimentConfig) -> Loaded:
        return cls(ResultCache(config.output_dir / "cache.sqlite") if config.evaluate.cache else None)


def main(
    config: ExperimentConfig,
    console: Console,
    corpus: Corpus,
    *,
    adapter_dir: Path | None,
    parent_run_id: str | None = None,
    forward: ForwardFn | None = None,
    loaded: Loaded | None = None,
    index_dir: Path | None = None,
    label: str = "",
) -> list[ArmResult]:
    """Every arm on the eval questions. ``index_dir`` is an index version folder to retrieve from (default: the
    live index under ``<output_dir>/index``); ``label`` names whose arms these are in run names and tags when
    two releases answer in one run (``ragvsft retrain``: champion, challenger)."""
    # 1. Questions, the index, the arms and the metrics; answers and scores come from the cache when it holds them.
    loaded = loaded or Loaded.for_experiment(config)
    questions = eval_questions(corpus, config.evaluate.max_questions)
    ev, cache = config.evaluate, loaded.cache
    if cache is not None and cache.damaged:
        console.print(f"[yellow]warning:[/] {escape(cache.damaged)}", highlight=False)
        cache.damaged = ""  # said once per process
    key = (config.index.embedder, config.index.device, config.index.dtype, config.index.embed_batch_size)
    # Under model.batch_invariant each question is embedded alone, as the server does: its passages then do not
    # depend on the other questions either.
    retriever, _ = load_retriever(config.index, config.output_dir / "index", embedder=loaded.embedders.get(key),
                                  version_dir=index_dir, queries_alone=config.model.batch_invariant)
    loaded.embedders[key] = scorer = retriever.embedder
    if scorer.dtype != "float32":  # metrics embed in float32: a score must not depend on the machine's bfloat16
        scorer = loaded.embedders.get(key + ("measuring",)) or build_embedder(config.index, measuring=True)
        loaded.embedders[key + ("measuring",)] = scorer
    for stale in [k for k in loaded.generators if k[-1] not in (None, adapter_dir)]:
        del loaded.generators[stale]  # one adapter in memory at a time (plus the base model)
    arms = build_arms(ev.arms, ev.extra_arms, config.model, adapter_dir=adapter_dir, environ=os.environ,
                      generators=loaded.generators)
    if cache is not None:
        arms = [Arm(a.spec, CachedGenerator(a.generator, cache)) for a in arms]
    k = config.index.top_k
    kinds = {a.spec.context for a in arms}
    contexts = {"retrieved": retrieve_all(retriever, questions, k) if "retrieved" in kinds else None,
                "oracle": oracle_all(retriever, questions, k) if "oracle" in kinds else None}
    shots = pick_shots(questions, corpus.split("train"), config.prompt.few_shot, retriever.embedder,
                       alone=config.model.batch_invariant)
    # Answer length and stop strings: as configured, else fitted to the training answers (paragraph answers must
    # not be cut to a short-fact budget in every arm alike).
    limits = build_answer_limits(config.model, [q.answer for q in corpus.split("train")])
    console.print(limits.why, highlight=False)
    judge = build_judge(ev.judge, config.model, environ=os.environ) if needs_judge(ev.metrics) else None
    if judge is not None and cache is not None:
        judge = CachedGenerator(judge, cache)  # judge metrics re-read cached replies, so parse failures still count
    metrics = build_metrics(ev.metrics, embedder=scorer, judge=judge)
    if cache is not None:
        metrics = [m if "judge" in getattr(m, "requires", ()) else CachedMetric(m, cache, scorer.identity)
                   for m in metrics]

    # 2. Every arm answers the same questions; its answers are scored against the evidence its spec names.
    chunk_text = {c.id: c.text for c in retriever.store.chunks}
    uri = tracking.tracking_uri()
    results = []
    with step_progress(console, "evaluate: arms", forward) as step:
        for n, arm in enumerate(arms):
            step(n, len(arms), f"answering with {arm.name}")
            # The arm's run is open while it answers, so its duration in MLflow is the arm's real time.
            with _arm_run(uri, config, corpus, arm, len(questions), parent_run_id, label) as logged:
                context = contexts.get(arm.spec.context)
                records, tokens_per_s = answer(arm, questions, config.prompt, contexts=context, shots=shots,
                                               max_new_tokens=limits.max_new_tokens, stop=limits.stop)
                if arm.spec.evidence == "context":
                    evidence = {r.qa_id: tuple(chunk_text[c] for c in r.chunk_ids) for r in records}
                else:
                    evidence = _closed_book_evidence(records, corpus, retriever, k)
                records = score(records, metrics, evidence, context)
                summary = summarize(records, tokens_per_s=tokens_per_s, seed=config.seed)
                # A judge that could not be parsed is reported, not hidden in a smaller n.
                summary |= {f"{metric.name}_parse_failures": float(metric.parse_failures) for metric in metrics
                            if hasattr(metric, "parse_failures")}
                summary["hit_length_limit_share"] = cut = hit_limit_share([r.new_tokens for r in records],
                                                                          limits.max_new_tokens)
                if cut > HIT_LIMIT_WARNING_SHARE:
                    console.print(f"[yellow]warning:[/] {escape(arm.name)}: {cut:.0%} of the answers stopped at the "
                                  f"{limits.max_new_tokens}-token limit; raise model.max_new_tokens")
                summary["peak_rss_mb"] = peak_rss_mb()  # of this process, up to and including this arm
                slices = _slices(records, config.seed)
                _log_arm(logged, config, arm, limits, summary, slices, records, scorer.identity)
            results.append(ArmResult(arm, logged.run_id, summary, slices, records))
        step(len(arms), len(arms), "done")
    return results


def _arm_run(uri: str, config: ExperimentConfig, corpus: Corpus, arm: Arm, questions: int, parent_run_id: str | None,
             label: str) -> AbstractContextManager[tracking.RunLogger]:
    return tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name), name=f"arm-{f'{label}-' if label else ''}{arm.name}",
        description=f"{label + ' ' if label else ''}{arm.name}: {arm.spec.description} ({arm.generator.identity}) "
                    f"on {questions} eval questions",
        tags={"ragvsft.pipeline": "evaluate", "ragvsft.arm": arm.name, "ragvsft.experiment": config.name,
              "ragvsft.device": resolve_device(config.model.device)} | ({"ragvsft.release": label} if label else {}),
        parent_run_id=parent_run_id)


def _log_arm(logged: tracking.RunLogger, config: ExperimentConfig, arm: Arm, limits: AnswerLimits, summary: dict,
             slices: dict, records: list[EvalRecord], scorer: str) -> None:
    logged.log_params({"arm": arm.name, "context": arm.spec.context, "adapter": arm.spec.adapter,
                       "evidence": arm.spec.evidence, "generator": arm.generator.identity, "metric_embedder": scorer,
                       "questions": len(records), "few_shot": config.prompt.few_shot,
                       "max_new_tokens": limits.max_new_tokens, "stop": list(limits.stop),
                       "top_k": config.index.top_k if arm.spec.context != "none" else 0})
    logged.log_metrics({k: rounded(v) for k, v in flatten_summary(summary).items()})
    logged.log_metrics({f"slice/{tracking.metric_key_part(tag)}/{k}": rounded(v) for tag, est in slices.items()
                        for k, v in flatten_summary(est).items() if not k.endswith(("_low", "_high"))})
    # One table name for every arm, so MLflow's artifact comparison lines the arms up question by question.
    logged.log_table([r.row() for r in records], ANSWERS_TABLE)


def evaluation_of(run_id: str, config: ExperimentConfig, corpus: Corpus, results: list[ArmResult]) -> Evaluation:
    """What a release's registry versions say it measured (``releases.annotate``)."""
    return Evaluation(
        run_id=run_id, docs_sha256=corpus.docs.sha256, base_model=config.model.base_model,
        arms=headline_by_arm({r.arm.name: r.summary for r in results}, ("token_f1", "faithfulness", "answer_relevance")),
        retrieval_arms=frozenset(r.arm.name for r in results if r.arm.spec.context != "none"),
        adapter_arms=frozenset(r.arm.name for r in results if r.arm.spec.adapter))


def point_result(values: dict[str, Any], results: list[ArmResult], *, index_dir: Path, adapter_dir: Path | None,
                 train_examples: int, device: str) -> PointResult:
    """One point of the evidence file (``ragvsft.results``): the arms' results, and what the index and adapter
    folders cost to store and (from the adapter's own record) to train."""
    training = load_adapter_meta(adapter_dir).get("training", {}) if adapter_dir else {}
    return PointResult(values, {r.arm.name: r.records for r in results},
                       {r.arm.name: float(r.summary["tokens_per_s"]) for r in results},
                       {r.arm.name: float(r.summary["peak_rss_mb"]) for r in results},
                       train_examples=train_examples, index_mb=folder_mb(index_dir),
                       adapter_mb=folder_mb(adapter_dir) if adapter_dir else 0.0,
                       train_s=float(training.get("wall_s", 0.0)), device=resolve_device(device))

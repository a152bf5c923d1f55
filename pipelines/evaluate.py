"""Evaluate recipe: the same eval questions through every arm, scored with the same metrics, one MLflow run per arm.

Called by `ragvsft run` once the index and the adapter exist.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from ragvsft import tracking
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import Corpus
from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.evaluation import Arm, EvalRecord, Retrieval, answer, retrieve_all, score, summarize
from ragvsft.generators import Generator, HFGenerator, OpenAIGenerator
from ragvsft.indexing import load_index
from ragvsft.metrics import METRICS, build_metrics
from ragvsft.pipelines.common import ForwardFn, step_progress
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair
from ragvsft.retriever import DenseRetriever
from ragvsft.stats import Estimate


@dataclass(frozen=True)
class ArmResult:
    arm: str
    run_id: str
    summary: dict[str, Estimate | float]
    slices: dict[str, dict[str, Estimate]]  # tag -> metric -> estimate
    records: list[EvalRecord]


def build_arms(config: ExperimentConfig, adapter_dir: Path | None) -> list[Arm]:
    """Standard arms share one base model load each for plain and adapted weights; extra arms call endpoints."""
    m = config.model
    wanted = config.evaluate.arms
    arms: list[Arm] = []
    if {"base", "rag"} & set(wanted):
        base = HFGenerator(m.base_model, cache_dir=m.cache_dir, batch_size=m.batch_size)
        arms += [Arm(name, base, retrieves=name == "rag") for name in ("base", "rag") if name in wanted]
    if {"finetuned", "hybrid"} & set(wanted):
        tuned = HFGenerator(m.base_model, cache_dir=m.cache_dir, adapter=adapter_dir, batch_size=m.batch_size)
        arms += [Arm(name, tuned, retrieves=name == "hybrid") for name in ("finetuned", "hybrid") if name in wanted]
    for extra in config.evaluate.extra_arms:
        # Keys come from the environment only, never from the experiment file.
        client = OpenAIGenerator(extra.base_url, extra.model, api_key=os.environ.get(extra.api_key_env))
        arms.append(Arm(extra.name, client, retrieves=extra.retrieves))
    return arms


def needs_judge(config: ExperimentConfig) -> bool:
    return any("judge" in getattr(METRICS[m], "requires", ()) for m in config.evaluate.metrics)


def load_judge(config: ExperimentConfig) -> Generator:
    """The LLM judge of ``[evaluate.judge]``: an endpoint, or a local model (default: the base model)."""
    judge = config.evaluate.judge
    if judge.base_url:
        return OpenAIGenerator(judge.base_url, judge.model, api_key=os.environ.get(judge.api_key_env))
    m = config.model
    return HFGenerator(judge.model or m.base_model, cache_dir=m.cache_dir, batch_size=m.batch_size)


def eval_questions(config: ExperimentConfig, corpus: Corpus) -> list[QAPair]:
    questions = list(corpus.split("eval"))
    return questions[: config.evaluate.max_questions] if config.evaluate.max_questions else questions


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


def main(
    config: ExperimentConfig,
    console: Console,
    corpus: Corpus,
    *,
    adapter_dir: Path | None,
    parent_run_id: str | None = None,
    forward: ForwardFn | None = None,
) -> list[ArmResult]:
    questions = eval_questions(config, corpus)
    template = PromptTemplate(**dataclasses.asdict(config.prompt))
    store, _ = load_index(config.output_dir / "index", hnsw_ef_search=config.index.hnsw_ef_search)
    embedder = SentenceTransformerEmbedder(config.index.embedder, batch_size=config.index.embed_batch_size)
    retriever = DenseRetriever(embedder, store)
    arms = build_arms(config, adapter_dir)
    retrieved: dict[str, Retrieval] | None = None
    if any(a.retrieves for a in arms):
        retrieved = retrieve_all(retriever, questions, config.index.top_k)
    judge = load_judge(config) if needs_judge(config) else None
    metrics = build_metrics(config.evaluate.metrics, embedder=embedder, judge=judge)

    chunk_text = {c.id: c.text for c in store.chunks}
    uri = tracking.tracking_uri()
    results = []
    with step_progress(console, "evaluate: arms", forward) as step:
        for n, arm in enumerate(arms):
            step(n, len(arms), f"answering with {arm.name}")
            records, tokens_per_s = answer(arm, questions, template, retrieved=retrieved,
                                           max_new_tokens=config.model.max_new_tokens, stop=config.model.stop)
            if arm.retrieves:
                evidence = {r.qa_id: tuple(chunk_text[c] for c in r.chunk_ids) for r in records}
            else:
                evidence = _closed_book_evidence(records, corpus, retriever, config.index.top_k)
            records = score(records, metrics, evidence, retrieved)
            summary = summarize(records, tokens_per_s=tokens_per_s, seed=config.seed)
            # A judge that could not be parsed is reported, not hidden in a smaller n.
            summary |= {f"{m.name}_parse_failures": float(m.parse_failures) for m in metrics
                        if hasattr(m, "parse_failures")}
            slices = _slices(records, config.seed)
            run_id = _log_arm(uri, config, corpus, arm, summary, slices, records, parent_run_id)
            results.append(ArmResult(arm.name, run_id, summary, slices, records))
        step(len(arms), len(arms), "done")
    return results


def _log_arm(uri: str, config: ExperimentConfig, corpus: Corpus, arm: Arm, summary: dict, slices: dict,
             records: list[EvalRecord], parent_run_id: str | None) -> str:
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name), name=f"arm-{arm.name}",
        description=f"{arm.name}: {'retrieval + ' if arm.retrieves else 'closed book, '}{arm.generator.identity} "
                    f"on {len(records)} eval questions",
        tags={"ragvsft.pipeline": "evaluate", "ragvsft.arm": arm.name, "ragvsft.experiment": config.name},
        parent_run_id=parent_run_id,
    ) as run_id:
        tracking.log_params({"arm": arm.name, "retrieves": arm.retrieves, "generator": arm.generator.identity,
                             "questions": len(records), "top_k": config.index.top_k if arm.retrieves else 0})
        tracking.log_metrics(flatten(summary))
        tracking.log_metrics({f"slice/{tag}/{k}": v for tag, est in slices.items() for k, v in flatten(est).items()
                              if not k.endswith(("_low", "_high"))})
        tracking.log_table([r.row() for r in records], f"eval/{arm.name}.json")
    return run_id


def flatten(summary: dict[str, Estimate | float]) -> dict[str, float]:
    """``token_f1`` -> mean, ``token_f1_ci_low``/``_ci_high`` -> interval ends; NaN (no values) left out."""
    out: dict[str, float] = {}
    for key, value in summary.items():
        if isinstance(value, Estimate):
            if value.n:
                out |= {key: value.mean, f"{key}_ci_low": value.low, f"{key}_ci_high": value.high}
        elif value == value:  # not NaN
            out[key] = value
    return out

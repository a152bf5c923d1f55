"""Putting the same eval questions through every arm, then scoring the answers with the same metrics.

An arm is its spec (``ragvsft.arms``) plus the generator that answers for it.
Retrieval is done once per question and shared by the retrieval arms, so
``rag`` and ``hybrid`` see the same chunks and differ only in the model.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ragvsft.arms import ArmSpec
from ragvsft.corpus import Corpus
from ragvsft.fewshot import Example
from ragvsft.generators import Generation, Generator
from ragvsft.metrics import Metric, Sample
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair
from ragvsft.retriever import DenseRetriever, Retriever
from ragvsft.stats import Estimate, PairedTest, holm, mean_ci, paired_test, percentile
from ragvsft.store import Hit


@dataclass(frozen=True)
class Arm:
    """One way of answering, ready to run: its spec and the generator that answers for it.

    Example:
        >>> Arm(ARMS["rag"], HFGenerator(cache_dir=Path(".cache/ragvsft"))).spec.context  # doctest: +SKIP
        'retrieved'
    """

    spec: ArmSpec
    generator: Generator

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass(frozen=True)
class Retrieval:
    """The passages a prompt shows for one question (retrieved, or the oracle's gold ones) and the time it took
    to find them (batch time / questions)."""

    hits: tuple[Hit, ...]
    ms: float


@dataclass(frozen=True)
class EvalRecord:
    """One arm's answer (``answer``) to one question (whose reference is ``gold_answer``), with timings and,
    after scoring, per-metric values."""

    arm: str
    qa_id: str
    question: str
    gold_answer: str
    answer: str
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    chunk_ids: tuple[str, ...]
    retrieval_ms: float
    generation_ms: float
    new_tokens: int
    scores: Mapping[str, float | None] = field(default_factory=dict)
    prompt_tokens: int = 0  # tokens the model read: question, passages, examples
    also_accept: tuple[str, ...] = ()  # other answers that count as correct

    @property
    def latency_ms(self) -> float:
        return self.retrieval_ms + self.generation_ms

    def row(self) -> dict[str, Any]:
        """Flat dict for an MLflow table."""
        return {"arm": self.arm, "id": self.qa_id, "question": self.question, "gold_answer": self.gold_answer,
                "also_accept": "\n".join(self.also_accept), "answer": self.answer, "tags": ", ".join(self.tags),
                "chunk_ids": ", ".join(self.chunk_ids),
                "latency_ms": round(self.latency_ms, 1), "prompt_tokens": self.prompt_tokens,
                "new_tokens": self.new_tokens,
                **{k: (None if v is None else round(v, 4)) for k, v in self.scores.items()}}


def eval_questions(corpus: Corpus, max_questions: int = 0) -> list[QAPair]:
    """The corpus' eval split, or its first ``max_questions`` (0: all) for a quick trial."""
    questions = list(corpus.split("eval"))
    return questions[:max_questions] if max_questions else questions


def retrieve_all(retriever: Retriever, questions: Sequence[QAPair], k: int) -> dict[str, Retrieval]:
    """Top-``k`` chunks for every question, embedded in one batch."""
    started = time.perf_counter()
    hits = retriever.search_many([qa.question for qa in questions], k)
    per_question_ms = (time.perf_counter() - started) * 1000 / max(len(questions), 1)
    return {qa.id: Retrieval(tuple(h), per_question_ms) for qa, h in zip(questions, hits)}


def oracle_all(retriever: DenseRetriever, questions: Sequence[QAPair], k: int) -> dict[str, Retrieval]:
    """The gold passages of every question with ``sources``: the top-``k`` chunks of its source documents."""
    sourced = [qa for qa in questions if qa.sources]
    started = time.perf_counter()
    hits = retriever.search_within([qa.question for qa in sourced], [qa.sources for qa in sourced], k)
    per_question_ms = (time.perf_counter() - started) * 1000 / max(len(sourced), 1)
    return {qa.id: Retrieval(tuple(h), per_question_ms) for qa, h in zip(sourced, hits)}


def answer(
    arm: Arm,
    questions: Sequence[QAPair],
    template: PromptTemplate,
    *,
    contexts: Mapping[str, Retrieval] | None,
    shots: Mapping[str, Sequence[Example]] | None = None,
    max_new_tokens: int,
    stop: Sequence[str] = (),
) -> tuple[list[EvalRecord], float]:
    """The arm's answers and its generation throughput (new tokens/s).

    ``contexts`` holds the passages of arms with a context (retrieved or
    oracle), by question id; a question without an entry is left out of such
    an arm (an oracle has nothing to show for a question without sources).
    ``shots`` holds each question's worked examples, (question, answer) pairs (``prompt.few_shot``).
    """
    with_context = arm.spec.context != "none"
    if with_context:
        if contexts is None:
            raise ValueError(f"arm {arm.name!r} reads {arm.spec.context} passages, but none were given")
        questions = [qa for qa in questions if qa.id in contexts]
    passages = [contexts[qa.id] if with_context and contexts else None for qa in questions]
    conversations = [
        template.messages(qa.question, [h.chunk.text for h in ctx.hits] if ctx else None,
                          (shots or {}).get(qa.id, ()))
        for qa, ctx in zip(questions, passages)
    ]
    generations = arm.generator.generate(conversations, max_new_tokens=max_new_tokens, stop=stop)
    records = [
        EvalRecord(arm=arm.name, qa_id=qa.id, question=qa.question, gold_answer=qa.answer, answer=gen.text, tags=qa.tags,
                   sources=qa.sources, chunk_ids=tuple(h.chunk.id for h in ctx.hits) if ctx else (),
                   retrieval_ms=ctx.ms if ctx else 0.0, generation_ms=gen.latency_ms, new_tokens=gen.new_tokens,
                   prompt_tokens=gen.prompt_tokens, also_accept=qa.also_accept)
        for qa, ctx, gen in zip(questions, passages, generations)
    ]
    return records, throughput(generations)


def throughput(generations: Sequence[Generation]) -> float:
    """New tokens per second of generation compute: each answer counts its share of its batch's time, so answers
    from the cache report the speed measured when they were generated.

    Example:
        >>> throughput([Generation("a", 9, 10, 500.0, 2), Generation("b", 9, 30, 500.0, 2)])
        80.0
    """
    seconds = sum(g.latency_ms / g.batch_rows for g in generations) / 1000
    return sum(g.new_tokens for g in generations) / seconds if seconds > 0 else 0.0


def score(
    records: Sequence[EvalRecord],
    metrics: Sequence[Metric],
    evidence: Mapping[str, tuple[str, ...]],
    contexts: Mapping[str, Retrieval] | None,
) -> list[EvalRecord]:
    """Attach every metric's value to every record (metrics score the whole batch at once).

    ``evidence`` maps a question id to the passages its answer should be supported by; ``contexts`` holds the
    passages the prompts showed (the context metrics score their documents).
    """
    samples = []
    for r in records:
        doc_ids = tuple(h.doc_for(r.sources) for h in contexts[r.qa_id].hits) if r.chunk_ids and contexts else ()
        samples.append(Sample(r.question, r.answer, r.gold_answer, evidence.get(r.qa_id, ()), doc_ids, r.sources,
                              r.also_accept))
    columns = {m.name: m.score(samples) for m in metrics}
    return [replace(r, scores={name: values[i] for name, values in columns.items()}) for i, r in enumerate(records)]


def summarize(records: Sequence[EvalRecord], *, tokens_per_s: float, seed: int = 0) -> dict[str, Estimate | float]:
    """Per metric a mean with a 95 % bootstrap interval; latency percentiles and throughput as plain numbers."""
    names = sorted({name for r in records for name in r.scores})
    out: dict[str, Estimate | float] = {name: mean_ci([r.scores.get(name) for r in records], seed=seed) for name in names}
    latencies = [r.latency_ms for r in records]
    out |= {
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p95": percentile(latencies, 95),
        "retrieval_ms_p50": percentile([r.retrieval_ms for r in records], 50),
        "generation_ms_p50": percentile([r.generation_ms for r in records], 50),
        "tokens_per_s": tokens_per_s,
    }
    return out


def compare_arms(
    records: Mapping[str, Sequence[EvalRecord]], metrics: Sequence[str], *, seed: int = 0
) -> dict[tuple[str, str], dict[str, PairedTest]]:
    """Every pair of arms on every metric, paired by question; p-values Holm-adjusted over the pairs per metric.

    Pairs are (later arm, earlier arm) in the order given, so with the standard
    arms the newer idea comes first: ``("rag", "base")``, ..., ``("hybrid", "finetuned")``.
    """
    arms = list(records)
    pairs = [(b, a) for a, b in itertools.combinations(arms, 2)]
    by_id = {arm: {r.qa_id: r for r in rs} for arm, rs in records.items()}
    out: dict[tuple[str, str], dict[str, PairedTest]] = {pair: {} for pair in pairs}
    for metric in metrics:
        tests = {}
        for first, second in pairs:
            shared = [q for q in by_id[first] if q in by_id[second]]
            test = paired_test([by_id[first][q].scores.get(metric) for q in shared],
                               [by_id[second][q].scores.get(metric) for q in shared], seed=seed)
            if test.n:  # pairs where the metric applies to both arms
                tests[first, second] = test
        # One family per metric: the chance of any false "significant" among the pairs stays at the level.
        for (pair, test), p in zip(tests.items(), holm([t.p for t in tests.values()])):
            out[pair][metric] = replace(test, p=p)
    return out


def flatten_summary(summary: Mapping[str, Estimate | float]) -> dict[str, float]:
    """``token_f1`` -> mean, ``token_f1_ci_low``/``_ci_high`` -> interval ends; NaN (no values) left out.

    Example:
        >>> flatten_summary({"token_f1": Estimate(0.5, 0.4, 0.6, 9), "tokens_per_s": 12.0, "x": float("nan")})
        {'token_f1': 0.5, 'token_f1_ci_low': 0.4, 'token_f1_ci_high': 0.6, 'tokens_per_s': 12.0}
    """
    out: dict[str, float] = {}
    for key, value in summary.items():
        if isinstance(value, Estimate):
            if value.n:
                out |= {key: value.mean, f"{key}_ci_low": value.low, f"{key}_ci_high": value.high}
        elif value == value:  # not NaN
            out[key] = value
    return out

"""Retrieval quality on questions with known sources: a cheap check before any model runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragvsft.store import Hit

MRR_DEPTH = 10  # reciprocal rank counts hits within the first 10 chunks


@dataclass(frozen=True)
class RetrievalScores:
    """Means over questions: a question hits at k when a chunk of one of its sources ranks within k.

    Example:
        >>> RetrievalScores(hit_at_1=0.5, hit_at_5=1.0, mrr=0.75, questions=2).as_metrics()["mrr"]
        0.75
    """

    hit_at_1: float
    hit_at_5: float
    mrr: float
    questions: int

    def as_metrics(self) -> dict[str, float]:
        return {"hit_at_1": self.hit_at_1, "hit_at_5": self.hit_at_5, "mrr": self.mrr,
                "retrieval_questions": float(self.questions)}


def first_relevant_rank(hits: Sequence[Hit], sources: Sequence[str]) -> int | None:
    """1-based rank of the first chunk from any of ``sources`` (or whose text one of them holds too), or None."""
    wanted = set(sources)
    return next((hit.rank for hit in hits if hit.doc_for(wanted) in wanted), None)


def score_retrieval(hits_per_question: Sequence[Sequence[Hit]], sources_per_question: Sequence[Sequence[str]]) -> RetrievalScores:
    """hit@1, hit@5 and MRR@10 over questions (each needs hits from a search with k >= 10)."""
    if len(hits_per_question) != len(sources_per_question):
        raise ValueError("one list of hits per question is required")
    ranks = [first_relevant_rank(hits, sources) for hits, sources in zip(hits_per_question, sources_per_question)]
    n = len(ranks)
    if n == 0:
        return RetrievalScores(0.0, 0.0, 0.0, 0)
    return RetrievalScores(
        hit_at_1=sum(r is not None and r <= 1 for r in ranks) / n,
        hit_at_5=sum(r is not None and r <= 5 for r in ranks) / n,
        mrr=sum(1.0 / r for r in ranks if r is not None and r <= MRR_DEPTH) / n,
        questions=n,
    )

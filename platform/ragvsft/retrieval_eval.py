"""Retrieval quality on questions with known sources: a cheap check before any model runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ragvsft.chunking import Chunk
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


def chance_scores(chunks: Sequence[Chunk], sources_per_question: Sequence[Sequence[str]]) -> RetrievalScores:
    """hit@1, hit@5 and MRR@10 of a ranking drawn at random, each question's by the share of the corpus' distinct
    passages its sources hold (a passage in several documents counts once, as retrieval returns it). Beside the
    measured scores it says how much retrieval adds: on a corpus of a few large documents a random ranking
    already hits the source in the first five.

    Example:
        >>> chunks = [Chunk(f"{d}#{i}", d, f"{d} {i}", i) for d, n in (("a", 1), ("b", 9)) for i in range(n)]
        >>> scores = chance_scores(chunks, [["a"], ["b"]])
        >>> round(scores.hit_at_1, 2), round(scores.hit_at_5, 2)  # a: 1 passage of 10; b: 9 of 10
        (0.5, 0.75)
    """
    passages: dict[str, set[str]] = {}  # document -> the distinct texts of its chunks
    for chunk in chunks:
        passages.setdefault(chunk.doc_id, set()).add(chunk.text)
    total = len({chunk.text for chunk in chunks})
    hit_1 = hit_5 = mrr = 0.0
    for sources in sources_per_question:
        relevant = len(set().union(*(passages.get(s, set()) for s in sources)))
        missed = 1.0  # the chance that no relevant passage ranks above r
        for r in range(1, MRR_DEPTH + 1):
            if total - r + 1 <= 0:
                break
            first_here = missed * relevant / (total - r + 1)
            hit_1 += first_here if r == 1 else 0.0
            hit_5 += first_here if r <= 5 else 0.0
            mrr += first_here / r
            missed *= max(0, total - relevant - r + 1) / (total - r + 1)
    n = len(sources_per_question)
    return RetrievalScores(hit_1 / n, hit_5 / n, mrr / n, n) if n else RetrievalScores(0.0, 0.0, 0.0, 0)


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

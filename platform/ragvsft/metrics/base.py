"""What a metric sees, and what it must provide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ragvsft.embedders import Embedder


@dataclass(frozen=True)
class Sample:
    """One answered question, with everything any metric may need.

    ``evidence`` is what the answer should be supported by: the retrieved
    chunks for retrieval arms; the gold source documents (else chunks retrieved
    for the answer) for closed-book arms — so an invented fact scores low.
    """

    question: str
    answer: str
    gold_answer: str
    evidence: tuple[str, ...] = ()
    retrieved_doc_ids: tuple[str, ...] = ()  # empty for closed-book arms
    sources: tuple[str, ...] = ()
    also_accept: tuple[str, ...] = ()  # other answers that count as correct (qa.jsonl's ``also_accept``)

    @property
    def golds(self) -> tuple[str, ...]:
        """Every answer that counts as correct: the gold answer first."""
        return (self.gold_answer, *self.also_accept)


class Metric(Protocol):
    """Scores a batch of samples; ``None`` where the metric does not apply (e.g. no sources).

    Implementations also carry ``requires`` (constructor arguments, see ``METRICS``), ``version`` where
    their definition changed since the first release (cached scores of another version are not reused), and,
    for LLM judges, ``parse_failures`` (replies of the last call that could not be read).
    """

    name: str

    def score(self, samples: Sequence[Sample]) -> list[float | None]: ...


def cosine_pairs(embedder: Embedder, left: Sequence[str], right: Sequence[str]) -> list[float]:
    """Cosine of ``left[i]`` and ``right[i]`` for each i, clipped to [0, 1], embedded in one batch.

    Empty strings are embedded as a space (some models reject ""); callers decide what an empty answer scores.
    """
    if not left:
        return []
    vectors = embedder.embed([t or " " for t in [*left, *right]])  # unit vectors: cosine = inner product
    cosines = np.sum(vectors[: len(left)] * vectors[len(left):], axis=1)
    return [float(c) for c in np.clip(cosines, 0.0, 1.0)]

"""What a metric sees, and what it must provide."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Sample:
    """One answered question, with everything any metric may need.

    ``evidence`` is what the answer should be supported by: the retrieved
    chunks for retrieval arms; the gold source documents (else chunks retrieved
    for the answer) for closed-book arms — so an invented fact scores low.
    """

    question: str
    answer: str
    gold: str
    evidence: tuple[str, ...] = ()
    retrieved_doc_ids: tuple[str, ...] = ()  # empty for closed-book arms
    sources: tuple[str, ...] = ()


class Metric(Protocol):
    """Scores a batch of samples; ``None`` where the metric does not apply (e.g. no sources)."""

    name: str

    def score(self, samples: Sequence[Sample]) -> list[float | None]: ...

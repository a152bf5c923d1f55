"""Relevance: does the answer address the question, and did retrieval find the source?"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ragvsft.embedders import Embedder
from ragvsft.metrics.base import Sample


class AnswerRelevance:
    """Cosine similarity of question and answer embeddings (0 for an empty answer).

    Example:
        >>> AnswerRelevance(embedder).score([Sample("How long is leave?", "22 weeks", "22 weeks")])  # doctest: +SKIP
        [0.41]
    """

    name = "answer_relevance"

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        # 1. Embed questions and answers in one batch (unit vectors).
        vectors = self.embedder.embed([s.question for s in samples] + [s.answer or " " for s in samples])
        questions, answers = vectors[: len(samples)], vectors[len(samples) :]
        # 2. Cosine = inner product of unit vectors; clip the rare negative to 0.
        cosines = np.clip(np.sum(questions * answers, axis=1), 0.0, 1.0)
        return [float(c) if s.answer.strip() else 0.0 for s, c in zip(samples, cosines)]


class ContextRecallAtK:
    """1.0 when a retrieved chunk comes from one of the question's sources; ``None`` without retrieval or sources.

    Example:
        >>> ContextRecallAtK().score([Sample("q", "a", "a", retrieved_doc_ids=("x.md", "y.md"), sources=("y.md",))])
        [1.0]
    """

    name = "context_recall_at_k"

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [
            float(bool(set(s.retrieved_doc_ids) & set(s.sources))) if s.retrieved_doc_ids and s.sources else None
            for s in samples
        ]

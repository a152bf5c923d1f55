"""Relevance: does the answer address the question, and did retrieval bring the right passages?"""

from __future__ import annotations

from collections.abc import Sequence

from ragvsft.embedders import Embedder
from ragvsft.generators.base import Generator
from ragvsft.metrics.base import Sample, cosine_pairs


class AnswerRelevance:
    """Cosine similarity of question and answer embeddings (0 for an empty answer).

    Cheap and judge-free, but it rewards answers that restate the question: a
    terse correct "27 days" scores below "Full-time employees get paid leave".
    ``ReverseQuestionRelevance`` does not have that bias.

    Example:
        >>> AnswerRelevance(embedder).score([Sample("How long is leave?", "22 weeks", "22 weeks")])  # doctest: +SKIP
        [0.41]
    """

    name = "answer_relevance"
    requires = ("embedder",)

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        cosines = cosine_pairs(self.embedder, [s.question for s in samples], [s.answer for s in samples])
        return [c if s.answer.strip() else 0.0 for s, c in zip(samples, cosines)]


REVERSE_PROMPT = (
    "Here is an answer taken from a conversation. Write the one question it most likely answers. "
    "Reply with the question only.\n\nAnswer: {answer}"
)


class ReverseQuestionRelevance:
    """RAGAS-style answer relevance: a judge model writes the question the answer responds to; score = cosine
    of that question with the real one. Greedy decoding, so the same judge gives the same score.

    Example:
        >>> ReverseQuestionRelevance(judge, embedder).score([Sample("How long is leave?", "22 weeks", "22 weeks")])
        ... # doctest: +SKIP
        [0.78]  # the judge wrote "How many weeks of leave are there?"
    """

    name = "answer_relevance_reverse"
    requires = ("judge", "embedder")

    def __init__(self, judge: Generator, embedder: Embedder) -> None:
        self.judge, self.embedder = judge, embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        # 1. One generated question per non-empty answer, all in one batch.
        answered = [s for s in samples if s.answer.strip()]
        prompts = [[{"role": "user", "content": REVERSE_PROMPT.format(answer=s.answer)}] for s in answered]
        generated = iter(g.text for g in self.judge.generate(prompts, max_new_tokens=48, stop=["\n"]))
        # 2. Cosine of the generated question with the asked one; an empty answer answers nothing.
        pairs = [(s.question, next(generated)) if s.answer.strip() else None for s in samples]
        cosines = iter(cosine_pairs(self.embedder, [p[0] for p in pairs if p], [p[1] for p in pairs if p]))
        return [next(cosines) if p else 0.0 for p in pairs]


class ContextRelevance:
    """Mean cosine of the question with each retrieved passage; needs no labels, so it also works in production.

    ``None`` for closed-book answers.

    Example:
        >>> ContextRelevance(embedder).score([Sample("How long is leave?", "a", "a", evidence=("Leave is 22 weeks.",),
        ...                                          retrieved_doc_ids=("leave.md",))])  # doctest: +SKIP
        [0.62]
    """

    name = "context_relevance"
    requires = ("embedder",)

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        # 1. Every (question, passage) pair of the retrieval samples, embedded in one batch.
        pairs = [(i, s.question, p) for i, s in enumerate(samples) if s.retrieved_doc_ids for p in s.evidence]
        cosines = cosine_pairs(self.embedder, [q for _, q, _ in pairs], [p for _, _, p in pairs])
        # 2. Averaged per sample.
        per_sample: dict[int, list[float]] = {}
        for (i, _, _), c in zip(pairs, cosines):
            per_sample.setdefault(i, []).append(c)
        return [sum(v) / len(v) if (v := per_sample.get(i)) else None for i in range(len(samples))]


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


class ContextPrecisionAtK:
    """Share of the k retrieved chunks that come from one of the question's sources; ``None`` as for recall.

    Example:
        >>> ContextPrecisionAtK().score([Sample("q", "a", "a", retrieved_doc_ids=("x.md", "y.md", "y.md", "z.md"),
        ...                                     sources=("y.md",))])
        [0.5]
    """

    name = "context_precision_at_k"

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [
            sum(d in s.sources for d in s.retrieved_doc_ids) / len(s.retrieved_doc_ids)
            if s.retrieved_doc_ids and s.sources else None
            for s in samples
        ]

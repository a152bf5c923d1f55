"""Relevance: does the answer address the question, and did retrieval bring the right passages?"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragvsft.embedders import Embedder
from ragvsft.generators.base import Generator
from ragvsft.metrics.base import Sample, cosine_pairs
from ragvsft.metrics.text import content_tokens, one_form, stem, tokens


class AnswerRelevance:
    """Does the answer address the question, judged by what it adds rather than by how much it echoes it?

    ``adds × type_fit × on_topic``, where

    - ``adds`` is 0 when the answer has no content word the question lacks (it
      restates the question, or says nothing), else 1 — a bare yes/no to a
      yes/no question adds the verdict;
    - ``type_fit`` is 0.5 when a how-many/how-long/when-style question gets an
      answer with no number or quantity word (English wording), else 1;
    - ``on_topic`` is the cosine of the question with question + answer: an
      answer about something else pulls the pair away from the question, while
      a short on-topic answer barely moves it.

    The plain cosine of question and answer (this metric before version 2)
    rewarded restating the question: a terse correct "27 days" scored below
    "Full-time employees get paid leave". This form scores a correct short
    answer and its restated form alike. The price: a short off-topic answer
    barely moves the pair either, so off-topic answers are told apart less
    sharply than by the plain cosine. ``ReverseQuestionRelevance`` is the
    judge-based alternative.

    Example:
        >>> AnswerRelevance(embedder).score([Sample("How long is leave?", "22 weeks", "22 weeks"),
        ...                                  Sample("How long is leave?", "Leave is long.", "22 weeks")])
        ... # doctest: +SKIP
        [0.93, 0.0]
    """

    name = "answer_relevance"
    version = 6  # cached scores of the plain cosine (1) not reused; 3: words of every script; 4: numbers' points, signs;
    # 5: digits of every script, Thai, Lao, Khmer and Burmese letters, Korean syllables; 6: numbers in words,
    # dates and amounts in one form
    requires = ("embedder",)

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        on_topic = cosine_pairs(self.embedder, [s.question for s in samples],
                                [f"{s.question} {s.answer}" for s in samples])
        return [_adds(s.question, s.answer) * _type_fit(s.question, s.answer) * c for s, c in zip(samples, on_topic)]


_POLAR_QUESTION = re.compile(r"^(is|are|was|were|do|does|did|can|could|may|must|should|will|would|has|have|had)\b",
                             re.IGNORECASE)
_QUANTITY_QUESTION = re.compile(
    r"^(?:\w+ )?(?:how (?:many|much|long|often|old|far|soon|big|large|high|fast|early|late)|when|by when|until when"
    r"|what (?:percentage|percent|number|amount|proportion|fraction|size|length|year|date|time|day|deadline))\b",
    re.IGNORECASE)
# Searched in the answer with its numbers in words as digits ("fourteen" was not on the list before that).
_QUANTITY = re.compile(r"\d|\b(?:one|half|once|twice|none|daily|weekly|monthly|yearly|annually|hourly|immediately|never"
                       r"|always)\b", re.IGNORECASE)


def _adds(question: str, answer: str) -> float:
    asked = {stem(t) for t in content_tokens(question)}
    if {stem(t) for t in content_tokens(answer)} - asked:
        return 1.0
    words = tokens(answer)
    return 1.0 if words and words[0] in ("yes", "no") and _POLAR_QUESTION.match(question.strip()) else 0.0


def _type_fit(question: str, answer: str) -> float:
    wants_number = _QUANTITY_QUESTION.match(question.strip())
    return 0.5 if wants_number and not _QUANTITY.search(one_form(answer.lower())) else 1.0


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

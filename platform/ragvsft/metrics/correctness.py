"""Correctness against the gold answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ragvsft.embedders import Embedder
from ragvsft.metrics.base import Sample, cosine_pairs
from ragvsft.metrics.text import normalize_answer, tokens


class ExactMatch:
    """1.0 when the normalised answer equals the normalised gold answer.

    Example:
        >>> ExactMatch().score([Sample("q", "The 14 bar.", "14 bar"), Sample("q", "14", "14 bar")])
        [1.0, 0.0]
    """

    name = "exact_match"
    version = 4  # 2: punctuation of every script dropped, CJK characters tokens; 3: decimal points and minus signs kept;
    # 4: digits of every script read as ASCII, Thai, Lao, Khmer and Burmese letters tokens

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [float(normalize_answer(s.answer) == normalize_answer(s.gold_answer)) for s in samples]


def token_f1(answer: str, gold: str) -> float:
    # 1. Bag-of-tokens overlap after SQuAD normalisation.
    predicted, expected = tokens(answer), tokens(gold)
    if not predicted or not expected:
        return float(predicted == expected)
    common = sum((Counter(predicted) & Counter(expected)).values())
    if common == 0:
        return 0.0
    # 2. Harmonic mean of precision (share of the answer that is gold) and recall.
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


class TokenF1:
    """SQuAD token F1: partial credit for a partly right answer.

    Example:
        >>> TokenF1().score([Sample("q", "Ines Marlow approves it", "Ines Marlow")])
        [0.6666666666666666]
    """

    name = "token_f1"
    version = 4  # 2: punctuation of every script dropped, CJK characters tokens; 3: decimal points and minus signs kept;
    # 4: digits of every script read as ASCII, Thai, Lao, Khmer and Burmese letters tokens

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [token_f1(s.answer, s.gold_answer) for s in samples]


class AnswerRecall:
    """Share of the gold answer's tokens that the answer contains: fair to models that answer in full sentences.

    Example:
        >>> AnswerRecall().score([Sample("q", "Full-timers get 27 days a year.", "27 days"), Sample("q", "", "27 days")])
        [1.0, 0.0]
    """

    name = "answer_recall"
    version = 4  # 2: punctuation of every script dropped, CJK characters tokens; 3: decimal points and minus signs kept;
    # 4: digits of every script read as ASCII, Thai, Lao, Khmer and Burmese letters tokens

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        scores: list[float | None] = []
        for s in samples:
            # 1. Gold tokens, counted with multiplicity ("1 in 1" needs two 1s).
            expected = Counter(tokens(s.gold_answer))
            # 2. How many of them the answer has.
            found = sum((expected & Counter(tokens(s.answer))).values())
            scores.append(found / sum(expected.values()) if expected else None)
        return scores


class SemanticSimilarity:
    """Cosine of answer and gold-answer embeddings, clipped to [0, 1]; 0 for an empty answer.

    Example:
        >>> SemanticSimilarity(embedder).score([Sample("q", "twenty-seven days", "27 days")])  # doctest: +SKIP
        [0.83]
    """

    name = "semantic_similarity"
    requires = ("embedder",)

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        cosines = cosine_pairs(self.embedder, [s.answer for s in samples], [s.gold_answer for s in samples])
        return [c if s.answer.strip() else 0.0 for s, c in zip(samples, cosines)]

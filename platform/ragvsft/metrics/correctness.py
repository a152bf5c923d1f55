"""Correctness against the gold answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ragvsft.metrics.base import Sample
from ragvsft.metrics.text import normalize_answer, tokens


class ExactMatch:
    """1.0 when the normalised answer equals the normalised gold answer.

    Example:
        >>> ExactMatch().score([Sample("q", "The 14 bar.", "14 bar"), Sample("q", "14", "14 bar")])
        [1.0, 0.0]
    """

    name = "exact_match"

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [float(normalize_answer(s.answer) == normalize_answer(s.gold)) for s in samples]


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

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [token_f1(s.answer, s.gold) for s in samples]

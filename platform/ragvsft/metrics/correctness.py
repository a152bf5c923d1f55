"""Correctness against the gold answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ragvsft.embedders import Embedder
from ragvsft.metrics.base import Sample, cosine_pairs
from ragvsft.metrics.text import NORMALIZATION_VERSION, normalize_answer, tokens


class ExactMatch:
    """1.0 when the normalised answer equals the normalised gold answer (or one of ``also_accept``).

    Example:
        >>> ExactMatch().score([Sample("q", "The 14 bar.", "14 bar"), Sample("q", "14", "14 bar"),
        ...                     Sample("q", "fourteen bar", "14 bar", also_accept=("fourteen bar",))])
        [1.0, 0.0, 1.0]
    """

    name = "exact_match"
    version = NORMALIZATION_VERSION  # cached scores of an earlier normalisation miss

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [float(normalize_answer(s.answer) in {normalize_answer(g) for g in s.golds}) for s in samples]


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
    """SQuAD token F1: partial credit for a partly right answer (against the best of the gold answer and
    ``also_accept``, as SQuAD scores against the best of its reference answers).

    Example:
        >>> TokenF1().score([Sample("q", "Ines Marlow approves it", "Ines Marlow")])
        [0.6666666666666666]
    """

    name = "token_f1"
    version = NORMALIZATION_VERSION  # cached scores of an earlier normalisation miss

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return [max(token_f1(s.answer, g) for g in s.golds) for s in samples]


class AnswerRecall:
    """Share of the gold answer's tokens that the answer contains: fair to models that answer in full sentences
    (the best of the gold answer and ``also_accept``).

    Example:
        >>> AnswerRecall().score([Sample("q", "Full-timers get 27 days a year.", "27 days"), Sample("q", "", "27 days")])
        [1.0, 0.0]
    """

    name = "answer_recall"
    version = NORMALIZATION_VERSION  # cached scores of an earlier normalisation miss

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        scores: list[float | None] = []
        for s in samples:
            recalls = [r for g in s.golds if (r := _recall(s.answer, g)) is not None]
            scores.append(max(recalls) if recalls else None)
        return scores


def _recall(answer: str, gold: str) -> float | None:
    # 1. Gold tokens, counted with multiplicity ("1 in 1" needs two 1s).
    expected = Counter(tokens(gold))
    # 2. How many of them the answer has (a gold of punctuation only has none to find).
    found = sum((expected & Counter(tokens(answer))).values())
    return found / sum(expected.values()) if expected else None


class SemanticSimilarity:
    """Cosine of answer and gold-answer embeddings (the best of the gold answer and ``also_accept``), clipped to
    [0, 1]; 0 for an empty answer.

    Example:
        >>> SemanticSimilarity(embedder).score([Sample("q", "twenty-seven days", "27 days")])  # doctest: +SKIP
        [0.83]
    """

    name = "semantic_similarity"
    requires = ("embedder",)

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        # One pair per answer that counts (one batch for all), then each sample's best.
        owners = [i for i, s in enumerate(samples) for _ in s.golds]
        cosines = cosine_pairs(self.embedder, [s.answer for s in samples for _ in s.golds],
                               [g for s in samples for g in s.golds])
        best = [0.0] * len(samples)
        for i, c in zip(owners, cosines):
            best[i] = max(best[i], c)
        return [c if s.answer.strip() else 0.0 for s, c in zip(samples, best)]

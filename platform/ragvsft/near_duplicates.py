"""Questions asked twice in other words: for de-duplication and the train/eval leak check.

Two pairs are near-duplicates when their questions' embedding cosine is at least ``threshold``, their answers
agree (token F1 ≥ 0.5) and their questions name the same codes and numbers. Embeddings alone confuse templated
questions: with MiniLM, "What caused incident X?" and "What first brought incident X to notice?" are at 0.92
(other answers), and the same question about incidents X and Y at 0.86 (other codes).

An eval question whose paraphrase is in the training split measures recall of a trained question, not answering:
the fine-tuned arm looks better than it is (unless that is the point: a ``seen_fact`` slice). Exact repeats are
refused when ``qa.jsonl`` loads; paraphrases need an embedder, so ``ragvsft check`` counts them and
``ragvsft synthesize`` never writes them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ragvsft.embedders import Embedder
from ragvsft.metrics.correctness import token_f1
from ragvsft.metrics.text import tokens
from ragvsft.qa import QAPair

BLOCK = 1024  # rows of the cosine matrix held at once: memory grows with one side only (a 100,000-question set)
SAME_ANSWER_F1 = 0.5  # answers at least this token F1 apart say the same thing ("22 weeks" / "22 weeks of leave")


@dataclass(frozen=True)
class Leak:
    """An eval question, the training question it repeats, and their questions' cosine."""

    eval_id: str
    train_id: str
    similarity: float


def keep_distinct(questions: Sequence[str], answers: Sequence[str], embedder: Embedder, threshold: float) -> list[int]:
    """Indices of the pairs to keep, in order: a pair is dropped when it near-duplicates one already kept.

    Example:
        >>> keep_distinct(["How long is leave?", "How long is the leave?"], ["22 weeks", "22 weeks"], emb, 0.9)  # doctest: +SKIP
        [0]
    """
    if not questions:
        return []
    vectors = embedder.embed(list(questions))  # unit rows: the product is the cosine
    kept = np.zeros(len(questions), dtype=bool)
    for start in range(0, len(questions), BLOCK):
        similarity = vectors[start:start + BLOCK] @ vectors[:start + BLOCK].T
        for row, i in enumerate(range(start, min(start + BLOCK, len(questions)))):
            close = np.flatnonzero((similarity[row, :i] >= threshold) & kept[:i])
            kept[i] = not any(_same(questions[i], answers[i], questions[j], answers[j]) for j in close)
    return np.flatnonzero(kept).tolist()


def train_eval_leaks(pairs: Sequence[QAPair], embedder: Embedder, threshold: float) -> list[Leak]:
    """Eval pairs that near-duplicate a training pair, most similar first."""
    train = [p for p in pairs if p.split == "train"]
    evals = [p for p in pairs if p.split == "eval"]
    if not train or not evals:
        return []
    eval_vectors, train_vectors = embedder.embed([p.question for p in evals]), embedder.embed([p.question for p in train])
    leaks = []
    for start in range(0, len(evals), BLOCK):
        similarity = eval_vectors[start:start + BLOCK] @ train_vectors.T
        close = similarity >= threshold
        for row in np.flatnonzero(close.any(axis=1)):
            e = evals[start + row]
            twins = [(float(similarity[row, j]), train[j].id) for j in np.flatnonzero(close[row])
                     if _same(e.question, e.answer, train[j].question, train[j].answer)]
            if twins:
                best, twin = max(twins)
                leaks.append(Leak(e.id, twin, best))
    return sorted(leaks, key=lambda leak: -leak.similarity)


def _same(question: str, answer: str, other_question: str, other_answer: str) -> bool:
    """Whether two similar questions ask the same thing: same codes and numbers, answers that agree."""
    return _codes(question) == _codes(other_question) and token_f1(answer, other_answer) >= SAME_ANSWER_F1


@functools.lru_cache(maxsize=1 << 16)  # a question meets many close ones: tokenised once, not at each meeting
def _codes(text: str) -> frozenset[str]:
    """Tokens holding a digit: ids, codes, numbers, dates — what embeddings blur and a question's meaning hangs on."""
    return frozenset(t for t in tokens(text) if any(ch.isdigit() for ch in t))

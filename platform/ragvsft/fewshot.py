"""Worked examples for few-shot prompting: for each question, the most similar training questions and answers.

Chosen by embedding cosine between questions (the experiment's embedder),
ties broken by the pool's order, so the choice is deterministic. The pool is
the training split: the loader already refuses a question in both splits, and
a pool question with the same ``question_key`` (case, spacing and punctuation aside) is skipped
all the same, so
an eval question never shows up as its own example.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ragvsft.embedders import Embedder
from ragvsft.qa import QAPair, question_key


def pick_shots(questions: Sequence[QAPair], pool: Sequence[QAPair], n: int,
               embedder: Embedder) -> dict[str, tuple[QAPair, ...]]:
    """Question id -> its ``n`` most similar pool pairs, most similar first (``{}`` when ``n`` is 0).

    Example:
        >>> shots = pick_shots(corpus.split("eval"), corpus.split("train"), 2, embedder)  # doctest: +SKIP
        >>> [p.question for p in shots["q7"]]  # doctest: +SKIP
        ['Who approves travel over 2,000 EUR?', 'Who signs off on conference travel?']
    """
    if n <= 0 or not questions or not pool:
        return {}
    vectors = embedder.embed([p.question for p in pool] + [q.question for q in questions])  # unit rows
    similarity = vectors[len(pool):] @ vectors[: len(pool)].T
    pool_keys = [question_key(p.question) for p in pool]
    out = {}
    for qa, row in zip(questions, similarity):
        key = question_key(qa.question)
        ranked = (int(i) for i in np.argsort(-row, kind="stable"))
        picked = [pool[i] for i in ranked if pool_keys[i] != key]
        out[qa.id] = tuple(picked[:n])
    return out


def shot_pairs(shots: Sequence[QAPair]) -> list[tuple[str, str]]:
    """(question, gold answer) tuples, as ``PromptTemplate.messages`` takes them.

    Example:
        >>> shot_pairs([QAPair("t1", "Max bar?", "14 bar", (), "train", ())])
        [('Max bar?', '14 bar')]
    """
    return [(p.question, p.answer) for p in shots]

"""Worked examples for few-shot prompting: for each question, the most similar training questions and answers.

Chosen by embedding cosine between questions (the experiment's embedder),
ties broken by the pool's order, so the choice is deterministic. The pool is
the training split: the loader already refuses a question in both splits, and
a pool question with the same ``question_key`` (case, spacing and punctuation aside) is skipped
all the same, so an eval question never shows up as its own example.

Evaluation and the server pick through the same :class:`ExamplePool`: the pool embedded in one call of its own,
each question as retrieval embeds it (``embed_queries``), so a served question gets the examples its evaluation had.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ragvsft.embedders import Embedder
from ragvsft.qa import QAPair, question_key
from ragvsft.retriever import embed_queries

Example = tuple[str, str]  # (question, gold answer), as PromptTemplate.messages takes its shots


class ExamplePool:
    """Training (question, answer) pairs and their vectors; ``pick`` gives each question its most similar pairs.

    Example:
        >>> pool = ExamplePool([("Max bar of the X-100?", "12 bar"), ("Who signs travel?", "Ines Marlow")], embedder)
        ... # doctest: +SKIP
        >>> pool.pick(["Who approves travel?"], embedder.embed(["Who approves travel?"]), 1)  # doctest: +SKIP
        [(('Who signs travel?', 'Ines Marlow'),)]
    """

    def __init__(self, pairs: Sequence[Example], embedder: Embedder) -> None:
        self.pairs = tuple((str(q), str(a)) for q, a in pairs)
        self._keys = [question_key(q) for q, _ in self.pairs]
        self._vectors = embedder.embed([q for q, _ in self.pairs]) if self.pairs else np.empty((0, embedder.dim))

    def pick(self, questions: Sequence[str], vectors: np.ndarray, n: int) -> list[tuple[Example, ...]]:
        """For each question (its unit vector a row of ``vectors``), the ``n`` most similar pairs, most similar
        first, never one that is the question itself."""
        if n <= 0 or not self.pairs:
            return [() for _ in questions]
        out = []
        for question, row in zip(questions, vectors @ self._vectors.T):
            key, picked = question_key(question), []
            for i in np.argsort(-row, kind="stable"):
                if self._keys[i] != key:
                    picked.append(self.pairs[i])
                    if len(picked) == n:
                        break
            out.append(tuple(picked))
        return out


def examples_of(pairs: Sequence[QAPair]) -> list[Example]:
    """(question, gold answer) of each pair: a pool as releases keep it.

    Example:
        >>> examples_of([QAPair("t1", "Max bar?", "14 bar", (), "train", ())])
        [('Max bar?', '14 bar')]
    """
    return [(p.question, p.answer) for p in pairs]


def pick_shots(questions: Sequence[QAPair], pool: Sequence[QAPair], n: int, embedder: Embedder, *,
               alone: bool = False) -> dict[str, tuple[Example, ...]]:
    """Question id -> its ``n`` most similar pool pairs as (question, answer), most similar first (``{}`` when ``n``
    is 0). ``alone`` embeds each question in its own call, as retrieval does under ``model.batch_invariant``.

    Example:
        >>> shots = pick_shots(corpus.split("eval"), corpus.split("train"), 2, embedder)  # doctest: +SKIP
        >>> [q for q, _ in shots["q7"]]  # doctest: +SKIP
        ['Who approves travel over 2,000 EUR?', 'Who signs off on conference travel?']
    """
    if n <= 0 or not questions or not pool:
        return {}
    texts = [q.question for q in questions]
    picked = ExamplePool(examples_of(pool), embedder).pick(
        texts, embed_queries(embedder, texts, alone=alone), n)
    return {qa.id: shots for qa, shots in zip(questions, picked)}

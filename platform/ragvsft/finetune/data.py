"""Training examples from question/answer pairs: the two data recipes.

``closed_book``: question -> answer, so the model stores the facts.
``raft`` (Zhang et al. 2024): question + retrieved passages -> answer; in a
``gold_fraction`` of examples one passage comes from the question's source
document, otherwise all passages are distractors. The model learns to use a
gold passage when there is one and to fall back on what it memorised when
there is none. Both build prompts with ``PromptTemplate`` so training and
evaluation see the same messages.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ragvsft.chunking import Chunk
from ragvsft.errors import RagvsftError
from ragvsft.prompts import Message, PromptTemplate
from ragvsft.qa import QAPair
from ragvsft.retriever import Retriever

CANDIDATES_PER_PASSAGE = 3  # retrieve k * 3 chunks so k - 1 distractors remain after the gold ones are set aside


@dataclass(frozen=True)
class TrainExample:
    """One supervised example: chat messages up to the assistant turn, and the answer to learn.

    Example:
        >>> ex = closed_book_examples([QAPair("q1", "Who signs travel?", "Ines Marlow", (), "train", ())],
        ...                           PromptTemplate(system=""))[0]
        >>> ex.id, ex.messages, ex.answer
        ('q1:closed_book', [{'role': 'user', 'content': 'Question: Who signs travel?'}], 'Ines Marlow')
    """

    id: str  # "<pair id>:<recipe>", unique when recipes are mixed
    messages: list[Message]
    answer: str
    passage_ids: tuple[str, ...] = ()  # chunk ids in the prompt, in prompt order (raft only)


Recipe = Callable[..., list[TrainExample]]  # (pairs, template, *, retriever, k, gold_fraction, seed)


def closed_book_examples(
    pairs: Sequence[QAPair],
    template: PromptTemplate,
    *,
    retriever: Retriever | None = None,
    k: int = 3,
    gold_fraction: float = 0.8,
    seed: int = 0,
) -> list[TrainExample]:
    """Question -> answer. The retrieval arguments are accepted and ignored, so every recipe is called alike.

    Example:
        >>> [e.answer for e in closed_book_examples(pairs, PromptTemplate())]  # doctest: +SKIP
        ['27 days', ...]
    """
    return [TrainExample(f"{p.id}:closed_book", template.messages(p.question), p.answer) for p in pairs]


def raft_examples(
    pairs: Sequence[QAPair],
    template: PromptTemplate,
    *,
    retriever: Retriever | None = None,
    k: int = 3,
    gold_fraction: float = 0.8,
    seed: int = 0,
) -> list[TrainExample]:
    """Question + ``k`` passages -> answer; a gold passage in about ``gold_fraction`` of the examples.

    Gold chunks are retrieved chunks whose ``doc_id`` is one of the pair's
    ``sources``; distractors are the best-ranked other chunks (hard
    negatives, as in RAFT). If retrieval finds no gold chunk, the example gets
    distractors only. A pair without ``sources`` cannot tell gold from
    distractor: it gets the top ``k`` chunks as they come, which teaches
    reading context without a claim about where the answer is.

    Each pair draws from its own ``Random(f"{seed}/{pair.id}")``: the same
    seed gives the same examples, and adding or removing a pair changes no
    other pair's passages.

    Example:
        >>> examples = raft_examples(pairs, PromptTemplate(), retriever=BM25Retriever(chunks), k=3,
        ...                          gold_fraction=0.8, seed=0)  # doctest: +SKIP
        >>> examples[0].passage_ids  # doctest: +SKIP
        ('policies/travel.md#2', 'policies/annual-leave.md#0', 'it/laptops.md#1')
    """
    if retriever is None:
        raise RagvsftError("the 'raft' recipe needs a retriever to pick passages (and distractors)")
    if k < 1 or not 0.0 <= gold_fraction <= 1.0:
        raise ValueError(f"need k >= 1 and gold_fraction in [0, 1], got k={k}, gold_fraction={gold_fraction}")
    candidates = retriever.search_many([p.question for p in pairs], k * CANDIDATES_PER_PASSAGE)
    examples = []
    for pair, hits in zip(pairs, candidates):
        rng = random.Random(f"{seed}/{pair.id}")
        gold = [h.chunk for h in hits if h.chunk.doc_id in pair.sources]
        # A copy of a gold passage (the document saved twice) is no distractor, and no text is shown twice.
        shown = {c.text for c in gold}
        distractors = []
        for hit in hits:
            if hit.chunk.text not in shown:
                shown.add(hit.chunk.text)
                distractors.append(hit.chunk)
        # Draw before looking at `gold`, so a retrieval miss does not change the draws that follow.
        with_gold = rng.random() < gold_fraction and bool(gold)
        passages: list[Chunk] = gold[:1] + distractors[: k - 1] if with_gold else distractors[:k]
        rng.shuffle(passages)  # or the model learns "the answer is in passage [1]"
        examples.append(TrainExample(f"{pair.id}:raft", template.messages(pair.question, [c.text for c in passages]),
                                     pair.answer, tuple(c.id for c in passages)))
    return examples


RECIPES: dict[str, Recipe] = {"closed_book": closed_book_examples, "raft": raft_examples}


def training_subset(pairs: Sequence[QAPair], fraction: float, seed: int) -> list[QAPair]:
    """The first ``ceil(fraction * n)`` pairs in a seeded hash order of their ids (input order kept): the same
    subset on every machine, and a smaller fraction's pairs are all in a larger one's, so a learning curve adds
    examples instead of swapping them.

    Example:
        >>> pairs = [QAPair(f"q{i}", "?", "a", (), "train", ()) for i in range(8)]
        >>> half, quarter = training_subset(pairs, 0.5, 0), training_subset(pairs, 0.25, 0)
        >>> len(half), len(quarter), set(quarter) <= set(half)
        (4, 2, True)
    """
    keep = math.ceil(fraction * len(pairs))
    order = sorted(pairs, key=lambda qa: hashlib.sha256(f"{seed}:{qa.id}".encode()).hexdigest())
    chosen = {qa.id for qa in order[:keep]}
    return [qa for qa in pairs if qa.id in chosen]


def dropped_message(dropped: Sequence[str], total: int, max_length: int) -> str:
    """What to tell the user when training left examples out because their answer alone exceeds ``max_length``.

    Example:
        >>> dropped_message(["q7:closed_book"], 228, 512).split(":")[0]
        '1 of 228 training examples left out'
    """
    return (f"{len(dropped)} of {total} training examples left out: their answer alone is longer than "
            f"finetune.max_length={max_length} tokens (e.g. {', '.join(dropped[:3])}); raise it to train on them")

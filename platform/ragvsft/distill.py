"""Training answers from a labeller model (``finetune.targets = "labeller"``): distillation.

The small model is trained on what a larger one answers, not on the gold answers, so a team can measure
"small model trained on a large model's answers" as one more arm. The labeller answers each training question as
the RAG arm would ask it, with the question's source documents as the passages (the teacher should know the
answer; retrieval quality is not what is distilled), in the experiment's own prompt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from ragvsft.generators.base import Generator
from ragvsft.prompts import PromptTemplate
from ragvsft.qa import QAPair

SOURCE_CHARS = 4000  # of each source document shown to the labeller: enough for a policy page, bounded for a manual


def labeller_targets(pairs: Sequence[QAPair], documents: Mapping[str, str], labeller: Generator,
                     template: PromptTemplate, *, max_new_tokens: int) -> tuple[list[QAPair], int]:
    """``pairs`` with each answer replaced by the labeller's, and how many kept their gold answer because the
    labeller's reply was empty (counted, never hidden).

    Example:
        >>> taught, kept_gold = labeller_targets(train, {d.id: d.text for d in corpus.documents}, teacher,
        ...                                      PromptTemplate(), max_new_tokens=64)  # doctest: +SKIP
    """
    conversations = [template.messages(p.question, [documents[s][:SOURCE_CHARS] for s in p.sources] or None)
                     for p in pairs]
    replies = labeller.generate(conversations, max_new_tokens=max_new_tokens)
    taught = [dataclasses.replace(p, answer=r.text.strip()) if r.text.strip() else p for p, r in zip(pairs, replies)]
    return taught, sum(not r.text.strip() for r in replies)

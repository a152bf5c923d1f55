"""Training examples -> token ids and labels.

The prompt is rendered by ``ragvsft.prompts.render_prompt``, the function
generation uses too, so training sees exactly the ids the model reads at
answer time; the answer and the end-of-turn token follow, and only those carry a label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ragvsft.errors import RagvsftError
from ragvsft.finetune.data import TrainExample
from ragvsft.prompts import render_prompt

IGNORE_INDEX = -100  # label of tokens without loss (prompt, padding); PyTorch's and Hugging Face's convention


class AnswerTooLongError(RagvsftError):
    """An example's answer (plus its end token) does not fit ``max_length`` at all."""


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of prompt + answer + end-of-turn, with labels set only on answer + end-of-turn.

    Example:
        >>> enc = encode_example(tokenizer, example, max_length=384)  # doctest: +SKIP
        >>> tokenizer.decode([t for t in enc.labels if t != IGNORE_INDEX])  # doctest: +SKIP
        '27 days<|im_end|>'
    """

    id: str
    input_ids: tuple[int, ...]
    labels: tuple[int, ...]  # IGNORE_INDEX on prompt tokens, else equal to input_ids
    truncated: bool  # the prompt was cut from the left to fit max_length

    @property
    def answer_tokens(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


def answer_ids(tokenizer: Any, answer: str) -> list[int]:
    """The tokens training learns for an answer: its text, then the end-of-turn token. Leaves no room for a prompt
    when it holds ``max_length`` tokens or more (``ragvsft check`` counts them up front)."""
    return tokenizer(answer, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]


def encode_example(tokenizer: Any, example: TrainExample, *, max_length: int) -> EncodedExample:
    """Tokenize one example; a prompt that does not fit loses tokens from its start, never the answer.

    The end-of-turn token is ``tokenizer.eos_token`` (``<|im_end|>`` for
    ChatML models such as SmolLM2 and Qwen): generation stops there, so the
    model must learn to emit it after the answer.
    """
    answer = answer_ids(tokenizer, example.answer)
    room = max_length - len(answer)
    if room < 1:
        raise AnswerTooLongError(f"example {example.id}: the answer is {len(answer)} tokens, too long for "
                           f"max_length={max_length}; raise finetune.max_length or shorten the answer")
    prompt = render_prompt(tokenizer, example.messages, max_tokens=room)
    return EncodedExample(example.id, prompt.ids + tuple(answer), (IGNORE_INDEX,) * len(prompt.ids) + tuple(answer),
                          prompt.truncated)


def collate(batch: Sequence[EncodedExample], *, pad_token_id: int) -> dict[str, torch.Tensor]:
    """Right-pad a batch: ``input_ids``, ``attention_mask`` and ``labels`` (IGNORE_INDEX on padding).

    Example:
        >>> collate([EncodedExample("a", (5, 6, 7), (-100, 6, 7), False),
        ...          EncodedExample("b", (5, 8), (-100, 8), False)], pad_token_id=0)["labels"].tolist()
        [[-100, 6, 7], [-100, 8, -100]]
    """
    width = max(len(e.input_ids) for e in batch)
    input_ids = torch.full((len(batch), width), pad_token_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE_INDEX, dtype=torch.long)
    attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, example in enumerate(batch):
        n = len(example.input_ids)
        input_ids[row, :n] = torch.tensor(example.input_ids)
        labels[row, :n] = torch.tensor(example.labels)
        attention_mask[row, :n] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}

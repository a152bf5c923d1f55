"""LoRA fine-tuning: a plain PyTorch loop over PEFT, loss on answer tokens only.

Most of a step's time on a small model is the LM head: a (tokens x hidden) by
(hidden x vocab) product, with a 49k vocabulary for SmolLM2. The loss only
needs logits where the next token is an answer token, a few per example
against hundreds of prompt tokens. So the model is asked for exactly those
rows (transformers' ``logits_to_keep`` with a boolean mask): the same numbers
the full forward would give there. On SmolLM2-135M with 384-token examples
the head is about a quarter of a step, so this saves ~1.3x; grouping examples
of similar length into batches saves as much again when short closed-book and
long RAFT examples are mixed, because padding costs as much as real tokens.
On a CPU three more things pay, each in its own module: LoRA dropout drawn and
kept cheaply (``lora_dropout``), the head's loss in chunks (``head_loss``) and
glibc's heap bounded, not lean, while the machine has room (``memory``).
"""

from __future__ import annotations

import inspect
import math
import random
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import get_linear_schedule_with_warmup

from ragvsft.errors import RagvsftError
from ragvsft.finetune.data import TrainExample
from ragvsft.finetune.head_loss import chunked_head_supported, head_cross_entropy
from ragvsft.finetune.lora_dropout import cheap_lora_dropout
from ragvsft.finetune.memory import HeapGuard
from ragvsft.finetune.settings import LoraSettings
from ragvsft.finetune.tokenize import IGNORE_INDEX, AnswerTooLongError, collate, encode_example
from ragvsft.models import LoadedLM


@dataclass(frozen=True)
class StepInfo:
    """Progress after one optimiser step, for a progress bar or a log."""

    step: int  # 1-based
    total_steps: int
    epoch: int  # 1-based
    loss: float  # mean loss per answer token of this step's batch
    tokens: int  # tokens processed so far (prompt + answer, padding excluded)
    elapsed_s: float


@dataclass(frozen=True)
class TrainResult:
    """The trained model and what the run measured.

    Example:
        >>> result = train_lora(lm, examples, LoraSettings())  # doctest: +SKIP
        >>> round(result.trainable_params / result.total_params, 3)  # doctest: +SKIP
        0.035
    """

    losses: list[float]  # one per step
    trainable_params: int
    total_params: int
    train_tokens: int  # tokens processed, prompt included, padding not
    answer_tokens: int  # tokens the loss was taken on
    tokens_per_s: float  # train_tokens / wall_s
    wall_s: float  # the whole call: tokenizing, adapter setup and training
    truncated_examples: int  # prompts cut from the left to fit max_length
    dropped_examples: tuple[str, ...]  # ids of examples left out: their answer alone exceeds max_length
    lean_heap_from_step: int  # the first step whose freed memory went straight back to the kernel; 0: none
    model: Any  # peft.PeftModel, in eval mode


def answer_only_logits_supported(model: Any) -> bool:
    """Whether ``model(..., logits_to_keep=<bool mask>)`` returns logits only at the masked positions.

    Every causal LM in transformers 5 does; older versions took only an int or
    a 1-D tensor there, so this asks the installed version rather than guessing.

    Example:
        >>> answer_only_logits_supported(lm.model)  # doctest: +SKIP
        True
    """
    try:
        from transformers.modeling_utils import slice_logits_to_keep
    except ImportError:
        return False
    if "logits_to_keep" not in inspect.signature(model.forward).parameters:
        return False
    mask = torch.tensor([[True, False, True], [False, False, True]])
    return tuple(slice_logits_to_keep(torch.zeros(2, 3, 1), mask).shape) == (3, 1)


HeadMode = Literal["chunked", "answer", "full"]
"""How the loss reaches the LM head: ``chunked`` (:mod:`ragvsft.finetune.head_loss`, least memory), ``answer``
(transformers computes logits at the labelled positions only), ``full`` (logits everywhere: the fallback)."""


def causal_lm_loss(model: Any, batch: dict[str, torch.Tensor], *, head: HeadMode = "answer") -> torch.Tensor:
    """Mean next-token cross-entropy over the labelled tokens of a right-padded batch.

    With ``answer`` or ``chunked`` the LM head runs only at positions whose
    next token has a label; the result equals the full-logits loss (Hugging
    Face's ``model(labels=...)``) up to float rounding.

    Example:
        >>> batch = collate([encode_example(lm.tokenizer, e, max_length=384) for e in examples[:8]],
        ...                 pad_token_id=lm.tokenizer.pad_token_id)  # doctest: +SKIP
        >>> causal_lm_loss(lm.model, batch).item()  # doctest: +SKIP
        3.8125
    """
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"], "use_cache": False}
    targets = batch["labels"][:, 1:]  # position t predicts token t + 1
    if head == "full":
        logits = model(**inputs).logits[:, :-1]
        return F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
    keep = F.pad(targets != IGNORE_INDEX, (0, 1), value=False)  # the last position predicts nothing
    if head == "chunked":
        return head_cross_entropy(model, batch, keep, targets[targets != IGNORE_INDEX])
    logits = model(**inputs, logits_to_keep=keep).logits  # (labelled tokens, vocab), rows in (batch, position) order
    return F.cross_entropy(logits.float(), targets[targets != IGNORE_INDEX])


GROUP_WINDOW_BATCHES = 16  # length-sort within windows this many batches wide, so order stays mostly random


def batch_indices(lengths: Sequence[int], batch_size: int, *, rng: random.Random, group_by_length: bool) -> list[list[int]]:
    """One epoch's batches of example indices: shuffled, optionally grouped by length.

    Example:
        >>> batch_indices([5, 50, 6, 48], 2, rng=random.Random(0), group_by_length=True)
        [[1, 3], [2, 0]]
    """
    order = list(range(len(lengths)))
    rng.shuffle(order)
    if group_by_length:
        window = batch_size * GROUP_WINDOW_BATCHES
        order = [i for start in range(0, len(order), window)
                 for i in sorted(order[start : start + window], key=lambda i: lengths[i], reverse=True)]
    batches = [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    if group_by_length:
        rng.shuffle(batches)  # or every window would start with its longest batch
    return batches


def micro_batches(lengths: Sequence[int], indices: Sequence[int], max_tokens: int) -> list[list[int]]:
    """``indices`` (one optimiser step's examples) split so that each part's padded size, rows x longest row,
    stays within ``max_tokens``; longest first, so rows of similar length share a part. ``max_tokens`` 0 keeps
    the batch whole; an example longer than ``max_tokens`` gets a part of its own.

    Example:
        >>> micro_batches([100, 300, 120, 280], [0, 1, 2, 3], max_tokens=600)
        [[1, 3], [2, 0]]
        >>> micro_batches([100, 300, 120, 280], [0, 1, 2, 3], max_tokens=0)
        [[0, 1, 2, 3]]
    """
    if max_tokens <= 0:
        return [list(indices)]
    parts: list[list[int]] = []
    for i in sorted(indices, key=lambda i: lengths[i], reverse=True):
        # Longest first: a part's first row sets its width, so adding a row costs exactly that width.
        if parts and (len(parts[-1]) + 1) * lengths[parts[-1][0]] <= max_tokens:
            parts[-1].append(i)
        else:
            parts.append([i])
    return parts


def train_lora(
    lm: LoadedLM,
    examples: Sequence[TrainExample],
    settings: LoraSettings,
    *,
    seed: int = 0,
    on_step: Callable[[StepInfo], None] | None = None,
    torch_threads: int | None = None,
    init_adapter: Path | None = None,
) -> TrainResult:
    """Train a LoRA adapter on ``examples``; deterministic for a given ``seed`` on one machine.

    ``seed`` draws the LoRA initialisation, dropout and the example order: same seed, same adapter.
    ``init_adapter`` (a saved adapter on the same base model, same rank and target modules) warm-starts training
    from its weights instead of a fresh initialisation.

    The adapter layers are injected into ``lm.model`` in place (PEFT's way):
    load a fresh model to train again.

    Example:
        >>> lm = load_lm("SmolLM2-135M-Instruct", cache_dir=Path(".cache/ragvsft"))  # doctest: +SKIP
        >>> result = train_lora(lm, closed_book_examples(train, PromptTemplate()), LoraSettings(epochs=3), seed=0,
        ...                     on_step=lambda s: print(s.step, s.total_steps, f"{s.loss:.3f}"))  # doctest: +SKIP
        1 12 3.412
        ...
    """
    started = time.perf_counter()
    if not examples:
        raise RagvsftError("no training examples")
    if torch_threads:
        torch.set_num_threads(torch_threads)
    # 1. Seed everything that draws: LoRA init (torch), dropout (torch), example order (our Random).
    random.seed(seed)
    torch.manual_seed(seed)
    order_rng = random.Random(seed)

    # 2. Tokenize once; the same ids are reused every epoch.
    #    An answer longer than max_length cannot be learnt whole: that example is left out and counted, so one
    #    overlong answer in a corpus of support tickets does not stop the run.
    encoded, dropped = [], []
    for example in examples:
        try:
            encoded.append(encode_example(lm.tokenizer, example, max_length=settings.max_length))
        except AnswerTooLongError:
            dropped.append(example.id)
    if not encoded:
        raise RagvsftError(f"every training answer is longer than finetune.max_length={settings.max_length} "
                           "tokens; raise it")
    pad_id = lm.tokenizer.pad_token_id if lm.tokenizer.pad_token_id is not None else lm.tokenizer.eos_token_id

    # 3. Wrap the model: only the LoRA matrices train.
    if init_adapter is not None:
        model = PeftModel.from_pretrained(lm.model, str(init_adapter), is_trainable=True)
    else:
        config = LoraConfig(task_type="CAUSAL_LM", r=settings.rank, lora_alpha=settings.alpha,
                            lora_dropout=settings.dropout, target_modules=list(settings.target_modules))
        model = get_peft_model(lm.model, config)
    # The head is frozen once wrapped: the cheapest way to it that this model family allows.
    head: HeadMode = ("chunked" if chunked_head_supported(model) else
                      "answer" if answer_only_logits_supported(lm.model) else "full")
    if head == "full":
        warnings.warn(f"{type(lm.model).__name__} cannot return logits for selected positions only "
                      "(logits_to_keep); training computes full logits at every position, which is slower", stacklevel=2)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=settings.learning_rate, weight_decay=settings.weight_decay)
    total_steps = settings.epochs * math.ceil(len(encoded) / settings.batch_size)
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(settings.warmup_ratio * total_steps), total_steps)

    # 4. The loop: shuffle (and group by length), batch, forward to the answer positions only, step.
    losses: list[float] = []
    tokens = answer_tokens = 0
    lengths = [len(e.input_ids) for e in encoded]
    answers = [e.answer_tokens for e in encoded]  # counted once: the property walks every label
    device = next(model.parameters()).device
    checkpointing = _Checkpointing(model.get_base_model(), settings)
    model.train()
    # The heap bounded for the loop, restored after it; cheap dropout (nn.Dropout: 4x the random draws, 9 bytes kept
    # per element instead of 5).
    with HeapGuard(settings.lean_heap_share, bounded=settings.bound_heap) as heap, cheap_lora_dropout(model):
        lean_from = 1 if heap.lean else 0
        for epoch in range(1, settings.epochs + 1):
            for indices in batch_indices(lengths, settings.batch_size, rng=order_rng, group_by_length=settings.group_by_length):
                # The step's loss is the mean over all its answer tokens, so each micro-batch's mean is weighted by
                # its share of them: the summed gradients are those of the whole batch in one pass.
                step_answer_tokens = sum(answers[i] for i in indices)
                loss = 0.0
                for part in micro_batches(lengths, indices, settings.max_batch_tokens):
                    checkpointing.want(len(part) * max(lengths[i] for i in part))
                    batch = collate([encoded[i] for i in part], pad_token_id=pad_id)
                    batch = {name: tensor.to(device) for name, tensor in batch.items()}
                    part_loss = causal_lm_loss(model, batch, head=head)
                    part_loss = part_loss * (sum(answers[i] for i in part) / step_answer_tokens)
                    part_loss.backward()
                    loss += part_loss.item()
                    tokens += int(batch["attention_mask"].sum())
                if settings.grad_clip > 0:
                    torch.nn.utils.clip_grad_norm_(params, settings.grad_clip)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)

                losses.append(loss)
                if heap.check():  # the process outgrew its share of the machine: memory before speed from here on
                    lean_from = len(losses) + 1
                answer_tokens += step_answer_tokens
                if on_step:
                    on_step(StepInfo(len(losses), total_steps, epoch, losses[-1], tokens, time.perf_counter() - started))
    checkpointing.switch(False)  # the returned model generates: nothing to recompute
    model.eval()

    wall_s = time.perf_counter() - started
    return TrainResult(
        losses=losses,
        trainable_params=sum(p.numel() for p in params),
        total_params=sum(p.numel() for p in model.parameters()),
        train_tokens=tokens,
        answer_tokens=answer_tokens,
        tokens_per_s=tokens / wall_s,
        wall_s=wall_s,
        truncated_examples=sum(e.truncated for e in encoded),
        dropped_examples=tuple(dropped),
        lean_heap_from_step=lean_from,
        model=model,
    )


class _Checkpointing:
    """Turns activation checkpointing on for the micro-batches that need it (``gradient_checkpointing``), off
    for the rest: switching costs only a flag on each layer."""

    def __init__(self, model: Any, settings: LoraSettings) -> None:
        self.model, self.on = model, False
        self.mode, self.budget = settings.gradient_checkpointing, settings.max_batch_tokens

    def want(self, padded_tokens: int) -> None:
        self.switch(self.mode == "on" or (self.mode == "auto" and 0 < self.budget < padded_tokens))

    def switch(self, on: bool) -> None:
        if on == self.on or not getattr(self.model, "supports_gradient_checkpointing", False):
            return
        # transformers 5.2x renamed gradient_checkpointing_* to activation_checkpointing_*; older 5.x and 4.x
        # (which pyproject allows, and GPU images ship) have only the old names.
        renamed = hasattr(self.model, "activation_checkpointing_enable")
        if on:
            # Non-reentrant: needs no input that requires grad (the embeddings are frozen under LoRA).
            kwargs = {"use_reentrant": False}
            if renamed:
                self.model.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
            else:
                self.model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
        else:
            (self.model.activation_checkpointing_disable if renamed else self.model.gradient_checkpointing_disable)()
        self.on = on

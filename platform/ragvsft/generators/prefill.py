"""A batch's key/value cache prefilled in parts, so that one decoding loop can answer prompts of any length.

Why: on a CPU, prefill is paid per (padded) token. A closed-book prompt of 60 tokens padded to a 700-token RAG
prompt costs as much as one, so prompts are prefilled in groups of similar length (``length_groups``), each
group padded only to its own longest prompt. The caches are then stacked, left-padded, into one batch cache, and
``generate`` decodes every row together. Before, each length group was its own ``generate`` call, i.e. its own
decoding loop, and a batch of mixed modes paid two of them (``benchmarks/mixed_batch.py`` has the figures).

``model.batch_invariant`` prefills every prompt alone instead (groups of one row): a row's numbers then do not
depend on the others (``ragvsft.generators.batch_invariant``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

MAX_PADDING = 1.25  # a prefill group may compute at most this many times the tokens its prompts hold


def length_groups(lengths: Sequence[int], max_padding: float = MAX_PADDING) -> list[list[int]]:
    """Rows grouped by prompt length so that padding every row of a group to its longest costs at most
    ``max_padding`` times the real tokens.

    Example:
        >>> length_groups([700, 60, 650, 70, 64])
        [[1, 4, 3], [2, 0]]
    """
    groups: list[list[int]] = []
    total = 0
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        if groups and (len(groups[-1]) + 1) * lengths[i] <= max_padding * (total + lengths[i]):
            groups[-1].append(i)
            total += lengths[i]
        else:
            groups.append([i])
            total = lengths[i]
    return groups


def prefill_groups(net: Any, prompts: Sequence[Sequence[int]], groups: Sequence[Sequence[int]], pad_id: int,
                   scope: Callable[[Sequence[int]], tuple[dict[str, Any], AbstractContextManager]]) -> tuple[Any, Any]:
    """The key/value cache of ``prompts``, one forward pass per group of rows, stacked into one cache left-padded
    to the longest prompt; and each prompt's next-token logits (float32, [rows, vocabulary]). ``scope(group)``
    gives the forward pass's extra arguments and the context to run it in (the group's adapters).

    ``generate`` given the cache of every prompt but its last token, and the padded prompts, computes only each
    row's last prompt token, in the batch.
    """
    import torch
    from transformers import DynamicCache

    device = next(net.parameters()).device
    per_row: dict[int, list[tuple[torch.Tensor, torch.Tensor]]] = {}
    logits: dict[int, torch.Tensor] = {}
    for group in groups:
        extra, context = scope(group)
        if len(group) == 1:  # alone: no padding, no mask (the path batch_invariant's bit-for-bit tests pin)
            inputs: dict[str, Any] = {"input_ids": torch.tensor([list(prompts[group[0]])], device=device)}
        else:
            inputs = left_padded([prompts[i] for i in group], pad_id, device)
        with context:
            # logits_to_keep=1: only the last column's logits are used; for all of a prompt's tokens, the vocabulary
            # projection would be a fifth of the pass's work (49,152 x 576 per token on SmolLM2-135M).
            out = net(**inputs, use_cache=True, logits_to_keep=1, **extra)
        group_width = inputs["input_ids"].shape[1]
        for r, i in enumerate(group):
            start = group_width - len(prompts[i])  # drop the group's padding; the batch's is added below
            per_row[i] = [(layer.keys[r:r + 1, :, start:], layer.values[r:r + 1, :, start:]) for layer in out.cache.layers]
            logits[i] = out.logits[r, -1].float()
    width = max(len(ids) for ids in prompts)

    def stacked(layer: int, part: int) -> torch.Tensor:
        return torch.cat([torch.nn.functional.pad(per_row[i][layer][part], (0, 0, width - len(ids), 0))
                          for i, ids in enumerate(prompts)])

    n_layers = len(per_row[0])
    cache = DynamicCache([(stacked(layer, 0), stacked(layer, 1)) for layer in range(n_layers)], config=net.config)
    return cache, torch.stack([logits[i] for i in range(len(prompts))])


def left_padded(rows: Sequence[Sequence[int]], pad_id: int, device: Any = "cpu") -> dict[str, Any]:
    """Input ids, attention mask and position ids of ``rows`` padded on the left with ``pad_id``, so every row's
    last token sits in the last column; positions count real tokens only (as ``generate`` computes them), so a
    padded row sees the positions it would see alone."""
    import torch

    width = max(len(ids) for ids in rows)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, ids in enumerate(rows):
        input_ids[r, width - len(ids):] = torch.tensor(list(ids), dtype=torch.long)
        mask[r, width - len(ids):] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    return {"input_ids": input_ids.to(device), "attention_mask": mask.to(device), "position_ids": positions.to(device)}

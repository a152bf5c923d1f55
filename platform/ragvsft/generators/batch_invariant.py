"""Answers that do not depend on the batch they are generated in, bfloat16 included (``model.batch_invariant``).

Why: in bfloat16 a row's numbers depend on its batch. Measured on this project's AMX Xeon with SmolLM2-135M:

- oneDNN picks its kernel by the number of rows of a matrix product, and a row's result changes between row
  counts up to 32, about 180 and about 360 (a prompt's prefill computes prompt tokens x rows at once);
- attention over a left-padded batch sums each row's scores in other groups than the row alone does (same
  tokens, shifted by the padding), even when decoding.

So greedy answers changed with the batch: 22 and 25 of 32 demo answers (closed book, 3 chunks) generated in
batches of 8 equalled the ones generated alone, and only 80 % of served answers equalled the evaluated ones.

What this module changes, so that a row's numbers are the same in any batch:

- **prefill**: each prompt but its last token runs alone (no padding, one row count per prompt); the key/value
  caches are then stacked, left-padded, into one batch cache (``ragvsft.generators.prefill``);
- **decoding attention**: row by row, each over its own tokens only (``ATTENTION``; left padding makes them one
  contiguous slice of the cache);
- what stays batched: decoding's matrix products, a row per answer. On the AMX Xeon a bfloat16 product's row does
  not change between 1 and 32 rows (``packed_weights`` keeps to that range too), so batches of up to 32 rows
  are covered; larger batches are not;
- **one-row products** run as two identical rows, the first kept (``use_two_row_products``): on an AMD EPYC Zen 5
  (AVX-512 BF16, no AMX) oneDNN computes a one-row product in another order than products of 2 to 64 rows,
  which agree with each other (measured on random rows for SmolLM2-135M's weight shapes and 1.7B's 2,048- and
  8,192-input ones). For SmolLM2-135M only the 1,536-input ``down_proj`` shows it after rounding to bfloat16, in
  a few rows; but a decoding batch shrinks to one row as its other answers end, and that was enough: 3 of 16
  fine-tuned answers generated alone differed from the same answers in batches of 8, and 3 of 684 served demo
  answers from the evaluated ones. It costs batch 1 about 14 % more time;
- LoRA adapters compute in the model's dtype (``match_adapter_dtype``): PEFT keeps their weights in float32, and
  float32's small products (16 x 576) do change with the row count (1 row against 2 or more, measured).

The cost is a forward pass per prompt instead of one per batch: about 30 ms of per-pass work on this CPU, which
short prompts feel most (measured in ``benchmarks/generation_backends.py``, path ``bf16 batch-invariant``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

ATTENTION = "ragvsft_rowwise"  # the attention implementation's name in transformers' registry


def use_rowwise_attention(model: Any) -> None:
    """Switch ``model`` (a transformers model; a PEFT model shares its modules) to row-by-row decoding attention."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(ATTENTION, _rowwise_attention)
    AttentionMaskInterface.register(ATTENTION, sdpa_mask)  # the masks SDPA gets: True where a row may attend
    model.set_attn_implementation(ATTENTION)


def _rowwise_attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                       attention_mask: torch.Tensor | None, **kwargs: Any) -> tuple[torch.Tensor, None]:
    """SDPA, but a decoding step (one query token) attends row by row over each row's own, unpadded tokens."""
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if query.shape[2] > 1:  # prefill: prompts arrive alone (``prefill_groups``), so there is no batch to split
        return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)
    rows = []
    for row in range(query.shape[0]):
        start = 0
        if attention_mask is not None:  # left padding: a row's tokens are the cache from its first unmasked slot
            allowed = attention_mask[row, 0, -1]
            allowed = allowed if allowed.dtype == torch.bool else allowed == 0
            start = int(allowed.to(torch.int8).argmax())
        out, _ = sdpa_attention_forward(module, query[row:row + 1], key[row:row + 1, :, start:],
                                        value[row:row + 1, :, start:], None, **kwargs)
        rows.append(out)
    return torch.cat(rows), None


def use_two_row_products(net: nn.Module) -> None:
    """Make every linear layer of ``net`` (base weights, packed or 4-bit, and LoRA's) compute a one-row product as
    two identical rows and keep the first, so a row's result is the one it gets in a batch. Layers already set up
    are skipped: call it again after loading an adapter."""
    for module in net.modules():
        if isinstance(module, nn.Linear) and not getattr(module, "two_row_products", False):
            module.register_forward_pre_hook(_doubled_row)
            module.register_forward_hook(_first_row)
            module.two_row_products = True


def _doubled_row(module: nn.Module, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
    x = args[0]
    if x.dim() < 2 or x.numel() != x.shape[-1] or torch.is_grad_enabled():
        return None  # more than one row (or training): as it is
    doubled = torch.cat([x, x])
    doubled.ragvsft_doubled = True  # marks this call for _first_row (a real two-row batch is left alone)
    return (doubled, *args[1:])


def _first_row(module: nn.Module, args: tuple[Any, ...], out: torch.Tensor) -> torch.Tensor | None:
    return out[:1] if getattr(args[0], "ragvsft_doubled", False) else None


def match_adapter_dtype(net: Any) -> None:
    """Cast every LoRA weight of ``net`` to its base weights' dtype (a no-op for a plain model or float32)."""
    dtype = net.get_input_embeddings().weight.dtype
    for name, param in net.named_parameters():
        if "lora_" in name and param.dtype != dtype:
            param.data = param.data.to(dtype)

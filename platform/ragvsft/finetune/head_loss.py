"""The answer tokens' cross-entropy through the LM head a chunk of rows at a time, its gradient taken on the way.

The head turns each answer position's hidden state into logits over the whole vocabulary: for one micro-batch of
1,024 tokens of long answers, 768 rows x 49,152 floats = 151 MB, and autograd holds two or three tensors that size
when the backward pass starts (the log-softmax it saved, its gradient, the logits' gradient). That was 0.4 GB of
the training process's peak (measured in benchmarks/finetune_memory.py).

The loss is the last node of the graph, so its gradient with respect to the hidden rows is known in the forward
pass: softmax minus one-hot, times the head's weight. Computing it there, a chunk of rows at a time, leaves one
chunk's logits alive at any moment and keeps only the rows' gradient (rows x hidden) for the backward pass, which
scales it. Same arithmetic as the unchunked loss, so the same loss and gradients up to float rounding (tested).

It needs the hidden states before the head, so it applies to model families whose logits are exactly
``lm_head(hidden)``, with a frozen head: others (logit soft-capping, scaled logits, a trained head) keep
transformers' own forward.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

PLAIN_HEAD_FAMILIES = frozenset({"llama", "mistral", "qwen2", "qwen3", "phi3"})
"""``config.model_type`` of causal LMs whose forward ends ``logits = lm_head(hidden)``, nothing applied after."""
CHUNK_FLOATS = 1 << 23  # logits per chunk: 32 MB of float32, ~170 rows of a 49k vocabulary


def _unwrapped(model: Any) -> Any:
    """The transformers model under a PEFT wrapper (or the model itself)."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def chunked_head_supported(model: Any) -> bool:
    """Whether :func:`head_cross_entropy` may stand in for ``model``'s own head and loss (a PEFT model or not).

    Example:
        >>> chunked_head_supported(peft_model)  # SmolLM2 is a llama  # doctest: +SKIP
        True
    """
    base = _unwrapped(model)
    head = base.get_output_embeddings() if hasattr(base, "get_output_embeddings") else None
    return (getattr(base.config, "model_type", None) in PLAIN_HEAD_FAMILIES and type(head) is nn.Linear
            and hasattr(base, "get_decoder") and not any(p.requires_grad for p in head.parameters()))


class _HeadCrossEntropy(torch.autograd.Function):
    """Mean cross-entropy of ``linear(rows, weight, bias)`` against ``targets``; keeps only d(loss)/d(rows)."""

    @staticmethod
    def forward(ctx: Any, rows: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None,
                targets: torch.Tensor) -> torch.Tensor:
        n, want_grad = rows.shape[0], ctx.needs_input_grad[0]
        chunk = max(1, CHUNK_FLOATS // weight.shape[0])
        dtype = torch.promote_types(rows.dtype, torch.float32)  # half precisions computed in float32, like the loss
        total = torch.zeros((), dtype=dtype, device=rows.device)
        grad_rows = torch.empty_like(rows) if want_grad else None
        for start in range(0, n, chunk):
            part, picked = slice(start, start + chunk), targets[start:start + chunk]
            logits = F.linear(rows[part], weight, bias).to(dtype)  # as the model's head, then as the loss
            lse = torch.logsumexp(logits, dim=-1)
            total += (lse - logits.gather(1, picked[:, None]).squeeze(1)).sum()
            if grad_rows is not None:
                probs = logits.sub_(lse[:, None]).exp_()  # softmax, in the logits' memory
                probs[torch.arange(len(picked), device=rows.device), picked] -= 1.0
                grad_rows[part] = probs.to(weight.dtype) @ weight
        ctx.n = n
        if grad_rows is not None:
            ctx.save_for_backward(grad_rows)
        return total / n

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None, None, None]:
        (grad_rows,) = ctx.saved_tensors
        return grad_rows * (grad / ctx.n).to(grad_rows.dtype), None, None, None


def head_cross_entropy(model: Any, batch: dict[str, torch.Tensor], keep: torch.Tensor,
                       targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy at the positions ``keep`` marks (batch x sequence, boolean) against
    ``targets`` (one per marked position, in (batch, position) order), the head applied chunk by chunk.
    Only for models :func:`chunked_head_supported` accepts.

    Example:
        >>> head_cross_entropy(model, batch, keep, targets).backward()  # doctest: +SKIP
    """
    base = _unwrapped(model)
    hidden = base.get_decoder()(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                use_cache=False).last_hidden_state
    head = base.get_output_embeddings()
    return _HeadCrossEntropy.apply(hidden[keep], head.weight, head.bias, targets)

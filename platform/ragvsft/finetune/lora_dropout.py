"""LoRA dropout for training on a CPU: the same dropout, its masks drawn for a quarter of the random numbers and
kept in a byte per element.

PEFT computes a LoRA branch as ``lora_B(lora_A(dropout(x)))`` with ``nn.Dropout``. On a CPU that costs more than
it should, for two reasons:

- ``nn.Dropout`` draws one float from torch's Mersenne Twister per element (``bernoulli_``). Every attention
  and MLP projection of every layer draws a mask the size of its input, so on the demo a fifth of a training
  step went to drawing masks. One 32-bit draw holds two 15-bit uniform numbers, so drawing int32 words and
  comparing each 16-bit half against ``p`` gives the same Bernoulli(1 - p) mask (``p`` rounded to 1/32768)
  for a quarter of the draws.
- autograd keeps, for every projection, the dropout's mask and the dropped input: 9 bytes per input element,
  although the input itself is kept anyway. Here one autograd function does the dropout and ``lora_A``
  together and keeps the input (one tensor, shared by the projections that read it) and a 1-byte mask. At
  1,024 tokens that is 0.7 GB less for autograd to hold on the demo's SmolLM2-135M (26 % of what it held).

The masks differ from ``nn.Dropout``'s draw by draw (another use of the random stream), not in distribution;
the forward and backward values for a given mask are those of ``lora_A(dropout(x))``. :func:`cheap_lora_dropout`
swaps it in for one training loop and puts PEFT's modules back afterwards, so what is saved and served is plain
PEFT.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

_HALF = 1 << 15  # a random 16-bit half with its top bit cleared is uniform on [0, 2**15)


def keep_mask(shape: torch.Size | tuple[int, ...], p: float, device: torch.device | str = "cpu",
              generator: torch.Generator | None = None) -> torch.Tensor:
    """A boolean mask of ``shape``, each element True (kept) with probability ``1 - p`` (``p`` to within 1/32768).

    ``random_`` fills int32 words uniformly on [0, 2**31); both 16-bit halves of a word, top bit cleared, are
    uniform on [0, 2**15), whichever the byte order.

    Example:
        >>> torch.manual_seed(0) and None
        >>> round(keep_mask((1000, 1000), 0.05).float().mean().item(), 2)
        0.95
    """
    n = math.prod(shape)
    words = torch.empty((n + 1) // 2, dtype=torch.int32, device=device).random_(generator=generator)
    halves = words.view(torch.int16)[:n].view(shape)
    return (halves & (_HALF - 1)) >= round(p * _HALF)


class _DroppedLinear(torch.autograd.Function):
    """``F.linear(x * keep / (1 - p), weight)`` keeping ``x``, ``weight`` and the boolean ``keep`` for backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, weight: torch.Tensor, keep: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(x, weight, keep)
        ctx.scale = scale
        # The 1 / (1 - p) scale goes on the rank-r output: r numbers per token instead of one per input element.
        return F.linear(x * keep, weight) * scale

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None, None, None]:
        x, weight, keep = ctx.saved_tensors
        grad = grad * ctx.scale
        grad_x = (grad @ weight) * keep if ctx.needs_input_grad[0] else None
        grad_weight = grad.flatten(0, -2).T @ (x * keep).flatten(0, -2) if ctx.needs_input_grad[1] else None
        return grad_x, grad_weight, None, None


class DroppedLinear(nn.Module):
    """``lora_A`` with its dropout folded in: the same ``weight`` Parameter, dropout with probability ``p`` while
    training, a plain linear map in eval mode.

    Example:
        >>> a = nn.Linear(8, 2, bias=False)
        >>> torch.equal(DroppedLinear(a, 0.1).eval()(torch.ones(3, 8)), a(torch.ones(3, 8)))
        True
    """

    def __init__(self, linear: nn.Linear, p: float) -> None:
        super().__init__()
        if linear.bias is not None:
            raise ValueError("LoRA's A matrix has no bias")
        self.weight, self.p = linear.weight, p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return F.linear(x, self.weight)
        keep = keep_mask(x.shape, self.p, x.device)
        return _DroppedLinear.apply(x, self.weight, keep, 1.0 / (1.0 - self.p))


@contextmanager
def cheap_lora_dropout(model: nn.Module) -> Iterator[int]:
    """Within the block, every LoRA layer of ``model`` with dropout uses :class:`DroppedLinear` (and no separate
    dropout module); on exit PEFT's own modules are back, holding the trained weights. Yields how many layers
    were swapped. LoRA layers without dropout, and variants other than plain LoRA (DoRA), are left to PEFT.

    Example:
        >>> with cheap_lora_dropout(peft_model) as swapped:  # doctest: +SKIP
        ...     train(peft_model)
    """
    swapped: list[tuple[Any, str, nn.Module, nn.Module]] = []
    for layer in model.modules():
        dropouts, lora_a = getattr(layer, "lora_dropout", None), getattr(layer, "lora_A", None)
        if not isinstance(dropouts, nn.ModuleDict) or not isinstance(lora_a, nn.ModuleDict):
            continue
        for name, dropout in dropouts.items():
            linear = lora_a[name] if name in lora_a else None
            if (isinstance(dropout, nn.Dropout) and dropout.p > 0 and type(linear) is nn.Linear
                    and name not in getattr(layer, "lora_variant", {})):
                swapped.append((layer, name, dropout, linear))
    try:
        for layer, name, dropout, linear in swapped:
            layer.lora_A[name] = DroppedLinear(linear, dropout.p).train(dropout.training)
            layer.lora_dropout[name] = nn.Identity()
        yield len(swapped)
    finally:
        for layer, name, dropout, linear in swapped:
            mode = layer.lora_A[name].training  # as the loop left it
            layer.lora_A[name], layer.lora_dropout[name] = linear.train(mode), dropout.train(mode)

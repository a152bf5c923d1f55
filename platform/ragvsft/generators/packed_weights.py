"""bfloat16 decoding on a CPU with AMX or AVX-512 BF16: each weight reordered for oneDNN once, not on every matrix
product.

Why: a decoding step multiplies every weight by a handful of rows (one per answer being generated). For such
products in bfloat16, ``F.linear`` hands oneDNN a plain weight, which (as we read the timings) it reorders into its
blocked layout on every call; on this project's AMX Xeon a batch-1 decoding step of SmolLM2-135M spent 27 of its
42 ms in matrix products. With each weight reordered once (``torch.ops.mkldnn._reorder_linear_weight``) the
same products took 19 ms at 1 row and 18 instead of 29 ms at 8 rows (``benchmarks/generation_backends.py`` has
the whole-answer figures). On an AMD EPYC Zen 5 (AVX-512 BF16, no AMX) closed-book answers came 1.32x faster at
batch 1 and 1.33x at batch 8, the same answers.

The plain weight stays, for everything else: prefill (hundreds of rows, where the plain path is as fast), PEFT's
merge and state dicts, training. So packing costs a second copy of every packed weight, i.e. as many bytes
again as the model's linear layers (256 MiB for SmolLM2-135M in bfloat16), plus what oneDNN keeps for each row
count it has run (a few MB each).

Answers do not change: a weight shape takes the packed path for a row count only if its product equals the
plain one bit for bit, checked on random rows the first time that shape meets that count. On this machine every
shape of SmolLM2-135M passes at every count up to ``DECODE_ROWS``; one shape of SmolLM2-1.7B (8192 inputs)
differs at 1 row and keeps the plain path there. So what evaluation records and what the server answers stay
what they were, and so do generator identities and cached answers.

Like a generator's identity, the packed copy is taken when the generator is built: the weights must not change
after that (merge an adapter first, then build the generator; ``HFGenerator`` does).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ragvsft.device import bfloat16_hardware, bfloat16_on_cpu

DECODE_ROWS = 32  # the server's default batch is 8 rows; the README's setting for many clients is 32


def packing_supported(model: nn.Module) -> bool:
    """Whether ``model`` can be packed: bfloat16 weights on a CPU with AMX or AVX-512 BF16."""
    if not bfloat16_on_cpu(model) or not bfloat16_hardware("cpu"):
        return False
    try:  # private oneDNN ops (what torch.compile's CPU backend packs weights with): a build without them says no
        return bool(torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
                    and torch.ops.mkldnn._reorder_linear_weight and torch.ops.mkldnn._linear_pointwise)
    except (AttributeError, RuntimeError):
        return False


def pack_for_decoding(model: nn.Module) -> int:
    """Give every plain bfloat16 ``nn.Linear`` of ``model`` a packed copy of its weight, used for products of up
    to ``DECODE_ROWS`` rows wherever it gives the plain path's result exactly; returns how many layers got one.

    Layers already packed are left as they are, so packing a model twice (the server builds a generator for the
    base model, then one for the PEFT model wrapped around it) costs nothing the second time.

    Example:
        >>> pack_for_decoding(lm.model)  # doctest: +SKIP
        211
    """
    if not packing_supported(model):
        return 0
    exact_by_shape: dict[tuple[int, int, bool], dict[int, bool]] = {}
    packed = 0
    with torch.no_grad():
        for module in model.modules():
            if type(module) is not nn.Linear or module.weight.dtype != torch.bfloat16:
                continue
            shape = (module.weight.shape[0], module.weight.shape[1], module.bias is not None)
            module.packed_weight = torch.ops.mkldnn._reorder_linear_weight(module.weight.detach(), 1)
            module.exact_rows = exact_by_shape.setdefault(shape, {})  # one verdict per shape and row count
            module.__class__ = PackedLinear  # still an nn.Linear to PEFT, state dicts and isinstance checks
            packed += 1
    return packed


class PackedLinear(nn.Linear):
    """An ``nn.Linear`` that multiplies few rows by its packed weight copy (see the module's docstring)."""

    packed_weight: torch.Tensor
    exact_rows: dict[int, bool]  # row count -> whether the packed product equals the plain one; filled on first use

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // max(x.shape[-1], 1)
        if rows <= DECODE_ROWS and not torch.is_grad_enabled():  # the oneDNN op has no backward
            exact = self.exact_rows.get(rows)
            if exact is None:
                exact = self.exact_rows[rows] = self._packed_is_exact(rows)
            if exact:
                return self._packed_product(x)
        return F.linear(x, self.weight, self.bias)

    def _packed_product(self, x: torch.Tensor) -> torch.Tensor:
        return torch.ops.mkldnn._linear_pointwise(x, self.packed_weight, self.bias, "none", [], "")

    def _packed_is_exact(self, rows: int) -> bool:
        """Whether, for ``rows`` rows, the packed product equals ``F.linear``'s bit for bit (on random rows).

        Checked when a row count is first seen, not for every count at load: oneDNN keeps a few MB for every
        shape and row count it has run, and a load-time check of 32 counts held ~170 MB more for SmolLM2-135M.
        """
        x = torch.randn(rows, self.in_features, generator=torch.Generator().manual_seed(rows)).to(self.weight.dtype)
        return torch.equal(F.linear(x, self.weight, self.bias), self._packed_product(x))

"""Decoding with 4-bit weights on a CPU (``model.int4_decoding``): each linear layer but the logits layer keeps a
4-bit copy of its weight for the products that see one token per row, which is to say every decoding step.

Why: a decoding step reads every weight of the model to produce one token per row, so on a CPU its cost is the
bytes read. SmolLM2-135M's products in one batch-1 step, each layer's weight read from memory as in a real step
(ad-hoc timing on this project's AMX Xeon): bfloat16 packed for oneDNN 17.4 ms, int8 weights 13.0 ms, these
4-bit weights 5.1 ms. That is how llama.cpp's 4-bit files decoded short prompts 2.2-2.9x faster than bfloat16
PyTorch here. The kernel (``torch.ops.aten._weight_int4pack_mm_for_cpu``, what torchao's int4 weight-only
quantisation calls on a CPU) reads the packed 4-bit weight and dequantises it on the fly, row by row of the
input: its cost grows with the rows (8 rows: 15.4 ms; 16 rows: 27.7 ms; bfloat16 took about 24.5 ms plain from 1
to 8 rows, and 18.0 ms packed at 16). So a step of more than ``MAX_ROWS`` rows takes the full-precision weight,
unless answers must be batch-invariant; the 4-bit copy pays at ``serve.max_batch_size`` 8 (the default), not 32.

What stays as it was:

- products over several tokens per row (a prompt's prefill, training) use the full-precision weight;
- so does the logits layer (packed for decoding where ``packed_weights`` applies). Rounded to 4 bits too, it
  changed most answers: of 64 demo answers, 10 closed-book and 17 three-chunk ones stayed equal to bfloat16's,
  against 52 and 54 with it kept (ad-hoc run; bfloat16 itself keeps 42 and 49 of float32's);
- LoRA adapters apply on top, unmerged (as QLoRA trains them): merged into the weight before rounding to 4 bits,
  most of an adapter's small update would be rounded away. Where one adapter is fixed for the generator's life
  (evaluation), ``merge_beside_int4`` folds it into the full-precision weight that prefill uses and keeps it as a
  low-rank term beside the 4-bit copy for decoding: prefill then costs what the base model's does, and decoding
  two small float32 products per layer, not PEFT's per-layer work (the demo's hybrid arm answered 2.4x slower
  than with the default path when both prefill and decoding went through PEFT);
- the kernel's result for a row does not depend on how many rows share the product (checked for 1 to 40 rows, all
  of SmolLM2-135M's shapes, bfloat16 and float32), so ``model.batch_invariant`` still holds with it;
- float32 models: the kernel has no fast float32 path (704 against 28 us for a 1536 x 576 product at 1 row here),
  so only bfloat16 weights get a 4-bit copy.

The rounding: groups of ``GROUP`` consecutive inputs of an output row share a scale and an offset, from the
group's minimum and maximum (llama.cpp's Q4_1 rounds the same way): an error of about 7 % of a random normal
weight matrix's norm. So answers change (measured in docs/speed.md, with the metrics of every arm).

Like ``packed_weights``, the copy is made when the generator is built: weights must not change after that.
"""

from __future__ import annotations

import torch
from torch import nn

from ragvsft.device import bfloat16_on_cpu

GROUP = 32  # inputs per scale and offset: the kernel takes 32, 64, 128 or 256; 32 rounds least
LEVELS = 15  # 4 bits: values 0..15
OUTPUT_BLOCK = 16  # the kernel packs outputs in blocks of 16: a layer with another count keeps its weight
MAX_ROWS = 12  # rows per step up to which the 4-bit product should beat the plain one it falls back to (interpolated)


def int4_supported() -> bool:
    """Whether this torch build has the CPU 4-bit kernels (private ops: a build without them says no)."""
    try:
        return bool(torch.ops.aten._weight_int4pack_mm_for_cpu and torch.ops.aten._convert_weight_to_int4pack_for_cpu)
    except (AttributeError, RuntimeError):
        return False


def int4_applies(model: nn.Module) -> bool:
    """Whether ``quantize_for_decoding`` would give ``model``'s layers 4-bit copies: bfloat16 weights on a CPU."""
    return bfloat16_on_cpu(model) and int4_supported()


def quantize_for_decoding(model: nn.Module, *, keep: nn.Module | None = None, max_rows: int | None = MAX_ROWS) -> int:
    """Give every bfloat16 ``nn.Linear`` of ``model`` on a CPU whose inputs split into groups of ``GROUP`` (and outputs
    into blocks of ``OUTPUT_BLOCK``) a 4-bit copy of its weight, used for one-token-per-row products (see the module's
    docstring); returns how many layers have one.

    ``keep`` (the model's output embeddings, the logits layer) keeps its full-precision weight only. ``max_rows``:
    steps of more rows take the full-precision weight; ``None``: every step takes the 4-bit one (for
    ``model.batch_invariant``: which weight a row gets must not depend on its batch).

    A LoRA adapter's own layers (PEFT's ``lora_A`` and ``lora_B``) are left alone: they stay as trained. Layers
    already quantised are left as they are, and counted (the server builds a generator for the base model, then
    one for the PEFT model wrapped around it).

    Example:
        >>> quantize_for_decoding(lm.model, keep=lm.model.get_output_embeddings())  # doctest: +SKIP
        210
    """
    if not int4_applies(model):
        return 0
    count = 0
    with torch.no_grad():
        for name, module in model.named_modules():
            if (type(module) is nn.Linear and module is not keep and "lora_" not in name
                    and module.weight.device.type == "cpu" and module.weight.dtype == torch.bfloat16
                    and module.in_features % GROUP == 0
                    and module.out_features % OUTPUT_BLOCK == 0):
                module.int4_weight, module.int4_scales = quantize(module.weight)
                module.__class__ = Int4Linear  # still an nn.Linear to PEFT, state dicts and isinstance checks
            if isinstance(module, Int4Linear):
                module.int4_max_rows = max_rows
                count += 1
    return count


def quantize(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``weight`` ([outputs, inputs], inputs a multiple of ``GROUP``) as the kernel's packed 4-bit tensor and its
    scales and offsets ([inputs / GROUP, outputs, 2], in ``weight``'s dtype)."""
    outputs, inputs = weight.shape
    groups = weight.detach().float().reshape(outputs, inputs // GROUP, GROUP)
    low, high = groups.amin(-1, keepdim=True), groups.amax(-1, keepdim=True)
    scale = ((high - low) / LEVELS).clamp(min=torch.finfo(torch.float32).tiny)  # a constant group: any scale works
    levels = ((groups - low) / scale).round().clamp(0, LEVELS).to(torch.int32).reshape(outputs, inputs)
    # The kernel computes (level - 8) * scale + offset, so the offset is the value of level 8.
    offset = low + scale * 8
    scales = torch.stack([scale.reshape(outputs, -1).t(), offset.reshape(outputs, -1).t()], dim=-1)
    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(levels, 1)
    return packed, scales.contiguous().to(weight.dtype)


def merge_beside_int4(peft_model: nn.Module, *, keep: nn.Module | None, max_rows: int | None = MAX_ROWS) -> nn.Module:
    """``peft_model`` (PEFT, one active LoRA adapter) with 4-bit copies of its base weights (``quantize_for_decoding``
    with ``keep`` and ``max_rows``, first: the copies must be of the unmerged weights), the adapter merged into each
    layer's full-precision weight, for prefill and steps of many rows, and kept beside the 4-bit copy as a low-rank
    term for decoding; returns the plain model.

    The 4-bit copy stays that of the base weight, as with the adapter unmerged: the decoding step computes
    ``int4(W) x + B (A x) * scaling``, the low-rank term in float32 with the scaling folded into ``B``: a few
    small operators per layer where PEFT runs a dozen. float32 rather than bfloat16 because oneDNN reorders a
    plain bfloat16 weight at every call: the term took 36 us per layer at 1 row in bfloat16, 8.5 in float32
    (37 and 30 at 8 rows; ad-hoc timing, 576 -> 16 -> 1,536, an AMD EPYC Zen 5).

    Example:
        >>> model = merge_beside_int4(peft_model, keep=lm.model.get_output_embeddings())  # doctest: +SKIP
    """
    from peft.tuners.lora import Linear as LoraLinear

    quantize_for_decoding(peft_model, keep=keep, max_rows=max_rows)
    with torch.no_grad():
        for module in peft_model.modules():
            base = getattr(module, "base_layer", None)
            if not isinstance(base, Int4Linear) or not hasattr(module, "lora_A"):
                continue
            (name,) = module.active_adapters  # one adapter: the generator's
            if (type(module) is LoraLinear and name not in getattr(module, "lora_variant", {})
                    and not module.fan_in_fan_out and not getattr(module, "lora_bias", {}).get(name, False)):
                down, up = module.lora_A[name].weight, module.lora_B[name].weight  # [rank, in], [out, rank]
                base.int4_lora = (down.t().float().contiguous(), (up.float() * module.scaling[name]).t().contiguous())
            else:  # DoRA, a bias, ...: more than B A. The generator gives the merged weight a 4-bit copy instead
                del base.int4_weight, base.int4_scales
                base.__class__ = nn.Linear
    return peft_model.merge_and_unload()


class Int4Linear(nn.Linear):
    """An ``nn.Linear`` that multiplies one token per row by its 4-bit weight copy (see the module's docstring),
    plus an adapter's low-rank term where ``merge_beside_int4`` merged one into the full-precision weight."""

    int4_weight: torch.Tensor
    int4_scales: torch.Tensor
    int4_max_rows: int | None
    int4_lora: tuple[torch.Tensor, torch.Tensor] | None = None
    """(A^T [in, rank], (B * scaling)^T [rank, out]), float32, of the adapter merged into ``weight``, if any."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.numel() // self.in_features
        if (x.dim() >= 2 and x.shape[-2] == 1 and not torch.is_grad_enabled()
                and (self.int4_max_rows is None or rows <= self.int4_max_rows)):
            flat = x.reshape(rows, self.in_features).contiguous()  # the kernel takes contiguous rows only
            out = torch.ops.aten._weight_int4pack_mm_for_cpu(flat, self.int4_weight, GROUP, self.int4_scales)
            if self.int4_lora is not None:
                down, up = self.int4_lora
                out = out + ((flat.float() @ down) @ up).to(out.dtype)
            if self.bias is not None:
                out = out + self.bias
            return out.reshape(*x.shape[:-1], self.out_features)
        return super().forward(x)

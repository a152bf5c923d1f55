"""One LoRA adapter per row of a batch, by per-row scaling: every row computes each adapter's update, and rows
that do not use an adapter have its scale set to 0.

Why: PEFT's per-row path (``adapter_names``) gathers each adapter's rows, computes their update and scatters it
back, at every adapted layer and every decoding step: a dozen operators per layer, each with a fixed CPU cost
that a step of a few rows cannot hide. Setting a LoRA layer's ``scaling`` to a ``[rows, 1, 1]`` tensor lets PEFT's
ordinary path (``result + B(A(x)) * scaling``) do the same in four operators. A row scaled by 0 gets
``result + 0``, which is its result bit for bit, so base rows answer exactly as without the adapter.

The catch is that every row pays for every adapter: cheap in decoding (a few rows), not in prefill (hundreds
of tokens per row), which ``HFGenerator`` therefore runs through PEFT's per-row path. Measured in
``benchmarks/mixed_batch.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from ragvsft.generators.hf import BASE_ROWS


def supports_row_scaling(peft_model: Any, names: Sequence[str]) -> bool:
    """Whether every layer of the adapters in ``names`` is a plain LoRA linear layer (no DoRA or other variant),
    whose update PEFT multiplies by ``scaling`` and nothing else."""
    from peft.tuners.lora import Linear, LoraLayer

    used = set(names) - {BASE_ROWS}
    for module in peft_model.modules():
        if isinstance(module, LoraLayer) and used & set(module.scaling):
            if type(module) is not Linear or used & set(getattr(module, "lora_variant", {})):
                return False
    return True


@contextlib.contextmanager
def row_scaling(peft_model: Any, names: Sequence[str]) -> Iterator[None]:
    """Within the block, row ``i`` of every batch gets adapter ``names[i]`` (``"__base__"``: none); the layers'
    scalings and the active adapters are restored after it. Only for batches of ``len(names)`` rows, and only where
    ``supports_row_scaling``."""
    from peft.tuners.lora import LoraLayer

    used = [name for name in dict.fromkeys(names) if name != BASE_ROWS]
    layers = [m for m in peft_model.modules() if isinstance(m, LoraLayer) and set(used) & set(m.scaling)]
    saved = [dict(m.scaling) for m in layers]
    active = peft_model.base_model.active_adapter
    try:
        for module in layers:
            for name in used:
                if name in module.scaling:
                    module.scaling[name] = torch.tensor([module.scaling[name] if n == name else 0.0 for n in names],
                                                        device=module.lora_A[name].weight.device).view(-1, 1, 1)
        peft_model.base_model.set_adapter(used, inference_mode=True)
        yield
    finally:
        for module, scaling in zip(layers, saved):
            module.scaling.clear()
            module.scaling.update(scaling)
        peft_model.base_model.set_adapter(active, inference_mode=True)

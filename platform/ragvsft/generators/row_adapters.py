"""Which LoRA adapter each row of a forward pass runs with, set on the LoRA layers directly.

Why not PEFT's own switches: ``disable_adapter()`` and ``set_adapter`` walk every module of the model and check
the model's state each time, about 50 ms per switch here (cProfile), as much as a whole decoding step of
SmolLM2-135M; a running batch (``ragvsft.generators.continuous``) would pay it at every step. ``AdapterRows``
finds the LoRA layers once and sets, on each, the fields PEFT's layer ``forward`` reads: whether adapters are
disabled and which are active. It restores them after the block.

Rows of several adapters in one pass use per-row scaling: every row computes each adapter's update, and rows that
do not use an adapter have its scale set to 0. PEFT's per-row path (``adapter_names``) instead gathers each
adapter's rows, computes their update and scatters it back, at every adapted layer and every decoding step: a
dozen operators per layer, each with a fixed CPU cost that a step of a few rows cannot hide. With ``scaling`` a
``[rows, 1, 1]`` tensor, PEFT's ordinary path (``result + B(A(x)) * scaling``) does the same in four operators. A
row scaled by 0 gets ``result + 0``, which is its result bit for bit, so base rows answer exactly as without the
adapter. The catch is that every row pays for every adapter: cheap in decoding (a few rows), not in prefill
(hundreds of tokens per row), which ``HFGenerator`` therefore runs through PEFT's per-row path. Measured in
``benchmarks/mixed_batch.py``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import torch

from ragvsft.errors import RagvsftError
from ragvsft.generators.hf import BASE_ROWS


class AdapterRows:
    """Sets which adapter each row of a PEFT model's forward passes runs with.

    Example:
        >>> rows = AdapterRows(peft_model)  # doctest: +SKIP
        >>> with rows.scope(["__base__", "adapter-v3", "__base__"]):  # doctest: +SKIP
        ...     logits = peft_model(input_ids=ids).logits  # row 1 with the adapter, rows 0 and 2 without
    """

    def __init__(self, peft_model: Any) -> None:
        self._peft = peft_model
        self._adapters: tuple[str, ...] = ()
        self._layers: list[Any] = []
        self._scales: dict[tuple[float, str, tuple[str, ...]], torch.Tensor] = {}
        self._scalable: dict[frozenset[str], bool] = {}

    def supports_row_scaling(self, names: Sequence[str]) -> bool:
        """Whether every layer of the adapters in ``names`` is a plain LoRA linear layer (no DoRA or other variant),
        whose update PEFT multiplies by ``scaling`` and nothing else."""
        from peft.tuners.lora import Linear

        used = frozenset(names) - {BASE_ROWS}
        layers = self._lora_layers()
        if used not in self._scalable:
            self._scalable[used] = all(type(m) is Linear and not used & set(getattr(m, "lora_variant", {}))
                                       for m in layers if used & set(m.scaling))
        return self._scalable[used]

    def scope(self, names: Sequence[str]) -> contextlib.AbstractContextManager[None]:
        """Within the block, row ``i`` of every batch gets adapter ``names[i]`` (``"__base__"``: none). Several
        adapters only for batches of ``len(names)`` rows, and only where they ``supports_row_scaling``."""
        return self._scope(tuple(names))

    @contextlib.contextmanager
    def _scope(self, names: tuple[str, ...]) -> Iterator[None]:
        layers = self._lora_layers()
        used = [name for name in dict.fromkeys(names) if name != BASE_ROWS]
        if missing := [name for name in used if name not in self._adapters]:  # a layer would skip it without a word
            raise RagvsftError(f"adapter {', '.join(missing)} is not loaded; loaded: {', '.join(self._adapters)}")
        saved = [(m._disable_adapters, m._active_adapter, m.scaling) for m in layers]
        try:
            for m in layers:
                m._disable_adapters = not used
                if used:
                    m._active_adapter = used
                if len(set(names)) > 1:
                    m.scaling = {**m.scaling, **{n: self._row_scale(m.scaling[n], n, names)
                                                 for n in used if n in m.scaling}}
            yield
        finally:
            for m, (disabled, active, scaling) in zip(layers, saved):
                m._disable_adapters, m._active_adapter, m.scaling = disabled, active, scaling

    def _lora_layers(self) -> list[Any]:
        """The model's LoRA layers, found again only when its adapters changed (the server loads and deletes some)."""
        from peft.tuners.lora import LoraLayer

        adapters = tuple(self._peft.peft_config)
        if adapters != self._adapters:
            self._layers = [m for m in self._peft.modules() if isinstance(m, LoraLayer)]
            self._adapters = adapters
            self._scales.clear()
            self._scalable.clear()
        return self._layers

    def _row_scale(self, scale: float, name: str, names: tuple[str, ...]) -> torch.Tensor:
        """``scale`` on the rows of ``name``, 0 on the others, shaped to multiply a ``[rows, tokens, features]``
        update; one tensor per value and batch (layers mostly share their scale)."""
        key = (scale, name, names)
        if key not in self._scales:
            if len(self._scales) > 256:  # batches come and go: keep the cache small
                self._scales.clear()
            self._scales[key] = torch.tensor([scale if n == name else 0.0 for n in names],
                                             device=next(self._peft.parameters()).device).view(-1, 1, 1)
        return self._scales[key]

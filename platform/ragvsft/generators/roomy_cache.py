"""A key/value cache that grows by writing into spare columns instead of copying itself at every step.

Why: transformers' ``DynamicLayer.update`` concatenates, so each decoding step copies every layer's whole cache
to add one column. In a running batch of 8 rows with RAG prompts (~500 tokens each) that copying (``aten::cat``)
was 15 % of the batch's time here (torch profiler). ``RoomyLayer`` keeps its keys and values as views of buffers
with ``ROOM`` free columns: a step writes one column, and only every ``ROOM`` steps is the layer copied into a
larger buffer. The numbers are the same (the same values in the same places; tested).
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicLayer

ROOM = 32  # free columns: answers are mostly shorter, so most rows are never copied after joining


class RoomyLayer(DynamicLayer):
    """``DynamicLayer`` with spare columns (see the module)."""

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any,
               **kwargs: Any) -> tuple[torch.Tensor, torch.Tensor]:
        used, new = self.keys.shape[-2], key_states.shape[-2]
        room = getattr(self, "room", None)
        if room is None or room[0].shape[-2] < used + new:
            rows, heads, _, dim = self.keys.shape
            room = tuple(torch.empty(rows, heads, used + new + ROOM, dim, dtype=t.dtype, device=t.device)
                         for t in (self.keys, self.values))
            room[0][:, :, :used], room[1][:, :, :used] = self.keys, self.values
            self.room = room
        room[0][:, :, used:used + new], room[1][:, :, used:used + new] = key_states, value_states
        self.keys, self.values = room[0][:, :, :used + new], room[1][:, :, :used + new]
        return self.keys, self.values


def with_room(cache: Any) -> Any:
    """``cache`` (a filled ``DynamicCache``) with its full-attention layers made ``RoomyLayer``s in place;
    sliding-window layers keep their class."""
    for layer in cache.layers:
        if type(layer) is DynamicLayer and layer.is_initialized:
            layer.__class__ = RoomyLayer
    return cache

"""A running batch: rows decode together, each leaves the batch the step its answer ends, and prompts may join
between any two steps.

Why not ``generate`` (``HFGenerator.generate_ids``): it keeps a finished row in the batch, computing padding for
it, until the batch's longest answer is done, and it returns every answer only then. Here a finished row's
cache slice is dropped (and padding columns no row needs any more), so the last rows decode faster, and its
answer can go back at once. The server starts each batch empty rather than joining rows to a running one (why:
``ragvsft.serve.batcher``); joining is tested but the server does not use it.

How a step computes is the batched path's: one row per answer, left padding, positions counting real tokens
only, greedy. Prompts are prefilled by length group (``ragvsft.generators.prefill``), which also gives each its
first new token. Under ``batch_invariant``, each prompt but its last token is prefilled alone and the last one
computed in the first step, the way evaluation computes it there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ragvsft.errors import RagvsftError
from ragvsft.generators.base import Generation, hits_stop, truncate_at_stop

if TYPE_CHECKING:
    import torch

    from ragvsft.generators.hf import HFGenerator


@dataclass(eq=False)
class Row:
    """One prompt being answered, and the caller's handle for it."""

    prompt: Sequence[int]
    limit: int
    """Most new tokens this row may generate."""
    adapter: str | None = None
    """The PEFT adapter this row runs with (``"__base__"``: none); None for a model without adapters."""
    tag: Any = None
    new: list[int] = field(default_factory=list)
    batch_rows: int = 0
    """Rows decoding together just after this one joined."""
    joined: float = field(default_factory=time.perf_counter)


class RunningBatch:
    """Rows decoding together; ``admit`` adds rows, ``step`` decodes one token for each and returns the finished.

    Example:
        >>> batch = generator.running_batch(stop=("\\n",))  # doctest: +SKIP
        >>> batch.admit([Row(generator.prompt_ids(conversation, max_new_tokens=24), limit=24)])  # doctest: +SKIP
        >>> while batch.rows:  # doctest: +SKIP
        ...     for row in batch.step():
        ...         print(batch.generation(row).text)
        Ines Marlow
    """

    def __init__(self, generator: HFGenerator, *, stop: Sequence[str] = ()) -> None:
        self._generator, self.stop = generator, tuple(stop)
        self.rows: list[Row] = []
        self._fresh: list[Row] = []  # joined since the last step, with the first token their prefill gave
        self._cache: Any = None  # DynamicCache: every row's keys and values, left-padded to one width
        self._mask: torch.Tensor | None = None  # [rows, width]: 1 where the cache holds a real token
        self._device: Any = None  # the model's: every tensor a step hands it lives there (a GPU's, on a GPU)

    def admit(self, rows: Sequence[Row]) -> None:
        """Prefill ``rows``' prompts and add them to the batch; nothing changes when the prefill fails.

        A prompt's prefill gives its first new token too, as ``generate``'s does: in bfloat16 the last prompt
        token computed in a one-token step rounds otherwise than within the prefill (measured: 2 of 6 demo
        answers, each alone, then differed from ``generate``'s). Under ``batch_invariant`` every prompt but its
        last token is prefilled alone, and the last token computed in the next step, as evaluation does there."""
        if not rows:
            return
        import torch

        from ragvsft.generators.prefill import left_padded

        whole = not self._generator.batch_invariant
        if any(len(r.prompt) < (1 if whole else 2) for r in rows):
            raise RagvsftError("a prompt to answer is empty" if whole else
                               "a prompt needs at least 2 tokens to join a batch-invariant running batch")
        prompts = [r.prompt if whole else r.prompt[:-1] for r in rows]
        cache, logits = self._generator.prefill(prompts, [r.adapter for r in rows] if rows[0].adapter else None)
        mask = left_padded(prompts, 0, cache.layers[0].keys.device)["attention_mask"]
        if self._cache is None:
            from ragvsft.generators.roomy_cache import with_room

            self._cache, self._mask, self._device = with_room(cache), mask, mask.device
        else:
            width = max(mask.shape[1], self._mask.shape[1])
            self._cache = self._new_cache([
                (torch.cat([_pad_left(a.keys, width), _pad_left(b.keys, width)]),
                 torch.cat([_pad_left(a.values, width), _pad_left(b.values, width)]))
                for a, b in zip(self._cache.layers, cache.layers)])
            self._mask = torch.cat([_pad_left(self._mask, width), _pad_left(mask, width)])
        if whole:
            for row, token in zip(rows, logits.argmax(dim=-1).tolist()):
                row.new.append(token)
        self.rows.extend(rows)
        self._fresh.extend(r for r in rows if r.new)
        now = time.perf_counter()
        for r in rows:
            r.batch_rows, r.joined = len(self.rows), min(r.joined, now)

    def step(self, on_step: Callable[[Row], None] | None = None) -> list[Row]:
        """One new token for every row (``on_step`` sees each row after it); the rows that finished leave the
        batch and are returned. Rows that joined since the last step show (and may finish on) the token their
        prefill gave first. When the forward pass fails, the batch is emptied and the error raised."""
        import torch

        finished = self._settle(self._fresh, on_step)
        self._fresh = []
        if not self.rows:
            return finished
        try:
            tokens = torch.tensor([[r.new[-1] if r.new else r.prompt[-1]] for r in self.rows], device=self._device)
            self._mask = torch.cat([self._mask, self._mask.new_ones(len(self.rows), 1)], dim=1)
            positions = self._mask.sum(dim=1, keepdim=True) - 1
            adapters = [r.adapter for r in self.rows] if self.rows[0].adapter is not None else None
            logits = self._generator.decode_step(tokens, self._mask, positions, self._cache, adapters)
        except BaseException:
            self.clear()
            raise
        for row, token in zip(self.rows, logits.argmax(dim=-1).tolist()):
            row.new.append(token)
        return finished + self._settle(self.rows, on_step)

    def leave(self, rows: Sequence[Row]) -> None:
        """Take ``rows`` out unanswered (their callers went away); the others decode on."""
        if rows:
            self._fresh = [r for r in self._fresh if r not in rows]
            self._drop(list(rows))

    def generation(self, row: Row) -> Generation:
        """A finished row's answer, cut at its end token and stop string."""
        text = self._generator.tokenizer.decode(row.new, skip_special_tokens=True)
        return Generation(truncate_at_stop(text, self.stop), len(row.prompt), len(row.new),
                          (time.perf_counter() - row.joined) * 1000, row.batch_rows)

    def clear(self) -> None:
        self.rows, self._fresh, self._cache, self._mask, self._device = [], [], None, None, None

    def _settle(self, rows: list[Row], on_step: Callable[[Row], None] | None) -> list[Row]:
        """Show each of ``rows`` to ``on_step``; the finished ones leave the batch and are returned."""
        finished = []
        for row in rows:
            if on_step is not None:
                on_step(row)
            if self._done(row):
                finished.append(row)
        if finished:
            self._drop(finished)
        return finished

    def _done(self, row: Row) -> bool:
        return (len(row.new) >= row.limit or row.new[-1] in self._generator.eos_ids
                or bool(self.stop and hits_stop(self._generator.tokenizer.decode(row.new, skip_special_tokens=True),
                                                self.stop)))

    def _drop(self, finished: list[Row]) -> None:
        keep = [i for i, r in enumerate(self.rows) if r not in finished]
        self.rows = [self.rows[i] for i in keep]
        if not keep:
            self.clear()
            return
        import torch

        mask = self._mask[keep]
        start = int(mask.any(dim=0).to(torch.int8).argmax())  # the columns left of every kept row are padding only
        index = torch.tensor(keep, device=self._device)
        self._mask = mask[:, start:]
        self._cache = self._new_cache([(layer.keys.index_select(0, index)[:, :, start:],
                                        layer.values.index_select(0, index)[:, :, start:])
                                       for layer in self._cache.layers])

    def _new_cache(self, pairs: list[tuple[torch.Tensor, torch.Tensor]]) -> Any:
        from transformers import DynamicCache

        from ragvsft.generators.roomy_cache import with_room

        return with_room(DynamicCache(pairs, config=self._generator.model_config))


def _pad_left(t: torch.Tensor, width: int) -> torch.Tensor:
    """A mask ([rows, columns]) or a cache tensor ([rows, heads, columns, dim]) padded on the left to ``width``
    columns."""
    import torch

    if t.dim() == 2:
        return torch.nn.functional.pad(t, (width - t.shape[1], 0))
    return torch.nn.functional.pad(t, (0, 0, width - t.shape[2], 0))



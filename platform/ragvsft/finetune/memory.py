"""The C heap of a training process: bounded while the machine has room, lean once the process takes too much of it.

glibc serves blocks below its mmap threshold from its heap and reuses freed ones. Its threshold starts at 128 KiB
and climbs (up to 32 MiB) every time a larger mapped block is freed, so a training step soon serves its activations
of a few MiB from the heap too. They are allocated and freed in an order that changes from layer to layer; freed
blocks leave holes that later blocks do not fit, so the process holds ~1.5x its live tensors (SmolLM2-135M at
1,024 tokens: 4.3 GB resident after 6 steps, 2.7 GB when freed blocks go straight back to the kernel;
benchmarks/finetune_memory.py).

Sending every block of 1 MiB or more straight back (``mallopt(M_MMAP_THRESHOLD, 1 MiB)``: its own mapping,
unmapped when freed) costs time instead: each new block arrives as fresh pages the kernel faults in and zeroes,
and a step takes 1.2-1.4x as long. A fixed threshold of 2 MiB is the middle: the blocks of 2 MiB or more, most of
the bytes, get their own mappings, the many smaller ones stay on the fast heap, and the threshold no longer
climbs. Measured on this project's 2-core CPU against glibc's own heap: the demo's training at the same speed
with 0.6 GB less, 1,024-token examples at 0.94x the speed with 3.7 instead of 4.3 GB, 256-token ones at 0.84x
with 3.5 instead of 3.9 GB. None of these settings changes a number the model computes.

So training starts with the bounded heap (``finetune.bound_heap``), and turns lean (and hands back what the heap
holds free) the first time the process has grown by more than a share (``finetune.lean_heap_share``, half by
default) of the memory that was available when training began: a machine with room trains at nearly full speed,
one without it trains within bounds. After training the thresholds go back to where glibc's own would be.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import cache
from pathlib import Path

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers, from glibc's malloc.h
LEAN_BLOCK_BYTES = 1 << 20
BOUNDED_BLOCK_BYTES = 2 << 20
# Where glibc's own thresholds end up in a process that frees large blocks: a fixed threshold cannot hand control
# back to glibc, so after training the heap is set to these (a bounded heap made bfloat16 prefill 1.5x slower).
GLIBC_MMAP_THRESHOLD_MAX, GLIBC_TRIM_THRESHOLD_MAX = 32 << 20, 64 << 20


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt, libc.malloc_trim  # noqa: B018 - musl and other C libraries have neither
    except (OSError, AttributeError):
        return None
    return libc


def _map_blocks_from(size: int) -> ctypes.CDLL | None:
    """From now on give every block of ``size`` bytes or more its own mapping, returned to the kernel when freed
    (which also stops glibc from moving the threshold). Linux with glibc only: the C library, or None."""
    libc = _libc()
    return libc if libc is not None and libc.mallopt(M_MMAP_THRESHOLD, size) else None


def make_heap_bounded() -> bool:
    """Blocks of 2 MiB or more get their own mappings from now on; returns whether it took.

    Example:
        >>> make_heap_bounded() in (True, False)  # doctest: +SKIP
        True
    """
    return _map_blocks_from(BOUNDED_BLOCK_BYTES) is not None


def make_heap_lean() -> bool:
    """Blocks of 1 MiB or more get their own mappings from now on, and the heap's free pages go back now; returns
    whether it took.

    Example:
        >>> make_heap_lean() in (True, False)  # doctest: +SKIP
        True
    """
    libc = _map_blocks_from(LEAN_BLOCK_BYTES)
    if libc is None:
        return False
    libc.malloc_trim(0)
    return True


def resident_bytes() -> int | None:
    """This process's resident memory now (Linux), or None where /proc is absent."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def available_bytes() -> int | None:
    """The memory the kernel could give without swapping (Linux ``MemAvailable``), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def restore_heap() -> bool:
    """Large blocks from the heap again, as glibc's own thresholds would have them by now, and the heap's free
    pages back to the system; returns whether it took.

    Example:
        >>> restore_heap() in (True, False)  # doctest: +SKIP
        True
    """
    libc = _map_blocks_from(GLIBC_MMAP_THRESHOLD_MAX)
    if libc is None or not libc.mallopt(M_TRIM_THRESHOLD, GLIBC_TRIM_THRESHOLD_MAX):
        return False
    libc.malloc_trim(0)
    return True


class HeapGuard:
    """The heap for the length of a training loop. Entering bounds it (unless ``bounded`` is False), or makes it
    lean at once when ``share`` is 0; :meth:`check` after each optimiser step makes it lean, once, when the process
    has grown by more than ``share`` of the memory available on entry (``finetune.lean_heap_share``); leaving
    restores it for whatever the process does next (generating answers, in a sweep), also after a failure.

    Example:
        >>> with HeapGuard(0.5) as guard:  # doctest: +SKIP
        ...     for batch in batches:
        ...         step(batch)
        ...         guard.check()
    """

    def __init__(self, share: float, *, bounded: bool = True) -> None:
        self.share, self.bounded, self.lean = share, bounded, False
        self.limit: float | None = None

    def __enter__(self) -> HeapGuard:
        resident, available = resident_bytes(), available_bytes()
        self.limit = None if resident is None or available is None else resident + self.share * available
        self.lean = self.share == 0 and make_heap_lean()
        if self.bounded and not self.lean:
            make_heap_bounded()
        return self

    def __exit__(self, *exc: object) -> None:
        restore_heap()

    def check(self) -> bool:
        """Whether the heap turned lean in this call."""
        if self.lean or self.limit is None:
            return False
        resident = resident_bytes()
        if resident is None or resident <= self.limit:
            return False
        self.lean = make_heap_lean()
        return self.lean

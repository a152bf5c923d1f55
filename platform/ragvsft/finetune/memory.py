"""The C heap of a training process: fast while the machine has room, lean once the process takes too much of it.

glibc serves blocks of up to 32 MiB from its heap and reuses freed ones. A training step allocates and frees
activations of a few MiB in an order that changes from layer to layer; freed blocks leave holes that later
blocks do not fit, so the process holds ~1.5x its live tensors (SmolLM2-135M at 1,024 tokens: 4.3 GB resident
after 6 steps, 2.7 GB when freed blocks go straight back to the kernel; benchmarks/finetune_memory.py).

Sending them straight back (``mallopt(M_MMAP_THRESHOLD, 1 MiB)``: every block of 1 MiB or more gets its own
mapping, unmapped when freed) costs time instead: each new block arrives as fresh pages the kernel faults in and
zeroes, and a demo training step took 1.5x as long. Neither setting changes a number the model computes.

So the heap stays fast while the process has grown by less than a share (``finetune.lean_heap_share``, half by
default) of the memory that was available when training began, and turns lean (and hands back what it holds
free) the first time it has grown by more: a machine with room trains at full speed, one without it trains
within bounds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
from functools import cache
from pathlib import Path

M_MMAP_THRESHOLD = -3  # mallopt parameter number, from glibc's malloc.h
LARGE_BLOCK_BYTES = 1 << 20


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


def make_heap_lean() -> bool:
    """From now on give every block of 1 MiB or more its own mapping, returned to the kernel when freed, and hand
    back the heap's free pages now. Linux with glibc only; returns whether it took.

    Example:
        >>> make_heap_lean() in (True, False)  # doctest: +SKIP
        True
    """
    libc = _libc()
    if libc is None or not libc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK_BYTES):
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


class HeapGuard:
    """Call :meth:`check` after each optimiser step: it makes the heap lean, once, when the process has grown by
    more than ``share`` of the memory available when the guard was made (``finetune.lean_heap_share``; 0: lean
    from the start).

    Example:
        >>> guard = HeapGuard(0.5)
        >>> for batch in batches:  # doctest: +SKIP
        ...     step(batch)
        ...     guard.check()
    """

    def __init__(self, share: float) -> None:
        resident, available = resident_bytes(), available_bytes()
        self.limit = None if resident is None or available is None else resident + share * available
        self.lean = share == 0 and make_heap_lean()

    def check(self) -> bool:
        """Whether the heap turned lean in this call."""
        if self.lean or self.limit is None:
            return False
        resident = resident_bytes()
        if resident is None or resident <= self.limit:
            return False
        self.lean = make_heap_lean()
        return self.lean

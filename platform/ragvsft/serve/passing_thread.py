"""Loading a model in a thread that ends with the load, so that the thread which generates is the only one keeping
OpenMP workers.

Why: PyTorch's CPU kernels run on GNU OpenMP, which gives *every* thread that ever ran a parallel region a pool of
worker threads, kept for as long as that thread lives. Once the process holds more of them than the CPU has cores,
libgomp stops letting idle workers spin between regions and puts them to sleep at once; every small matrix product
of a decoding step then waits for a worker to wake. The server loaded its model on the main thread (which lives
until shutdown) and generated on the batcher's thread, so it generated in that slow mode.

``benchmarks/compute_threads.py`` measures it on a 2-core Zen 5: a bfloat16 product of one decoding step's
projection (576 -> 1,536) took 38 us for 1 row and 48 us for 8 on the first thread to compute, 86 and 95 us on a
second thread while the first lived, and 39 and 48 us once the first had ended. The server's mixed batch of 8
(prefill and 24 decoding steps) took 3.3 s before, 2.4-2.6 s with the load in a passing thread.

Large products lose little either way (1.06x at 512 rows): Ray Data's embedding actors, built on one thread and
called on another, embedded as fast with their model loaded in a passing thread (``benchmarks/ray_embedding.py
--chunks 10000``: 0.85x the local build either way), so only the server uses this.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def in_passing_thread(work: Callable[[], T], name: str = "ragvsft-loader") -> T:
    """Run ``work`` in a new thread, wait for it to end and return its result (or raise its exception), so any
    OpenMP pool the work created ends with that thread.

    Example:
        >>> in_passing_thread(lambda: 6 * 7)
        42
    """
    # Leaving the block joins the executor's one thread, so it has ended before the result is handed back.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=name) as pool:
        future = pool.submit(work)
    return future.result()

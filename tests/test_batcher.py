"""How the micro-batcher groups arriving requests into batches (its queue only: no model is loaded)."""

from __future__ import annotations

import threading
import time

from ragvsft.serve.batcher import MicroBatcher


def _arrivals(batcher: MicroBatcher, items: list[str], every_s: float, first_after_s: float = 0.0) -> threading.Thread:
    """Put ``items`` into the batcher's queue from another thread: the first after ``first_after_s``, then one
    every ``every_s``."""

    def put() -> None:
        time.sleep(first_after_s)
        for item in items:
            batcher._queue.put(item)  # type: ignore[arg-type]  # the queue's policy does not look inside
            time.sleep(every_s)

    thread = threading.Thread(target=put)
    thread.start()
    return thread


def _next_batch(batcher: MicroBatcher) -> list:
    """The next batch, as the worker gets it (``_collect`` gives up after 50 ms with an empty queue)."""
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        if batch := batcher._collect():
            return batch
    raise AssertionError("no batch within 10 s")


def test_a_batch_waits_while_requests_keep_arriving_however_long_the_stream() -> None:
    # Requests that come back together from a finished batch arrive spread out; a window fixed from the first
    # arrival (0.2 s here) would take only the first few. The wait restarts with each arrival instead.
    batcher = MicroBatcher(None, max_batch_size=8, max_wait_ms=200, max_queue=64)  # type: ignore[arg-type]
    thread = _arrivals(batcher, [f"q{i}" for i in range(6)], every_s=0.06)  # 0.3 s from first to last
    batch = _next_batch(batcher)
    thread.join()
    assert batch == [f"q{i}" for i in range(6)]


def test_a_batch_starts_after_a_quiet_gap_or_when_full() -> None:
    batcher = MicroBatcher(None, max_batch_size=3, max_wait_ms=100, max_queue=64)  # type: ignore[arg-type]
    for item in ["a", "b", "c", "d"]:
        batcher._queue.put(item)  # type: ignore[arg-type]
    assert batcher._collect() == ["a", "b", "c"]  # full: the fourth waits for the next batch
    thread = _arrivals(batcher, ["e", "f"], every_s=0.6, first_after_s=0.6)  # far past the 0.1 s gap, each
    started = time.perf_counter()
    assert batcher._collect() == ["d"]
    assert time.perf_counter() - started < 0.5  # it did not wait for "e"
    assert _next_batch(batcher) == ["e"]
    assert _next_batch(batcher) == ["f"]
    thread.join()


def test_without_a_wait_a_batch_takes_only_what_is_queued() -> None:
    batcher = MicroBatcher(None, max_batch_size=8, max_wait_ms=0, max_queue=64)  # type: ignore[arg-type]
    for item in ["a", "b"]:
        batcher._queue.put(item)  # type: ignore[arg-type]
    assert batcher._collect() == ["a", "b"]
    assert batcher._collect() == []  # nothing queued: back after the worker's 50 ms poll, with nothing

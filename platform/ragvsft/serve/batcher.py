"""Micro-batching: requests that arrive close together decode in one running batch, whatever their modes, and
each leaves it the step its answer ends.

One queue for every mode, one worker thread that owns the model. While nothing decodes, a new batch gathers up to
``max_batch_size`` requests, waiting up to ``max_wait_ms`` for each next one, the wait restarting with every
arrival: clients answered together send their next requests together, but those arrive spread over tens of
milliseconds (the event loop writes every reply and reads every new request). The batch then decodes
(``ragvsft.generators.continuous``): a row whose answer ended leaves, so the last rows decode faster, and its
answer goes back at once.

New requests wait for the next batch rather than joining the running one: joining, although the running batch
can take rows at any step, measured slower here. 8 clients, mixed modes, 64 requests, two runs each
(``benchmarks/serve_load.py``): join at any step 1.28 / 1.29 answers/s, join when half the rows are free 1.34 /
1.37, next batch **1.56 / 1.51**. A prompt joining alone pays a prefill pass of its own (prefill is most of
the cost of a RAG answer on a CPU), and each join stalls the rows decoding.

Generation runs on the worker thread, never on the event loop, so health checks answer while a batch runs. A
request whose client went away (closed the connection, or a client's timeout gave up and retried) is dropped
before its batch starts or at the next step, so it costs no more decoding.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ragvsft.serve.engine import Answer, BatchFailed, Engine, Query
from ragvsft.serve.streaming import TextStream

TextCallback = Callable[[str], None]


class QueueFull(Exception):
    """More requests are waiting than ``max_queue``: the caller should answer 429."""


@dataclass
class _Pending:
    query: Query
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Answer]
    on_text: TextCallback | None
    stream: TextStream | None = None
    enqueued: float = field(default_factory=time.perf_counter)


class MicroBatcher:
    """Collects queries from the event loop; answers them in batches on a worker thread.

    Example:
        >>> batcher = MicroBatcher(engine, max_batch_size=8, max_wait_ms=20, max_queue=256)  # doctest: +SKIP
        >>> batcher.start()  # doctest: +SKIP
        >>> answer = await batcher.submit(Query("Who signs travel?", "rag", 2, 24, release))  # doctest: +SKIP
    """

    def __init__(self, engine: Engine, *, max_batch_size: int, max_wait_ms: float, max_queue: int,
                 on_batch: Callable[[int], None] | None = None,
                 after_batch: Callable[[], None] | None = None,
                 on_abandoned: Callable[[str, int], None] | None = None) -> None:
        self.engine = engine
        self.max_batch_size, self.max_wait_s, self.max_queue = max_batch_size, max_wait_ms / 1000, max_queue
        self._on_batch, self._after_batch, self._on_abandoned = on_batch, after_batch, on_abandoned
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def depth(self) -> int:
        """Requests waiting for a batch."""
        return self._queue.qsize()

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._work, name="ragvsft-batcher", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 60.0) -> None:
        """Answer what is queued, then end the worker (graceful shutdown)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def check_room(self) -> None:
        """Raise ``QueueFull`` when ``max_queue`` requests are waiting already."""
        if self._queue.qsize() >= self.max_queue:
            raise QueueFull(f"{self._queue.qsize()} requests are waiting (serve.max_queue = {self.max_queue}); "
                            "try again shortly")

    async def submit(self, query: Query, on_text: TextCallback | None = None) -> Answer:
        """Queue ``query`` and wait for its answer; ``on_text`` receives the answer's pieces as they are generated
        (on the event loop), adding up to ``Answer.text``."""
        self.check_room()
        loop = asyncio.get_running_loop()
        pending = _Pending(query, loop, loop.create_future(), on_text,
                           TextStream(self.engine.stop) if on_text else None)
        self._queue.put(pending)
        return await pending.future

    def _collect(self) -> list[_Pending]:
        """Up to ``max_batch_size`` queued requests: a first one waited for briefly, then more, each waited for up
        to ``max_wait_s`` after the last arrival."""
        joining: list[_Pending] = []
        try:
            joining.append(self._queue.get(timeout=0.05))
            while len(joining) < self.max_batch_size:
                joining.append(self._queue.get(timeout=self.max_wait_s) if self.max_wait_s else self._queue.get_nowait())
        except queue.Empty:
            pass
        return joining

    def _work(self) -> None:
        batch = self.engine.new_batch()
        while not (self._stopping.is_set() and self._queue.empty()):
            joining = self._collect()
            if abandoned := [p for p in joining if _abandoned(p)]:
                joining = [p for p in joining if not _abandoned(p)]
                self._count_abandoned("queued", len(abandoned))
            if not joining:
                continue
            if self._on_batch is not None:
                self._on_batch(len(joining))
            try:
                self.engine.join(batch, [p.query for p in joining], joining)
            except Exception as exc:  # noqa: BLE001 - every waiting request must hear of it, the worker goes on
                for p in joining:
                    _resolve(p, exception=exc)
            streaming = any(p.on_text for p in joining)  # else no per-row callback at every step
            while batch.rows:  # each answer goes back the step it ends
                if left := self.engine.leave(batch, _abandoned):
                    self._count_abandoned("decoding", left)
                    continue
                try:
                    finished = self.engine.step(batch, on_step=self._stream if streaming else None)
                except BatchFailed as failed:
                    for p in failed.tags:
                        _resolve(p, exception=failed.__cause__ or failed)
                    break
                for p, answer in finished:
                    if p.stream is not None and p.on_text is not None and (rest := p.stream.finish(answer.text)):
                        p.loop.call_soon_threadsafe(p.on_text, rest)
                    _resolve(p, result=answer)
            if self._after_batch is not None:
                self._after_batch()

    def _count_abandoned(self, stage: str, count: int) -> None:
        if self._on_abandoned is not None:
            self._on_abandoned(stage, count)

    def _stream(self, p: _Pending, ids: list[int]) -> None:
        if p.stream is not None and p.on_text is not None and (piece := p.stream.update(self.engine.decode(ids))):
            p.loop.call_soon_threadsafe(p.on_text, piece)


def _abandoned(p: _Pending) -> bool:
    """Whether ``p``'s client went away (the app cancelled its future): it is dropped, not decoded. Read from the
    worker thread: at worst one step late."""
    return p.future.cancelled()


def _resolve(p: _Pending, *, result: Any = None, exception: BaseException | None = None) -> None:
    def settle() -> None:
        if p.future.done():  # the client went away and the request was cancelled
            return
        if exception is not None:
            p.future.set_exception(exception)
        else:
            p.future.set_result(result)

    p.loop.call_soon_threadsafe(settle)

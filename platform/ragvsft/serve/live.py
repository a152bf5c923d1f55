"""The release that answers new requests, the retired ones still finishing theirs, and the hot reload between them.

A request takes the current release when it is admitted and keeps it to the
end, so no answer mixes versions. A reload loads the new release beside the
old one and swaps the pointer; the old adapter is freed once its last request
is answered (on the batcher's thread, between batches).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ragvsft import tracking
from ragvsft.releases import ReleaseRecord, differences_note, release_examples, served_release, settings_differences
from ragvsft.serve.engine import Engine, Release
from ragvsft.serve.passing_thread import in_passing_thread

log = logging.getLogger("ragvsft.serve")


class Live:
    """Current release, in-flight counts per release, and retirement.

    Example:
        >>> live = Live(engine, release, pick)  # doctest: +SKIP
        >>> r = live.acquire(); ...; live.done(r)  # doctest: +SKIP
    """

    def __init__(self, engine: Engine, release: Release, pick: ReleaseRecord) -> None:
        self.engine, self.release, self.pick = engine, release, pick
        # Answering settings in which this server differs from the run that measured ``pick`` (``/readyz``).
        self.differences: dict[str, tuple[str, str]] = {}
        self._in_flight: dict[int, int] = {}
        self._retired: list[Release] = []
        self._lock = threading.Lock()

    def acquire(self) -> Release:
        with self._lock:
            release = self.release
            self._in_flight[id(release)] = self._in_flight.get(id(release), 0) + 1
            return release

    def done(self, release: Release) -> None:
        with self._lock:
            self._in_flight[id(release)] -= 1

    def swap(self, release: Release, pick: ReleaseRecord) -> None:
        with self._lock:
            self._retired.append(self.release)
            self.release, self.pick = release, pick

    def collect(self) -> None:
        """Free retired releases no request uses any more (call between batches)."""
        with self._lock:
            idle = [r for r in self._retired if not self._in_flight.get(id(r))]
            self._retired = [r for r in self._retired if self._in_flight.get(id(r))]
            keep = {self.release.adapter_name} | {r.adapter_name for r in self._retired}
            for r in idle:
                self._in_flight.pop(id(r), None)
        for r in idle:
            if r.adapter_name not in keep:  # the same adapter version may serve on with a new index
                self.engine.unload(r)


def load_pick(engine: Engine, uri: str, corpus: str, pick: ReleaseRecord, cache_dir: Path) -> Release:
    """Download (once) and load the versions ``pick`` names (and, under ``prompt.few_shot``, its training pairs)."""
    index = tracking.resolve_version(uri, tracking.registered_name(corpus, "index"), pick.index_version, cache_dir)
    adapter = (tracking.resolve_version(uri, tracking.registered_name(corpus, "adapter"), pick.adapter_version,
                                        cache_dir) if pick.adapter_version else None)
    examples = release_examples(uri, corpus, pick, cache_dir, for_few_shot=True) if engine.few_shot else ()
    return engine.load_release(index_dir=index.path, index_version=pick.index_version,
                               adapter_dir=adapter.path if adapter else None, adapter_version=pick.adapter_version,
                               examples=examples)


class Reloader:
    """Polls the registry every ``poll_s``; when the champion release (or the challenger served meanwhile) names
    another index + adapter pair, loads it beside the old and swaps. A failed load is logged and counted; the old
    release keeps serving."""

    def __init__(self, live: Live, *, uri: str, corpus: str, cache_dir: Path, poll_s: float,
                 settings: Mapping[str, Any], on_reload: Callable[[str], None] | None = None) -> None:
        self.live, self.uri, self.corpus, self.cache_dir, self.poll_s = live, uri, corpus, cache_dir, poll_s
        self.settings = settings  # the server's answering_params, compared with each release's measuring run
        self._on_reload = on_reload
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.poll_s > 0:
            self._thread = threading.Thread(target=self._run, name="ragvsft-reloader", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def check(self) -> bool:
        """One poll: True when a new release was swapped in."""
        pick, previous = served_release(self.uri, self.corpus), self.live.pick
        # Another release was measured by another run: compare with its settings (read before anything changes, so
        # a registry that fails here fails the poll, and the next one tries again).
        differences = (settings_differences(self.uri, self.corpus, pick, self.settings)
                       if pick.version != previous.version else None)
        if pick.key != previous.key:
            # In a thread of its own that ends with the load: this one polls until shutdown, and an OpenMP pool
            # kept here would slow every decoding step (ragvsft.serve.passing_thread).
            release = in_passing_thread(lambda: load_pick(self.live.engine, self.uri, self.corpus, pick, self.cache_dir))
            self.live.swap(release, pick)
            log.warning("hot reload: now serving %s (was index v%s, adapter v%s)%s", pick.describe,
                        previous.index_version, previous.adapter_version, f"; {pick.note}" if pick.note else "")
        else:
            self.live.pick = pick  # the same pair, maybe under another release or alias (the challenger promoted)
        if differences is not None:
            self.live.differences = differences
            if note := differences_note(pick, differences):
                log.warning("%s", note)
        return pick.key != previous.key

    def _run(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                outcome = "reloaded" if self.check() else "unchanged"
            except Exception as exc:  # noqa: BLE001 - a bad version must not stop the server that serves the old one
                log.error("hot reload failed, still serving the previous versions: %s", exc)
                outcome = "failed"
            if self._on_reload is not None:
                self._on_reload(outcome)

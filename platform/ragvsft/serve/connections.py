"""How the server holds its connections: each request's head must arrive within a deadline.

uvicorn (0.54, h11) arms a timer only between requests on a kept-alive connection, and a single byte cancels it: a
client that connects and sends nothing, or trickles its request line a byte every few seconds, holds the
connection (an open file, a buffer) for as long as it likes, and a few thousand such clients exhaust the
process' file descriptors ("slowloris"). Here a connection waiting for a request's head (just opened, or after its
previous answer) must complete it within ``serve.request_timeout_s`` or is closed; the body is bounded by the same
time in the app (``ragvsft.serve.app.Edge``: 408). Nothing changes once a head has arrived: a request that takes
minutes to answer keeps its connection.
"""

from __future__ import annotations

import asyncio
import resource
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from ragvsft.config import ServeConfig


class _HeadDeadline(H11Protocol):
    head_timeout_s: float = 20.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._head_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._watch_head()

    def handle_events(self) -> None:
        super().handle_events()
        self._watch_head()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def _watch_head(self) -> None:
        """Armed while h11 waits for a request's head (their side IDLE), disarmed once it has one or the
        connection is closing; the deadline runs from when the wait began, not from the last byte."""
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._head_timer is None:
            self._head_timer = self.loop.call_later(self.head_timeout_s, self._too_slow)
        elif not waiting:
            self._stop_timer()

    def _stop_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _too_slow(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()  # no reply: a client this slow is not reading one either


def protocol_with_head_deadline(head_timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, closing a connection whose request head is not complete within ``head_timeout_s``
    (pass it as ``uvicorn.Config(http=...)``)."""
    return type("HeadDeadlineH11Protocol", (_HeadDeadline,), {"head_timeout_s": head_timeout_s})


def uvicorn_config(app: Any, settings: ServeConfig, **overrides: Any) -> uvicorn.Config:
    """How ``ragvsft serve`` runs uvicorn (and the tests run it the same way): the head deadline above, no
    uvicorn access log (``ragvsft.serve.observe`` writes one JSON line per request), two minutes for the requests in
    flight at shutdown."""
    options = {"log_level": "warning", "access_log": False, "timeout_graceful_shutdown": 120,
               "http": protocol_with_head_deadline(settings.request_timeout_s), **overrides}
    return uvicorn.Config(app, **options)


def raise_open_file_limit() -> int:
    """Raise this process' soft limit on open files to its hard limit (as Go's runtime does at start), so the
    connections a server may hold are bounded by the system, not by a shell's default of 1,024; the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            return hard
        except (ValueError, OSError):  # a container may refuse; the soft limit stands
            pass
    return soft

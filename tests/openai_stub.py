"""An OpenAI-compatible chat endpoint stub on 127.0.0.1, for the ``openai`` backend and extra arms.

Use with ``from openai_stub import Stub, stub  # noqa: F401``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Stub:
    """An OpenAI-compatible stub: answers with the last user message reversed (or what ``respond`` makes of it),
    after any scripted replies."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    # (status, body) or (status, body, headers) returned first, in order
    script: list[tuple[Any, ...]] = field(default_factory=list)
    usage: bool = True
    respond: Any = None  # (last user message) -> reply text, instead of reversing it
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def stub() -> Iterator[Stub]:
    state = Stub(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                state.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                scripted = state.script.pop(0) if state.script else None
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
            question = body["messages"][-1]["content"]
            time.sleep(0.2 if "slow" in question else 0.05)  # slow ones finish last: the client must reorder
            with state.lock:
                state.in_flight -= 1
            headers: dict[str, str] = {}
            if scripted is not None:
                status, text, *more = scripted
                headers = more[0] if more else {}
            else:
                answer = state.respond(question) if state.respond else question[::-1]
                reply: dict[str, Any] = {"choices": [{"message": {"role": "assistant", "content": answer}}]}
                if state.usage:
                    reply["usage"] = {"prompt_tokens": 11, "completion_tokens": 3}
                status, text = 200, json.dumps(reply)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            self.wfile.write(text.encode())

        def log_message(self, *args: Any) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()

"""What operators see: Prometheus metrics, and one JSON access-log line per request.

Metrics live in a registry of their own per server (not prometheus-client's
global one), so two servers in one process, as in the tests, count apart.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

access_log = logging.getLogger("ragvsft.access")

LATENCY_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64)


class ServerMetrics:
    """Counters and histograms of one server; ``render()`` is the ``/metrics`` body.

    Example:
        >>> m = ServerMetrics()
        >>> m.requests.labels(endpoint="/v1/ask", mode="rag", status="200").inc()
        >>> b'ragvsft_requests_total{endpoint="/v1/ask",mode="rag",status="200"} 1.0' in m.render()
        True
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ragvsft_requests", "HTTP requests by endpoint, mode and status code.",
                                ["endpoint", "mode", "status"], registry=self.registry)
        self.latency = Histogram("ragvsft_request_seconds", "Request latency (to the last byte), by endpoint and mode.",
                                 ["endpoint", "mode"], buckets=LATENCY_BUCKETS_S, registry=self.registry)
        self.batch_size = Histogram("ragvsft_batch_size", "Requests per batch (decoded together, each leaving when answered).",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.queue_depth = Gauge("ragvsft_queue_depth", "Requests waiting for a batch.", registry=self.registry)
        self.abandoned = Counter("ragvsft_abandoned", "Requests dropped unanswered because their client went away, "
                                 "by where they were (queued, decoding).", ["stage"], registry=self.registry)
        self.reloads = Counter("ragvsft_reloads", "Registry polls by outcome (unchanged, reloaded, failed).",
                               ["outcome"], registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def log_request(*, request_id: str, method: str, path: str, status: int, started: float, client: str | None,
                state: dict[str, Any]) -> None:
    """One JSON line: who asked what kind of question, and how it went; the question itself only when the handler
    put it in ``state`` (``serve.log_questions``)."""
    line = {"ts": round(time.time(), 3), "request_id": request_id, "method": method, "path": path, "status": status,
            "ms": round((time.perf_counter() - started) * 1000, 1), "client": client,
            **{k: state[k] for k in ("mode", "versions", "question", "batch_rows") if k in state}}
    access_log.info(json.dumps(line, ensure_ascii=False))

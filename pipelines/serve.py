"""Serve recipe: the registered champion behind an HTTP API.

    ragvsft serve experiments/demo.toml [--host 127.0.0.1] [--port 8000]

1. refuse an address other than loopback without ``RAGVSFT_API_KEY``, and one it cannot bind (before loading);
2. pick the release: ``champion``, else the ``challenger`` (said on the console and in ``/readyz``); its training
   pairs (kept with it) give the answer limits and the few-shot pool, so the corpus is not read;
3. load the base model once, the embedder, the index and the adapter (as a named PEFT adapter);
4. answer under uvicorn, micro-batched, hot-reloading when ``champion`` moves; Ctrl-C / SIGTERM finish the
   requests in flight first.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import sys
from collections.abc import Mapping

from rich.console import Console
from rich.markup import escape

from ragvsft import tracking
from ragvsft.builders import build_answer_limits, build_embedder
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import corpus_name
from ragvsft.errors import RagvsftError
from ragvsft.fewshot import examples_of
from ragvsft.models import load_lm
from ragvsft.pipelines.common import load_experiment_corpus
from ragvsft.releases import (
    answering_params,
    differences_note,
    release_examples,
    served_release,
    settings_differences,
)
from ragvsft.serve.app import Server, create_app
from ragvsft.serve.batcher import MicroBatcher
from ragvsft.serve.engine import Engine
from ragvsft.serve.live import Live, Reloader, load_pick
from ragvsft.serve.observe import ServerMetrics
from ragvsft.serve.passing_thread import in_passing_thread
from ragvsft.urls import is_loopback

API_KEY_ENV = "RAGVSFT_API_KEY"


def api_key_for(host: str, environ: Mapping[str, str]) -> str | None:
    """The key requests must carry: ``RAGVSFT_API_KEY`` when set (on any address), and required off loopback."""
    key = environ.get(API_KEY_ENV) or None
    if key is None and not is_loopback(host):
        raise RagvsftError(f"refusing to listen on {host} without an API key: set {API_KEY_ENV} in the environment "
                           "(clients send it as 'Authorization: Bearer <key>'), or bind to 127.0.0.1")
    if key is not None and len(key) < 16:
        raise RagvsftError(f"{API_KEY_ENV} is {len(key)} characters long; use at least 16 (e.g. `openssl rand -hex 24`)")
    return key


def build(config: ExperimentConfig, console: Console, *, api_key: str | None) -> Server:
    """Everything the app needs, loaded: the release the registry names, the engine, the batcher, the reloader."""
    # 1. What to serve, and the settings evaluation answered with (so served answers equal evaluated ones).
    uri, name, cache_dir = tracking.tracking_uri(), corpus_name(config.corpus), config.model.cache_dir / "registry"
    pick = served_release(uri, name)
    if pick.note:
        console.print(f"[yellow]{pick.note}[/]; promote it with `ragvsft promote`")
    settings = answering_params(config)
    differences = settings_differences(uri, name, pick, settings)
    if note := differences_note(pick, differences):
        console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    # The answer limits fitted to the training answers the release was measured with; a release from before
    # releases kept them takes the corpus on disk's.
    pairs = release_examples(uri, name, pick, cache_dir, for_few_shot=bool(config.prompt.few_shot))
    if pairs is None:
        pairs = examples_of(load_experiment_corpus(config, console).split("train"))
    limits = build_answer_limits(config.model, [answer for _, answer in pairs])
    console.print(limits.why, highlight=False)

    # 2. One base model, the embedder, and the picked index + adapter loaded into it, in a thread that then ends:
    #    the batcher's thread must be the only one keeping OpenMP workers (ragvsft.serve.passing_thread).

    def load() -> Live:
        lm = load_lm(config.model.base_model, cache_dir=config.model.cache_dir, device=config.model.device,
                     dtype=config.model.dtype)
        engine = Engine(lm, build_embedder(config.index), template=config.prompt, stop=limits.stop,
                        hnsw_ef_search=config.index.hnsw_ef_search, pack_weights=config.model.pack_weights,
                        int4_decoding=config.model.int4_decoding, batch_invariant=config.model.batch_invariant)
        return Live(engine, load_pick(engine, uri, name, pick, cache_dir), pick)

    live = in_passing_thread(load)
    live.differences = differences
    n = config.prompt.few_shot
    shots = f"; {n} worked example{'s' * (n > 1)} per prompt from the release's {len(pairs)} training pairs" if n else ""
    console.print(f"serving {pick.describe} ({pick.alias}); modes: {', '.join(live.release.modes)}{shots}")

    # 3. Batching and hot reload, counted in the metrics.
    metrics, s = ServerMetrics(), config.serve
    batcher = MicroBatcher(live.engine, max_batch_size=s.max_batch_size, max_wait_ms=s.max_wait_ms, max_queue=s.max_queue,
                           on_batch=metrics.batch_size.observe, after_batch=live.collect,
                           on_abandoned=lambda stage, count: metrics.abandoned.labels(stage=stage).inc(count))
    reloader = Reloader(live, uri=uri, corpus=name, cache_dir=cache_dir, poll_s=s.poll_s, settings=settings,
                        on_reload=lambda outcome: metrics.reloads.labels(outcome=outcome).inc())
    return Server(live, batcher, s, limits.max_new_tokens, config.index.top_k, api_key, metrics, reloader)


def access_logging() -> None:
    """The JSON access log and the server's own messages on stderr, one line each."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("ragvsft.access", "ragvsft.serve"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)
        logger.propagate = False


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before anything is loaded: an address another process holds (or one this machine
    does not have) is one line at once, not an error from uvicorn after the models have loaded. Bound as uvicorn
    binds its own (IPv6 for an address with a colon, else IPv4; address reuse on), so the same interfaces listen."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:  # a host name that does not resolve too (socket.gaierror)
        sock.close()
        todo = {errno.EADDRINUSE: "choose another --port (serve.port) or stop the process that holds it",
                errno.EACCES: "ports below 1024 need privileges; choose a higher --port (serve.port)",
                errno.EADDRNOTAVAIL: "this machine has no such address; use --host 127.0.0.1, 0.0.0.0 or one of "
                                     "its own"}.get(exc.errno, "")
        raise RagvsftError(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                           + (f"; {todo}" if todo else "")) from None
    return sock


def main(config: ExperimentConfig, console: Console, *, host: str | None = None, port: int | None = None,
         environ: Mapping[str, str] = os.environ) -> None:
    import uvicorn

    from ragvsft.serve.connections import raise_open_file_limit, uvicorn_config

    host, port = host or config.serve.host, port or config.serve.port
    api_key = api_key_for(host, environ)
    with listening_socket(host, port) as listener:  # closed however loading or serving ends
        server = build(config, console, api_key=api_key)
        access_logging()
        console.print(f"listening on http://{host}:{port} (API docs at /docs"
                      f"{'; requests need the API key' if server.api_key else ''}); Ctrl-C stops after the requests "
                      "in flight")
        raise_open_file_limit()
        uvicorn.Server(uvicorn_config(create_app(server), config.serve)).run(sockets=[listener])

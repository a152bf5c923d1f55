"""The HTTP API: ``/v1/ask`` in every mode, the OpenAI-compatible ``/v1/models`` and ``/v1/chat/completions``
(streaming too), and ``/healthz``, ``/readyz``, ``/metrics``.

Every error has OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``,
with the matching status; nothing a client sends produces a 500 or a stack trace.
"""

# No `from __future__ import annotations` here: FastAPI reads the endpoint annotations at runtime, and the request
# models are built per server (with its limits) inside create_app.

import asyncio
import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ragvsft.config import ServeConfig
from ragvsft.serve.batcher import MicroBatcher, QueueFull
from ragvsft.serve.engine import Answer, Query, Release
from ragvsft.serve.live import Live, Reloader
from ragvsft.serve.observe import ServerMetrics, log_request
from ragvsft.serve.schemas import (
    AskResponse,
    ErrorResponse,
    Latency,
    Source,
    Versions,
    WorkedExample,
    last_user_text,
    mode_of,
    model_id,
    request_models,
)

log = logging.getLogger("ragvsft.serve")
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 404, 408, 413, 429, 503)}


class ApiError(Exception):
    """An error answered in OpenAI's shape."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code


def error_json(status: int, message: str, *, type_: str = "invalid_request_error", param: str | None = None,
               code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type_, "param": param, "code": code}},
                        status_code=status, headers=headers)


@dataclass
class Server:
    """What the endpoints share: the live release, the batcher, the settings and the counters."""

    live: Live
    batcher: MicroBatcher
    settings: ServeConfig
    max_new_tokens: int
    """The evaluation's answer budget: the default, so a served answer equals the evaluated one."""
    top_k: int
    api_key: str | None
    metrics: ServerMetrics
    reloader: Reloader | None = None
    created: int = 0


def create_app(server: Server) -> FastAPI:
    """The FastAPI app; its lifespan starts and stops the batcher and the reloader (graceful: queued requests are
    answered before the worker ends)."""
    models = request_models(server.settings)
    AskRequest, ChatRequest = models.ask, models.chat  # noqa: N806 - classes, built per server
    server.created = server.created or int(time.time())
    server.metrics.queue_depth.set_function(lambda: server.batcher.depth)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server.batcher.start()
        if server.reloader is not None:
            server.reloader.start()
        yield
        if server.reloader is not None:
            server.reloader.stop()
        await asyncio.to_thread(server.batcher.stop)

    app = FastAPI(title="ragvsft", summary="Answers questions about one corpus in four modes: base, rag, finetuned, "
                  "hybrid (fine-tuned + retrieval).", version="1", lifespan=lifespan)
    _install_errors(app)
    app.add_middleware(Edge, settings=server.settings, metrics=server.metrics)

    async def authorised(request: Request) -> None:
        if server.api_key is None:
            return
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        # Constant-time comparison: a byte-by-byte early exit would tell an attacker how much of a guess is right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), server.api_key.encode()):
            raise ApiError(401, "missing or wrong API key: send the header 'Authorization: Bearer <RAGVSFT_API_KEY>'",
                           code="invalid_api_key")

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process answers (even while a batch generates)."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], responses=ERROR_RESPONSES)
    async def readyz() -> dict[str, Any]:
        """Models loaded; which versions answer, and whether they are the champion."""
        pick, release = server.live.pick, server.live.release
        return {"ready": True, "versions": release.versions, "modes": list(release.modes),
                "release": {"version": pick.version, "alias": pick.alias},
                "note": pick.note, "queue_depth": server.batcher.depth,
                # Settings in which this server answers otherwise than the run that measured the release.
                "differs_from_measured": {key: {"measured": there, "here": here}
                                          for key, (there, here) in server.live.differences.items()}}

    @app.get("/metrics", tags=["operations"], dependencies=[Depends(authorised)], responses=ERROR_RESPONSES)
    async def metrics() -> Response:
        """Prometheus text format."""
        return Response(server.metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    @app.post("/v1/ask", tags=["ask"], response_model=AskResponse, dependencies=[Depends(authorised)],
              responses=ERROR_RESPONSES)
    async def ask(body: AskRequest, request: Request) -> AskResponse:  # type: ignore[valid-type]
        """Answer one question in one mode, with the passages it saw, timings and the versions that answered."""
        answer, release = await _answer(server, request, body.question, body.mode, body.top_k, body.max_new_tokens)
        return AskResponse(
            answer=answer.text, mode=body.mode, versions=Versions(**release.versions),
            sources=[Source.of(hit) for hit in answer.hits],
            examples=[WorkedExample(question=q, answer=a) for q, a in answer.examples],
            latency_ms=Latency(retrieval=round(answer.retrieval_ms, 2), generation=round(answer.generation_ms, 2),
                               total=round(answer.retrieval_ms + answer.generation_ms, 2)))

    @app.get("/v1/models", tags=["openai"], dependencies=[Depends(authorised)], responses=ERROR_RESPONSES)
    async def list_models() -> dict[str, Any]:
        """One model id per mode served: ragvsft-base, ragvsft-rag, ragvsft-finetuned, ragvsft-hybrid."""
        return {"object": "list", "data": [_model_card(server, m) for m in server.live.release.modes]}

    @app.get("/v1/models/{model}", tags=["openai"], dependencies=[Depends(authorised)], responses=ERROR_RESPONSES)
    async def get_model(model: str) -> dict[str, Any]:
        return _model_card(server, _mode_for(server, model))

    @app.post("/v1/chat/completions", tags=["openai"], dependencies=[Depends(authorised)], responses=ERROR_RESPONSES)
    async def chat(body: ChatRequest, request: Request) -> Any:  # type: ignore[valid-type]
        """OpenAI chat completion: the model id picks the mode, the last user message is the question."""
        mode = _mode_for(server, body.model)
        question = last_user_text(body.messages)
        if question is None:
            raise ApiError(400, "no user message with text: the last user message is the question", param="messages")
        budget = body.max_completion_tokens or body.max_tokens
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        if not body.stream:
            answer, release = await _answer(server, request, question, mode, body.top_k, budget)
            return {"id": completion_id, "object": "chat.completion", "created": int(time.time()), "model": body.model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                                 "finish_reason": answer.finish_reason, "logprobs": None}],
                    "usage": _usage(answer), "system_fingerprint": _fingerprint(release)}
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        return await _stream(server, request, question, mode, body.top_k, budget, body.model, completion_id,
                             include_usage)

    return app


def _model_card(server: Server, mode: str) -> dict[str, Any]:
    return {"id": model_id(mode), "object": "model", "created": server.created, "owned_by": "ragvsft"}


def _mode_for(server: Server, model: str) -> str:
    mode, served = mode_of(model), server.live.release.modes
    if mode not in served:
        raise ApiError(404, f"model {model!r} does not exist here; served: "
                       f"{', '.join(model_id(m) for m in served)}", param="model", code="model_not_found")
    return mode  # type: ignore[return-value]


def _usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": answer.prompt_tokens, "completion_tokens": answer.new_tokens,
            "total_tokens": answer.prompt_tokens + answer.new_tokens}


def _fingerprint(release: Release) -> str:
    return f"index-v{release.index_version}+adapter-v{release.adapter_version or 'none'}"


def _query(server: Server, request: Request, question: str, mode: str, top_k: int | None,
           max_new_tokens: int | None, release: Release) -> Query:
    request.state.mode = mode
    request.state.versions = release.versions
    if server.settings.log_questions:
        request.state.question = question
    if mode not in release.modes:
        raise ApiError(400, f"mode {mode!r} is not served (no adapter is registered); served: "
                       f"{', '.join(release.modes)}", param="mode")
    if len(question) > server.settings.max_question_chars:
        raise ApiError(400, f"the question has {len(question)} characters; at most "
                       f"{server.settings.max_question_chars} (serve.max_question_chars)", param="messages")
    try:
        server.batcher.check_room()  # before a stream starts, so that a full queue is a 429, not an error event
    except QueueFull as exc:
        raise ApiError(429, str(exc), type_="rate_limit_error") from None
    return Query(question, mode, top_k or server.top_k, max_new_tokens or server.max_new_tokens, release)


async def _answer(server: Server, request: Request, question: str, mode: str, top_k: int | None,
                  max_new_tokens: int | None) -> tuple[Answer, Release]:
    release = server.live.acquire()
    try:
        query = _query(server, request, question, mode, top_k, max_new_tokens, release)
        answering = asyncio.ensure_future(server.batcher.submit(query))
        leaving = asyncio.ensure_future(_disconnect(request))
        try:
            await asyncio.wait({answering, leaving}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            leaving.cancel()
            if not answering.done():  # the client went away (or we are cancelled): the batcher drops the request
                answering.cancel()
        if not answering.done():
            raise ApiError(499, "the client closed the connection before the answer", code="client_closed")
        try:
            answer = answering.result()
        except QueueFull as exc:  # filled up since _query looked
            raise ApiError(429, str(exc), type_="rate_limit_error") from None
        request.state.batch_rows = answer.batch_rows
        return answer, release
    finally:
        server.live.done(release)


async def _disconnect(request: Request) -> None:
    """Returns when the client closes the connection (the body was read already: what the server says next is
    ``http.disconnect``)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _stream(server: Server, request: Request, question: str, mode: str, top_k: int | None,
                  max_new_tokens: int | None, model: str, completion_id: str, include_usage: bool) -> StreamingResponse:
    release = server.live.acquire()
    try:
        query = _query(server, request, question, mode, top_k, max_new_tokens, release)
    except BaseException:
        server.live.done(release)
        raise
    pieces: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.ensure_future(server.batcher.submit(query, on_text=pieces.put_nowait))
    created = int(time.time())

    def event(delta: dict[str, Any] | None, finish_reason: str | None = None, **extra: Any) -> str:
        """One server-sent event: a chunk with one choice, or (``delta`` None) with none, as the usage chunk is."""
        choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason,
                                             "logprobs": None}]
        chunk = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                 "system_fingerprint": _fingerprint(release), "choices": choices, **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    async def events() -> AsyncIterator[str]:
        try:
            yield event({"role": "assistant", "content": ""})
            while not task.done() or not pieces.empty():
                getter = asyncio.ensure_future(pieces.get())
                await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield event({"content": getter.result()})
                else:
                    getter.cancel()
            try:
                answer = task.result()
            except Exception as exc:  # noqa: BLE001 - the stream has started: the error goes in it, as OpenAI does
                log.error("request %s failed while streaming: %s", completion_id, exc)
                message = "rate limited" if isinstance(exc, QueueFull) else "the answer could not be generated"
                yield f"data: {json.dumps({'error': {'message': message, 'type': 'server_error'}})}\n\n"
                return
            yield event({}, answer.finish_reason)
            if include_usage:
                yield event(None, usage=_usage(answer))
            yield "data: [DONE]\n\n"
        finally:  # also when the client went away mid-stream: the batcher then drops the request
            task.cancel()
            server.live.done(release)

    return StreamingResponse(events(), media_type="text/event-stream", headers={"cache-control": "no-cache"})


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_json(exc.status, exc.message, type_=exc.type, param=exc.param, code=exc.code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request", "type": ""}
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
        if first.get("type") == "json_invalid":
            message = f"malformed JSON body: {first.get('ctx', {}).get('error', first.get('msg'))}"
        elif first.get("type") == "missing" and where is None:
            message = "a JSON request body is required"
        elif where is None and first.get("type") in ("model_attributes_type", "dict_type"):
            message = "the request body must be a JSON object, sent with content-type: application/json"
        else:
            message = f"{where}: {first.get('msg')}" if where else str(first.get("msg"))
        return error_json(400, message, param=where, code=str(first.get("type") or "invalid"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        message = str(exc.detail)
        # FastAPI's words for a body json.loads raised on with something other than a syntax error; say which.
        if isinstance(exc.__cause__, UnicodeDecodeError):
            message, code = "the request body is not UTF-8 text", "body_not_utf8"
        elif isinstance(exc.__cause__, RecursionError):
            message, code = "the JSON body is nested too deeply", "json_too_deep"
        return error_json(exc.status_code, message, code=code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        # Details go to the log, never to the client.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_json(500, "internal error; the server log has the details", type_="server_error")


class Edge:
    """Pure ASGI middleware at the edge: refuses bodies over ``max_body_bytes`` (413) or not received within
    ``request_timeout_s`` (408), gives each request an id,
    counts it in the metrics and writes its access-log line once the last byte is sent."""

    def __init__(self, app: Callable[..., Awaitable[None]], *, settings: ServeConfig, metrics: ServerMetrics) -> None:
        self.app, self.settings, self.metrics = app, settings, metrics

    async def __call__(self, scope: dict[str, Any], receive: Callable[..., Awaitable[dict]],
                       send: Callable[[dict], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, request_id = time.perf_counter(), secrets.token_hex(8)
        status = {"code": 500}
        state = scope.setdefault("state", {})

        async def send_with_id(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            try:
                async with asyncio.timeout(self.settings.request_timeout_s):  # a trickled body holds nothing for long
                    body = await self._read_body(receive)
            except TimeoutError:
                response = error_json(408, f"request body not received within {self.settings.request_timeout_s:g} s "
                                           "(serve.request_timeout_s)", code="request_timeout",
                                      headers={"connection": "close"})  # the rest of the body may still arrive
                await response(scope, receive, send_with_id)
                return
            if body is None:
                response = error_json(413, f"request body over {self.settings.max_body_bytes} bytes "
                                           "(serve.max_body_bytes)", code="body_too_large")
                await response(scope, receive, send_with_id)
                return
            await self.app(scope, _replay(body, receive), send_with_id)
        finally:
            path = scope.get("path", "")
            endpoint = path if path in _ENDPOINTS else "other"
            mode = str(state.get("mode", ""))
            self.metrics.requests.labels(endpoint=endpoint, mode=mode, status=str(status["code"])).inc()
            self.metrics.latency.labels(endpoint=endpoint, mode=mode).observe(time.perf_counter() - started)
            client = scope.get("client")
            log_request(request_id=request_id, method=scope.get("method", ""), path=path, status=status["code"],
                        started=started, client=client[0] if client else None, state=state)

    async def _read_body(self, receive: Callable[..., Awaitable[dict]]) -> bytes | None:
        """The whole body, or None once it passes the limit (bodies here are small JSON; reading it first means a
        handler never sees half a body)."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.settings.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


_ENDPOINTS = {"/v1/ask", "/v1/chat/completions", "/v1/models", "/healthz", "/readyz", "/metrics"}


def _replay(body: bytes, receive: Callable[..., Awaitable[dict]]) -> Callable[[], Awaitable[dict]]:
    sent = False

    async def replay() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: wait for the client to disconnect, as the server would say

    return replay


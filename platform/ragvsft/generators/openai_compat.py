"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, a hosted API) as an extra arm.

Standard library only: one POST per conversation to ``{base_url}/chat/completions``,
a few in flight at once. The key is passed in by the caller (the pipeline reads
it from the environment); it is never logged, and never part of the identity.
It only travels where ``base_url`` says: redirects are not followed (urllib would
re-send the ``Authorization`` header to whatever host a 302 names), and a key is
not sent over plain http except to this machine, unless ``allow_plain_http``.
Credentials written into ``base_url`` itself are cut from every message and identity.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ragvsft.errors import RagvsftError
from ragvsft.generators.base import Generation, truncate_at_stop
from ragvsft.prompts import Message
from ragvsft.urls import is_loopback, port_of, shown_url

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})  # overload and gateway hiccups; other errors do not heal


class OpenAIGenerator:
    """Greedy (temperature 0) answers from an OpenAI-compatible ``/chat/completions`` endpoint.

    Example:
        >>> gen = OpenAIGenerator("http://127.0.0.1:8000/v1", "Qwen2.5-7B-Instruct",
        ...                       api_key=os.environ.get("KEY"))  # doctest: +SKIP
        >>> gen.identity  # doctest: +SKIP
        'openai:Qwen2.5-7B-Instruct@http://127.0.0.1:8000/v1'
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout_s: float = 60,
        max_concurrency: int = 4,
        retries: int = 2,
        retry_backoff_s: float = 0.5,
        allow_plain_http: bool = False,
    ) -> None:
        parts, shown = urllib.parse.urlsplit(base_url), shown_url(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or port_of(parts) == -1:
            raise RagvsftError(f"base_url {shown!r} must be an http:// or https:// URL, e.g. http://127.0.0.1:8000/v1")
        if api_key and parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_plain_http:
            raise RagvsftError(f"base_url {shown}: an API key would cross the network unencrypted to "
                               f"{parts.hostname}; use https://, or set allow_plain_http = true for this endpoint "
                               "if the network is trusted")
        if max_concurrency < 1:
            raise RagvsftError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.base_url = base_url.rstrip("/")
        self._shown = shown.rstrip("/")  # what messages and the identity say: no user:password, no query
        self.model = model
        self.timeout_s = timeout_s
        self.max_concurrency = max_concurrency
        self.retries = retries
        self.retry_backoff_s = retry_backoff_s
        self._api_key = api_key

    @property
    def identity(self) -> str:
        return f"openai:{self.model}@{self._shown}"

    def generate(
        self, conversations: Sequence[list[Message]], *, max_new_tokens: int, stop: Sequence[str] = ()
    ) -> list[Generation]:
        if not conversations:
            return []
        # map() keeps input order and cancels requests not yet started once one fails.
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(conversations))) as pool:
            return list(pool.map(lambda c: self._one(c, max_new_tokens, stop), conversations))

    def _one(self, conversation: list[Message], max_new_tokens: int, stop: Sequence[str]) -> Generation:
        body: dict[str, Any] = {"model": self.model, "messages": conversation, "max_tokens": max_new_tokens,
                                "temperature": 0}
        if stop:  # some servers reject an empty list
            body["stop"] = list(stop)
        started = time.perf_counter()
        reply = self._post(body)
        latency_ms = (time.perf_counter() - started) * 1000
        url = f"{self._shown}/chat/completions"
        try:
            content = reply["choices"][0]["message"]["content"] or ""  # null content: a refusal or a tool call
            usage = reply.get("usage") or {}
        except (KeyError, IndexError, TypeError, AttributeError):
            raise RagvsftError(f"{url}: not a chat completion (no choices[0].message.content): "
                               f"{json.dumps(reply)[:300]}") from None
        # Servers differ in whether they return the stop string, so it is cut here as well.
        text = truncate_at_stop(content, stop)
        prompt_tokens = usage.get("prompt_tokens")
        new_tokens = usage.get("completion_tokens")
        if not isinstance(prompt_tokens, int):  # no usage: a word count is the honest rough estimate
            prompt_tokens = sum(len(m["content"].split()) for m in conversation)
        if not isinstance(new_tokens, int):
            new_tokens = len(content.split())
        return Generation(text, prompt_tokens, new_tokens, latency_ms)

    def _post(self, body: dict[str, Any]) -> Any:
        target, url = f"{self.base_url}/chat/completions", f"{self._shown}/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        data = json.dumps(body).encode()
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(target, data=data, headers=headers, method="POST")
            try:
                with _OPENER.open(request, timeout=self.timeout_s) as response:
                    raw = response.read()
                break
            except urllib.error.HTTPError as exc:
                if 300 <= exc.code < 400:
                    location = shown_url(urllib.parse.urljoin(target, exc.headers.get("Location") or ""))
                    raise RagvsftError(f"{url}: HTTP {exc.code} redirect to {location}, not followed (it would "
                                       "carry the request and its API key there); set base_url to the address "
                                       "that answers") from None
                detail = exc.read().decode("utf-8", "replace")[:300]
                if exc.code in RETRY_STATUSES and attempt < self.retries:
                    time.sleep(self.retry_backoff_s * 2**attempt)
                    continue
                hint = " (check the API key)" if exc.code in (401, 403) else ""
                raise RagvsftError(f"{url}: HTTP {exc.code}{hint}: {detail}") from None
            except urllib.error.URLError as exc:
                raise RagvsftError(f"cannot reach {url}: {exc.reason}; is the server running?") from None
            except TimeoutError:
                raise RagvsftError(f"{url}: no answer within {self.timeout_s:g} s (up to {self.max_concurrency} "
                                   "request(s) in flight); a slow or one-at-a-time endpoint needs a larger timeout_s "
                                   "or max_concurrency = 1") from None
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):  # (recursion: nested too deep to parse)
            raise RagvsftError(f"{url}: response is not JSON: {raw[:300].decode('utf-8', 'replace')!r}") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises the 3xx as an HTTPError, which _post reports


_OPENER = urllib.request.build_opener(_NoRedirects)

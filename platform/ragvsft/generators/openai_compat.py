"""Any OpenAI-compatible chat endpoint (vLLM, llama.cpp server, a hosted API) as an extra arm.

Standard library only: one POST per conversation to ``{base_url}/chat/completions``,
a few in flight at once. The key is passed in by the caller (the pipeline reads
it from the environment); it is never logged, and never part of the identity.
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
    ) -> None:
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RagvsftError(f"base_url {base_url!r} must be an http:// or https:// URL, "
                               "e.g. http://127.0.0.1:8000/v1")
        if max_concurrency < 1:
            raise RagvsftError(f"max_concurrency must be at least 1, got {max_concurrency}")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self.max_concurrency = max_concurrency
        self.retries = retries
        self.retry_backoff_s = retry_backoff_s
        self._api_key = api_key

    @property
    def identity(self) -> str:
        return f"openai:{self.model}@{self.base_url}"

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
        url = f"{self.base_url}/chat/completions"
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
        url = f"{self.base_url}/chat/completions"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        data = json.dumps(body).encode()
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    raw = response.read()
                break
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")[:300]
                if exc.code in RETRY_STATUSES and attempt < self.retries:
                    time.sleep(self.retry_backoff_s * 2**attempt)
                    continue
                hint = " (check the API key)" if exc.code in (401, 403) else ""
                raise RagvsftError(f"{url}: HTTP {exc.code}{hint}: {detail}") from None
            except urllib.error.URLError as exc:
                raise RagvsftError(f"cannot reach {url}: {exc.reason}; is the server running?") from None
            except TimeoutError:
                raise RagvsftError(f"{url}: no answer within {self.timeout_s:g} s") from None
        try:
            return json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise RagvsftError(f"{url}: response is not JSON: {raw[:300].decode('utf-8', 'replace')!r}") from None

"""A cache of answers and metric scores, so a rerun or a sweep never generates or scores the same thing twice.

Generation is greedy and every metric is deterministic, so an answer is a
function of (model + adapter identity, the exact conversation, decoding
settings) and a score of (metric, scorer identity, the sample). Both are kept
in one SQLite file in the experiment's output folder, as JSON — never pickle:
the file is data a user may copy between machines.

A cached answer keeps the latency and token counts measured when it was
generated: latency in a report is what the model took, not what a lookup took.
Pass ``--no-cache`` (``evaluate.cache = false``) to measure again.

Example:
    >>> cache = ResultCache(Path("artifacts/demo/cache.sqlite"))  # doctest: +SKIP
    >>> generator = CachedGenerator(HFGenerator(cache_dir=Path(".cache/ragvsft")), cache)  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any

from ragvsft.errors import RagvsftError
from ragvsft.generators.base import Generation, Generator
from ragvsft.metrics.base import Metric, Sample
from ragvsft.prompts import Message
from ragvsft.sqlite_files import check_pages, set_aside

FORMAT_VERSION = 1  # bump when what a key covers changes: old entries then simply miss


def digest(*parts: Any) -> str:
    """sha256 of the JSON of ``parts``: the key of one cached value.

    Example:
        >>> digest("a", [1, 2]) == digest("a", [1, 2]), digest("a", [1, 2]) == digest("a", [2, 1])
        (True, False)
    """
    return hashlib.sha256(json.dumps([FORMAT_VERSION, *parts], sort_keys=True, ensure_ascii=False).encode()).hexdigest()


@dataclass
class HitRate:
    """Lookups answered from the cache (``hits``) and computed (``misses``)."""

    hits: int = 0
    misses: int = 0

    @property
    def rate(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")

    def __str__(self) -> str:
        total = self.hits + self.misses
        return f"{self.hits}/{total} ({self.rate:.0%})" if total else "0/0"


class ResultCache:
    """Answers and scores in one SQLite file; safe to share between processes (SQLite locks the file).

    Example:
        >>> import tempfile
        >>> cache = ResultCache(Path(tempfile.mkdtemp()) / "cache.sqlite")
        >>> cache.put_scores("token_f1", {"k1": 0.5}); cache.get_scores("token_f1", ["k1", "k2"])
        {'k1': 0.5}
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.damaged = ""  # why an earlier cache file was set aside (``<name>.damaged``) and a new one started
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            # Only a cache: everything in it can be computed again, so a damaged file never stops a run.
            self.damaged = set_aside(self.path, exc, "cache")
            try:
                self._db = self._open()
            except sqlite3.DatabaseError as again:
                raise RagvsftError(f"{self.path}: cannot create a cache ({again})") from None
        self.generations = HitRate()
        self.scores = HitRate()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=60)
        try:
            check_pages(db)
            with db:
                db.execute("CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS scores "
                           "(metric TEXT, key TEXT, value REAL, PRIMARY KEY (metric, key))")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def get_generations(self, keys: Sequence[str]) -> dict[str, Generation]:
        found = {}
        for chunk in _chunks(list(set(keys))):
            rows = self._db.execute(f"SELECT key, value FROM generations WHERE key IN ({','.join('?' * len(chunk))})",
                                    chunk)
            found |= {key: generation for key, value in rows if (generation := _generation(value)) is not None}
        return found

    def put_generations(self, items: dict[str, Generation]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO generations VALUES (?, ?)",
                                 [(k, json.dumps(asdict(g), ensure_ascii=False)) for k, g in items.items()])

    def get_scores(self, metric: str, keys: Sequence[str]) -> dict[str, float | None]:
        found: dict[str, float | None] = {}
        for chunk in _chunks(list(set(keys))):
            rows = self._db.execute(f"SELECT key, value FROM scores WHERE metric = ? AND key IN "
                                    f"({','.join('?' * len(chunk))})", [metric, *chunk])
            # A value that is not a number was not written by put_scores: a miss, computed and written again.
            found |= {key: value for key, value in rows if value is None or isinstance(value, float)}
        return found

    def put_scores(self, metric: str, values: dict[str, float | None]) -> None:
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO scores VALUES (?, ?, ?)",
                                 [(metric, k, v) for k, v in values.items()])

    def close(self) -> None:
        self._db.close()


def _generation(value: str) -> Generation | None:
    """A stored answer, or None (a miss) for an entry that is not one: edited by hand, or from a broken copy."""
    try:
        generation = Generation(**json.loads(value))
    except (TypeError, ValueError):  # not JSON, not an object, other fields
        return None
    return generation if isinstance(generation.text, str) else None


def _chunks(keys: list[str], size: int = 500) -> list[list[str]]:
    """SQLite caps the number of ``?`` in one statement."""
    return [keys[i:i + size] for i in range(0, len(keys), size)]


class CachedGenerator:
    """A generator that answers from the cache where it can and asks the wrapped generator for the rest, in one call.

    The key is the wrapped generator's identity (model weights, adapter content, dtype), the conversation exactly
    as given, and the decoding settings; batch size is not in it, since a batched greedy answer equals the answer
    generated alone.
    """

    def __init__(self, inner: Generator, cache: ResultCache) -> None:
        self.inner, self.cache = inner, cache

    @property
    def identity(self) -> str:
        return self.inner.identity

    def key(self, conversation: list[Message], max_new_tokens: int, stop: Sequence[str]) -> str:
        return digest("generation", self.inner.identity, conversation, max_new_tokens, list(stop))

    def generate(
        self, conversations: Sequence[list[Message]], *, max_new_tokens: int, stop: Sequence[str] = ()
    ) -> list[Generation]:
        return _read_through(
            [self.key(c, max_new_tokens, stop) for c in conversations], self.cache.get_generations,
            self.cache.put_generations, self.cache.generations,
            lambda missing: self.inner.generate([conversations[i] for i in missing], max_new_tokens=max_new_tokens,
                                                stop=stop))


class CachedMetric:
    """A deterministic metric whose scores are looked up before they are computed.

    ``scorer`` names what the metric computes with (the embedder's identity), so a new embedder misses; so does
    a metric whose definition changed (its class's ``version``).
    LLM-judge metrics are not wrapped: their judge is a ``CachedGenerator`` instead, which keeps their count of
    unreadable replies right.
    """

    def __init__(self, inner: Metric, cache: ResultCache, scorer: str) -> None:
        self.inner, self.cache, self.scorer = inner, cache, scorer
        self.name = inner.name
        self.requires = getattr(inner, "requires", ())

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        return _read_through(
            [digest("score", self.name, getattr(self.inner, "version", 1), self.scorer, _fields(s)) for s in samples],
            partial(self.cache.get_scores, self.name), partial(self.cache.put_scores, self.name), self.cache.scores,
            lambda missing: self.inner.score([samples[i] for i in missing]))


def _fields(sample: Sample) -> dict[str, Any]:
    """A sample's fields for its cache key; ``also_accept`` only where it holds answers, so the scores cached before
    the field existed stay found."""
    fields = asdict(sample)
    if not sample.also_accept:
        del fields["also_accept"]
    return fields


def _read_through(keys: list[str], get: Callable[[list[str]], dict[str, Any]],
                  put: Callable[[dict[str, Any]], None], rate: HitRate,
                  compute: Callable[[list[int]], list[Any]]) -> list[Any]:
    """The values for ``keys`` in order: found ones from the cache, the rest computed in one call (``compute``
    gets the positions of the missing keys) and stored."""
    found = get(keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    rate.hits += len(keys) - len(missing)
    rate.misses += len(missing)
    if missing:
        new = {keys[i]: value for i, value in zip(missing, compute(missing))}
        put(new)
        found |= new
    return [found[k] for k in keys]

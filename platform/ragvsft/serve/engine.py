"""One base model answering every mode: the adapter versions live in it as named PEFT adapters.

A batch may mix modes: rows without the adapter (``base``, ``rag``) run as
``"__base__"`` and rows with it (``finetuned``, ``hybrid``) under their
release's adapter name, all decoding together in one running batch
(``ragvsft.generators.continuous``), each query leaving it when answered.
Prompts are rendered by
the code evaluation uses (``PromptTemplate.messages`` + ``HFGenerator.prompt_ids``
-> ``render_prompt``), so a served answer is the answer ``ragvsft run`` recorded.

A *release* is the index and adapter versions served together. During a hot
reload two releases are loaded side by side; each request is bound to one when
it is admitted and answered with that release's index and adapter only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragvsft.arms import ARMS
from ragvsft.embedders import Embedder
from ragvsft.errors import RagvsftError
from ragvsft.fewshot import Example, ExamplePool
from ragvsft.finetune.adapter import check_adapter_base
from ragvsft.generators import HFGenerator
from ragvsft.generators.continuous import Row, RunningBatch
from ragvsft.generators.hf import BASE_ROWS
from ragvsft.indexing import load_index_version
from ragvsft.models import LoadedLM
from ragvsft.prompts import PromptTemplate
from ragvsft.retriever import DenseRetriever, embed_queries
from ragvsft.store import Hit

SERVE_MODES = ("base", "rag", "finetuned", "hybrid")  # the arms a question can be put to without gold sources


@dataclass(frozen=True)
class Release:
    """The index and adapter versions served together; every answer comes from exactly one release.

    Example:
        >>> release = engine.load_release(index_dir=path, index_version="3", adapter_dir=None, adapter_version=None)
        ... # doctest: +SKIP
        >>> release.modes  # doctest: +SKIP
        ('base', 'rag')
    """

    index_version: str
    adapter_version: str | None
    base_model: str
    """Identity of the base model (name and weights hash)."""
    retriever: DenseRetriever
    adapter_name: str | None
    """Name of this release's adapter inside the shared PEFT model (one per adapter version)."""
    examples: ExamplePool | None = None
    """The training pairs the release was measured with, under ``prompt.few_shot``."""

    @property
    def versions(self) -> dict[str, str | None]:
        return {"index": self.index_version, "adapter": self.adapter_version, "base_model": self.base_model}

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes this release can answer: the adapter modes only when it has an adapter."""
        return tuple(m for m in SERVE_MODES if self.adapter_name or not ARMS[m].adapter)


@dataclass(frozen=True)
class Query:
    """One question to answer, bound to the release that answers it."""

    question: str
    mode: str
    top_k: int
    max_new_tokens: int
    release: Release


@dataclass(frozen=True)
class Answer:
    """What the engine returns for a ``Query``."""

    text: str
    hits: tuple[Hit, ...]
    retrieval_ms: float
    generation_ms: float
    prompt_tokens: int
    new_tokens: int
    finish_reason: str
    """``stop`` (an end token or stop string) or ``length`` (the token budget ran out)."""
    batch_rows: int
    """Rows in the batch just after this query joined it."""
    examples: tuple[Example, ...] = ()
    """The worked examples its prompt held (``prompt.few_shot``)."""


class Engine:
    """The loaded base model, its adapters and the embedder; answers batches of queries.

    Example:
        >>> engine = Engine(load_lm("SmolLM2-135M-Instruct", cache_dir=cache), embedder, template=PromptTemplate(),
        ...                 stop=("\\n",), hnsw_ef_search=64)  # doctest: +SKIP
        >>> release = engine.load_release(index_dir=idx, index_version="1", adapter_dir=ad, adapter_version="1")
        ... # doctest: +SKIP
        >>> engine.answer([Query("Who signs travel?", "hybrid", 2, 24, release)])[0].text  # doctest: +SKIP
        'Ines Marlow'
    """

    def __init__(self, lm: LoadedLM, embedder: Embedder, *, template: PromptTemplate, stop: Sequence[str],
                 hnsw_ef_search: int, pack_weights: bool = True, int4_decoding: bool = False,
                 batch_invariant: bool = False) -> None:
        self._lm, self._embedder, self._template = lm, embedder, template
        self.stop, self._ef_search = tuple(stop), hnsw_ef_search
        self._how = {"pack_weights": pack_weights, "int4_decoding": int4_decoding,  # model.* settings
                     "batch_invariant": batch_invariant}
        self._peft: Any = None  # the PeftModel, once a first adapter is loaded
        # Packs the base model's weights (model.pack_weights) before any adapter wraps them: adapters never merge here.
        self._generator = HFGenerator.from_loaded(lm, identity=lm.identity, **self._how)
        # Loading or deleting an adapter changes the model's modules: never while a batch generates.
        self._lock = threading.Lock()

    @property
    def base_model(self) -> str:
        return self._lm.identity

    def decode(self, ids: Sequence[int]) -> str:
        return self._lm.tokenizer.decode(list(ids), skip_special_tokens=True)

    @property
    def few_shot(self) -> int:
        """Worked examples per prompt (``prompt.few_shot``); releases then need their training pairs."""
        return self._template.few_shot

    def load_release(self, *, index_dir: Path, index_version: str, adapter_dir: Path | None,
                     adapter_version: str | None, examples: Sequence[Example] = ()) -> Release:
        """Load an index version and (optionally) an adapter version beside what is already loaded; under
        ``prompt.few_shot``, ``examples`` are the training pairs the release was measured with."""
        store, _ = load_index_version(index_dir, expected_embedder=self._embedder.identity,
                                      hnsw_ef_search=self._ef_search)
        retriever = DenseRetriever(self._embedder, store)
        pool = ExamplePool(examples, self._embedder) if self.few_shot else None
        name = None
        if adapter_dir is not None:
            check_adapter_base(adapter_dir, self._lm.identity)
            # One name per version: a reloaded adapter never shares an identity with the one it replaces.
            name = f"adapter-v{adapter_version}"
            with self._lock:
                self._load_adapter(adapter_dir, name)
        return Release(index_version, adapter_version, self._lm.identity, retriever, name, pool)

    def _load_adapter(self, folder: Path, name: str) -> None:
        if self._peft is None:
            from peft import PeftModel

            self._peft = PeftModel.from_pretrained(self._lm.model, str(folder), adapter_name=name,
                                                   is_trainable=False).eval()
            self._generator = HFGenerator.from_loaded(self._lm, adapter_model=self._peft, identity=self._lm.identity,
                                                      **self._how)
        elif name not in self._peft.peft_config:
            try:
                self._peft.load_adapter(str(folder), adapter_name=name, is_trainable=False)
            except (ValueError, KeyError, RuntimeError) as exc:  # another LoRA layout than the base was wrapped with
                raise RagvsftError(f"cannot load adapter {folder} beside the one being served: {exc}") from None
            self._peft.eval()

    def unload(self, release: Release) -> None:
        """Free a release's adapter (the caller knows no request still uses it)."""
        if release.adapter_name and self._peft is not None:
            with self._lock:
                names = list(self._peft.peft_config)
                if release.adapter_name in names and len(names) > 1:
                    # Rows name their adapter explicitly, so which one is "active" only matters to PEFT's bookkeeping.
                    self._peft.set_adapter(next(n for n in names if n != release.adapter_name))
                    self._peft.delete_adapter(release.adapter_name)

    def new_batch(self) -> RunningBatch:
        """An empty running batch on this engine's model: queries ``join`` it and leave it as they are answered."""
        return self._generator.running_batch(stop=self.stop)

    def join(self, batch: RunningBatch, queries: Sequence[Query], tags: Sequence[Any]) -> None:
        """Retrieve for ``queries`` (one embedding call; one per question under ``batch_invariant``), pick their
        worked examples (``prompt.few_shot``), render their prompts and prefill them into ``batch``, each with its
        caller's ``tag``. When this fails, ``batch`` is as it was."""
        for q in queries:
            if q.mode not in q.release.modes:
                raise RagvsftError(f"mode {q.mode!r} is not served by this release; served: {', '.join(q.release.modes)}")

        # 1. Retrieval: the questions of retrieving rows (of every row under few_shot) embedded together (under
        #    batch_invariant each alone, as evaluation does), searched in their own release's index and examples.
        started = time.perf_counter()
        embedding = [i for i, q in enumerate(queries) if ARMS[q.mode].context == "retrieved" or self.few_shot]
        hits: dict[int, tuple[Hit, ...]] = {}
        shots: dict[int, tuple[Example, ...]] = {}
        if embedding:
            vectors = embed_queries(self._embedder, [queries[i].question for i in embedding],
                                    alone=self._how["batch_invariant"])
            for i, vector in zip(embedding, vectors):
                q = queries[i]
                if ARMS[q.mode].context == "retrieved":
                    hits[i] = tuple(q.release.retriever.store.search_many(vector.reshape(1, -1), q.top_k)[0])
                if q.release.examples is not None:
                    shots[i] = q.release.examples.pick([q.question], vector.reshape(1, -1), self.few_shot)[0]
        retrieval_ms = (time.perf_counter() - started) * 1000 / max(len(embedding), 1)

        # 2. Prompts, through the same rendering as training and evaluation; each row with its release's adapter or
        #    none. The prompts are prefilled by length group (a closed-book prompt padded to a RAG prompt's length
        #    would cost as much as one), then decode with the batch's other rows, modes mixed.
        rows = []
        for i, (q, tag) in enumerate(zip(queries, tags)):
            passages = [h.chunk.text for h in hits[i]] if i in hits else None
            prompt = self._generator.prompt_ids(self._template.messages(q.question, passages, shots.get(i, ())),
                                                max_new_tokens=q.max_new_tokens)
            adapter = (q.release.adapter_name if ARMS[q.mode].adapter else BASE_ROWS) if self._peft is not None else None
            rows.append(Row(prompt, q.max_new_tokens, adapter,
                            _Job(hits.get(i, ()), shots.get(i, ()), retrieval_ms if i in embedding else 0.0, tag)))
        with self._lock:
            batch.admit(rows)

    def step(self, batch: RunningBatch, on_step: Callable[[Any, list[int]], None] | None = None,
             ) -> list[tuple[Any, Answer]]:
        """One decoding step of ``batch``; the (tag, answer) of each query it finished. ``on_step(tag, new_ids)``
        sees every row's tokens so far (streaming). When the step fails, the batch is emptied and ``BatchFailed``
        names the tags it held."""
        tags = [row.tag.tag for row in batch.rows]
        try:
            with self._lock:
                finished = batch.step(None if on_step is None else lambda row: on_step(row.tag.tag, row.new))
        except Exception as exc:  # the batch is gone: every query in it must hear of it
            raise BatchFailed(tags) from exc
        answers = []
        for row in finished:
            g, job = batch.generation(row), row.tag
            answers.append((job.tag, Answer(g.text, job.hits, job.retrieval_ms, g.latency_ms, g.prompt_tokens,
                                            g.new_tokens, "length" if g.new_tokens >= row.limit else "stop",
                                            g.batch_rows, job.examples)))
        return answers

    def leave(self, batch: RunningBatch, gone: Callable[[Any], bool]) -> int:
        """Take the rows whose tag ``gone`` says is no longer wanted out of ``batch`` unanswered, so they stop
        costing decoding steps; how many left."""
        leaving = [row for row in batch.rows if gone(row.tag.tag)]
        if leaving:
            with self._lock:
                batch.leave(leaving)
        return len(leaving)

    def answer(self, queries: Sequence[Query], on_step: Callable[[int, list[int]], None] | None = None,
               ) -> list[Answer]:
        """Answer ``queries`` together, in order (``on_step(index, new_ids)`` as in ``step``)."""
        batch = self.new_batch()
        self.join(batch, queries, range(len(queries)))
        answers: dict[int, Answer] = {}
        while batch.rows:
            answers.update(self.step(batch, on_step))
        return [answers[i] for i in range(len(queries))]


class BatchFailed(RagvsftError):
    """A decoding step failed; ``tags`` are the queries the batch held (all of them lost their answers)."""

    def __init__(self, tags: Sequence[Any]) -> None:
        super().__init__(f"generation failed for {len(tags)} queries")
        self.tags = list(tags)


@dataclass(frozen=True)
class _Job:
    """What a row in the running batch carries for the engine: what retrieval found, and the caller's tag."""

    hits: tuple[Hit, ...]
    examples: tuple[Example, ...]
    retrieval_ms: float
    tag: Any

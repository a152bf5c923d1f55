"""Question -> ranked chunks: an embedder and a FAISS store used together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Protocol

import numpy as np

from ragvsft.embedders import Embedder
from ragvsft.errors import RagvsftError
from ragvsft.store import FaissStore, Hit


class Retriever(Protocol):
    """Anything that ranks chunks for a question."""

    def search(self, query: str, k: int) -> list[Hit]: ...

    def search_many(self, queries: Sequence[str], k: int) -> list[list[Hit]]: ...


class DenseRetriever:
    """Embed the question, take the nearest chunks by cosine.

    Example:
        >>> retriever = DenseRetriever(embedder, store)  # doctest: +SKIP
        >>> retriever.search("How long is parental leave?", k=3)[0].chunk.doc_id  # doctest: +SKIP
        'policies/leave.md'
    """

    def __init__(self, embedder: Embedder, store: FaissStore) -> None:
        if embedder.dim != store.dim:
            raise RagvsftError(
                f"the embedder gives {embedder.dim}-d vectors but the index holds {store.dim}-d vectors; "
                "rebuild the index with `ragvsft index <experiment>`"
            )
        self.embedder = embedder
        self.store = store

    def search(self, query: str, k: int) -> list[Hit]:
        return self.search_many([query], k)[0]

    def search_many(self, queries: Sequence[str], k: int) -> list[list[Hit]]:
        return self.store.search_many(self.embedder.embed(list(queries)), k)

    def search_within(self, queries: Sequence[str], doc_ids: Sequence[Collection[str]], k: int) -> list[list[Hit]]:
        """Top-``k`` chunks for each query among the chunks of its documents only (exact cosine; ties keep index
        order): the oracle arms' gold passages, ranked as retrieval would rank them."""
        positions: dict[str, list[int]] = defaultdict(list)
        for i, chunk in enumerate(self.store.chunks):
            positions[chunk.doc_id].append(i)
        out = []
        for vector, docs in zip(self.embedder.embed(list(queries)), doc_ids):
            candidates = [i for d in sorted(set(docs)) for i in positions[d]]
            scores = self.store.vectors(candidates) @ vector if candidates else np.empty(0)
            best = np.argsort(-scores, kind="stable")[:k]
            out.append([Hit(self.store.chunks[candidates[j]], float(scores[j]), rank) for rank, j in enumerate(best, 1)])
        return out

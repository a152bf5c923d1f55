"""Question -> ranked chunks: an embedder and a FAISS store used together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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

"""FAISS vector store with chunk metadata, persisted without pickle.

On disk a store is a folder with ``index.faiss`` (``faiss.write_index``) and
``chunks.jsonl`` (one chunk per line, in index order). Nothing in it is
executable, so a store from elsewhere is safe to load.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from ragvsft.chunking import Chunk

INDEX_FILE = "index.faiss"
CHUNKS_FILE = "chunks.jsonl"


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and its score (inner product of unit vectors = cosine)."""

    chunk: Chunk
    score: float
    rank: int  # 1-based


class FaissStore:
    """Chunks and their vectors in a FAISS index (inner product on normalised vectors).

    Example:
        >>> store = FaissStore(dim=2)
        >>> store.add(np.array([[1, 0], [0, 1]], dtype="float32"), [Chunk("a#0", "a", "x", 0), Chunk("b#0", "b", "y", 0)])
        >>> [h.chunk.id for h in store.search(np.array([0.1, 0.9], dtype="float32"), k=1)]
        ['b#0']
    """

    def __init__(
        self,
        dim: int,
        *,
        index_type: Literal["flat", "hnsw"] = "flat",
        hnsw_m: int = 32,
        hnsw_ef_search: int = 64,
        index: faiss.Index | None = None,
        chunks: list[Chunk] | None = None,
    ) -> None:
        if index is None:
            if index_type == "flat":
                index = faiss.IndexFlatIP(dim)
            elif index_type == "hnsw":
                index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            else:
                raise ValueError(f"index_type must be 'flat' or 'hnsw', got {index_type!r}")
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = hnsw_ef_search
        self.index = index
        self.chunks: list[Chunk] = chunks or []
        self.dim = dim

    def __len__(self) -> int:
        return len(self.chunks)

    def add(self, vectors: np.ndarray, chunks: list[Chunk]) -> None:
        if vectors.shape != (len(chunks), self.dim):
            raise ValueError(f"expected vectors of shape ({len(chunks)}, {self.dim}), got {vectors.shape}")
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.chunks.extend(chunks)

    def search_many(self, queries: np.ndarray, k: int) -> list[list[Hit]]:
        """Top-``k`` hits for each row of ``queries``, best first."""
        k = min(k, len(self.chunks))
        if k == 0:
            return [[] for _ in range(len(queries))]
        scores, ids = self.index.search(np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim), k)
        return [
            [Hit(self.chunks[i], float(s), rank) for rank, (i, s) in enumerate(zip(row_ids, row_scores), 1) if i >= 0]
            for row_ids, row_scores in zip(ids, scores)
        ]

    def search(self, query: np.ndarray, k: int) -> list[Hit]:
        return self.search_many(query.reshape(1, -1), k)[0]

    def save(self, folder: Path) -> None:
        """Write ``index.faiss`` and ``chunks.jsonl`` into an existing folder."""
        faiss.write_index(self.index, str(folder / INDEX_FILE))
        with (folder / CHUNKS_FILE).open("w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, folder: Path, *, hnsw_ef_search: int = 64) -> FaissStore:
        index = faiss.read_index(str(folder / INDEX_FILE))
        with (folder / CHUNKS_FILE).open(encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh]
        if index.ntotal != len(chunks):
            raise ValueError(f"{folder}: index holds {index.ntotal} vectors but {len(chunks)} chunks are listed")
        return cls(index.d, index=index, chunks=chunks, hnsw_ef_search=hnsw_ef_search)

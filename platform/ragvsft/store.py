"""FAISS vector store with chunk metadata, persisted without pickle.

On disk a store is a folder with ``index.faiss`` (``faiss.write_index``) and
``chunks.jsonl`` (one chunk per line, in index order). Nothing in it is
executable, so a store from elsewhere is safe to load. A missing or damaged
file raises :class:`~ragvsft.errors.RagvsftError` naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, get_type_hints

import faiss
import numpy as np

from ragvsft.chunking import Chunk
from ragvsft.errors import RagvsftError, json_problem

INDEX_FILE = "index.faiss"
CHUNKS_FILE = "chunks.jsonl"
STORE_FILES = (INDEX_FILE, CHUNKS_FILE)
REBUILD = "rebuild it with `ragvsft index <experiment>`"
_CHUNK_TYPES: dict[str, type] = get_type_hints(Chunk)  # field -> type, for checking chunks.jsonl rows
_CHUNK_FIELDS = set(_CHUNK_TYPES)


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk and its score (inner product of unit vectors = cosine)."""

    chunk: Chunk
    score: float
    rank: int  # 1-based
    also_in: tuple[str, ...] = ()  # other documents holding a chunk of the very same text (copies of a document)

    def doc_for(self, sources: Collection[str]) -> str:
        """The document this hit stands for: the first of its own and its copies' (``also_in``) that ``sources``
        names, else its own; so a copy of a question's source counts as the source.

        Example:
            >>> hit = Hit(Chunk("a#0", "a", "x", 0), 0.9, 1, also_in=("a copy",))
            >>> hit.doc_for({"a copy"}), hit.doc_for({"b"})
            ('a copy', 'a')
        """
        return next((d for d in (self.chunk.doc_id, *self.also_in) if d in sources), self.chunk.doc_id)


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
        index_type: Literal["flat", "hnsw", "ivf"] = "flat",
        hnsw_m: int = 32,
        hnsw_ef_search: int = 64,
        ivf_lists: int = 1,
        ivf_probe: int = 64,
        index: faiss.Index | None = None,
        chunks: list[Chunk] | None = None,
    ) -> None:
        if index is None:
            if index_type == "flat":
                index = faiss.IndexFlatIP(dim)
            elif index_type == "hnsw":
                index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            elif index_type == "ivf":  # the factory owns its coarse quantizer (no Python reference to keep alive)
                index = faiss.index_factory(dim, f"IVF{max(ivf_lists, 1)},Flat", faiss.METRIC_INNER_PRODUCT)
                faiss.extract_index_ivf(index).nprobe = ivf_probe  # written into index.faiss with the index
            else:
                raise ValueError(f"index_type must be 'flat', 'hnsw' or 'ivf', got {index_type!r}")
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = hnsw_ef_search
        self.index = index
        self.chunks: list[Chunk] = chunks or []
        self.dim = dim
        self._texts: tuple[list[int], dict[int, tuple[str, ...]]] = ([], {})
        self._texts_for = 0  # how many chunks _texts describes

    def __len__(self) -> int:
        return len(self.chunks)

    def add(self, vectors: np.ndarray, chunks: list[Chunk]) -> None:
        if vectors.shape != (len(chunks), self.dim):
            raise ValueError(f"expected vectors of shape ({len(chunks)}, {self.dim}), got {vectors.shape}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.index.is_trained:  # IVF: cluster centres from the first vectors added (the whole corpus)
            self.index.train(_training_sample(vectors, faiss.extract_index_ivf(self.index).nlist))
        self.index.add(vectors)
        self.chunks.extend(chunks)

    def search_many(self, queries: np.ndarray, k: int) -> list[list[Hit]]:
        """Top-``k`` hits for each row of ``queries``, best first, each text once.

        A corpus holding a document twice (``policy.pdf`` beside ``policy.docx``, "Copy of ...") holds its chunks
        twice: the copies would fill a prompt's ``top_k`` with one passage, and a question whose source is one copy
        would count the other as a miss. So a chunk whose text an earlier hit has is passed over, and every hit
        names the other documents holding its text (``Hit.also_in``), which count as its sources.

        Example:
            >>> store = FaissStore(dim=2)
            >>> store.add(np.array([[1, 0], [1, 0], [0, 1]], dtype="float32"),
            ...           [Chunk("a#0", "a", "x", 0), Chunk("a copy#0", "a copy", "x", 0), Chunk("b#0", "b", "y", 0)])
            >>> [(h.chunk.id, h.also_in) for h in store.search(np.array([0.9, 0.1], dtype="float32"), k=2)]
            [('a#0', ('a copy',)), ('b#0', ())]
        """
        k = min(k, len(self.chunks))
        if k == 0:
            return [[] for _ in range(len(queries))]
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        first_of, holders = self._same_texts()
        fetch = min(2 * k, len(self.chunks)) if holders else k
        while True:
            scores, ids = self.index.search(queries, fetch)
            rows = [self._distinct(row_ids, row_scores, k, first_of, holders) for row_ids, row_scores in zip(ids, scores)]
            # Fetch more where copies left a row short, unless the index had no more to give.
            if fetch == len(self.chunks) or all(len(row) == k or (row_ids < 0).any() for row, row_ids in zip(rows, ids)):
                return rows
            fetch = min(4 * fetch, len(self.chunks))

    def _distinct(self, ids: np.ndarray, scores: np.ndarray, k: int, first_of: list[int],
                  holders: dict[int, tuple[str, ...]]) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[int] = set()
        for i, score in zip(ids.tolist(), scores.tolist()):
            if i < 0 or first_of[i] in seen:
                continue
            seen.add(first_of[i])
            chunk = self.chunks[first_of[i]]  # of copies that tie, the first document's, whichever FAISS gave first
            also_in = tuple(d for d in holders.get(first_of[i], ()) if d != chunk.doc_id)
            hits.append(Hit(chunk, score, len(hits) + 1, also_in))
            if len(hits) == k:
                break
        return hits

    def _same_texts(self) -> tuple[list[int], dict[int, tuple[str, ...]]]:
        """For each chunk the position of the first chunk with its text, and for each text held more than once
        (by that first position) the documents holding it; worked out once per set of chunks."""
        if self._texts_for != len(self.chunks):
            first: dict[str, int] = {}
            first_of = [first.setdefault(chunk.text, i) for i, chunk in enumerate(self.chunks)]
            docs: dict[int, dict[str, None]] = {}
            for i, f in enumerate(first_of):
                if f != i:
                    docs.setdefault(f, {self.chunks[f].doc_id: None})[self.chunks[i].doc_id] = None
            self._texts = first_of, {f: tuple(held) for f, held in docs.items()}
            self._texts_for = len(self.chunks)
        return self._texts

    def search(self, query: np.ndarray, k: int) -> list[Hit]:
        return self.search_many(query.reshape(1, -1), k)[0]

    def vectors(self, positions: Sequence[int]) -> np.ndarray:
        """The stored vectors of the chunks at ``positions`` (flat, HNSW and IVF-flat indexes keep them whole).

        Example:
            >>> store = FaissStore(dim=2)
            >>> store.add(np.array([[1, 0], [0, 1]], dtype="float32"), [Chunk("a#0", "a", "x", 0), Chunk("b#0", "b", "y", 0)])
            >>> store.vectors([1]).tolist()
            [[0.0, 1.0]]
        """
        ivf = faiss.try_extract_index_ivf(self.index)
        if ivf is not None and ivf.direct_map.type == faiss.DirectMap.NoMap:
            ivf.make_direct_map()  # IVF keeps vectors by cluster: a position -> vector map, built on demand
        return np.stack([self.index.reconstruct(int(i)) for i in positions]) if positions else np.empty((0, self.dim))

    def save(self, folder: Path) -> None:
        """Write ``index.faiss`` and ``chunks.jsonl`` into an existing folder."""
        faiss.write_index(self.index, str(folder / INDEX_FILE))
        with (folder / CHUNKS_FILE).open("w", encoding="utf-8") as fh:
            for chunk in self.chunks:
                fh.write(json.dumps(asdict(chunk), ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, folder: Path, *, hnsw_ef_search: int = 64) -> FaissStore:
        """Read a folder written by :meth:`save`.

        A missing or damaged file raises :class:`RagvsftError` naming it (and the
        line, for ``chunks.jsonl``), so the CLI reports one line, not a traceback.

        Example:
            >>> import tempfile
            >>> folder = Path(tempfile.mkdtemp())
            >>> store = FaissStore(dim=2)
            >>> store.add(np.array([[1, 0]], dtype="float32"), [Chunk("a#0", "a", "x", 0)])
            >>> store.save(folder)
            >>> FaissStore.load(folder).chunks == store.chunks
            True
            >>> _ = (folder / CHUNKS_FILE).write_text("not json\\n", encoding="utf-8")
            >>> FaissStore.load(folder)  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ragvsft.errors.RagvsftError: .../chunks.jsonl:1: malformed JSON (...); rebuild it with `ragvsft index <experiment>`
        """
        index = _read_index(folder / INDEX_FILE)
        chunks = _read_chunks(folder / CHUNKS_FILE)
        if index.ntotal != len(chunks):
            raise RagvsftError(
                f"{folder}: {INDEX_FILE} holds {index.ntotal} vectors but {CHUNKS_FILE} lists {len(chunks)} chunks; "
                f"{REBUILD}"
            )
        return cls(index.d, index=index, chunks=chunks, hnsw_ef_search=hnsw_ef_search)


def _training_sample(vectors: np.ndarray, lists: int) -> np.ndarray:
    """At most 256 vectors per cluster (FAISS' own cap), drawn with a fixed seed so a rebuild is identical."""
    cap = 256 * lists
    if len(vectors) <= cap:
        return vectors
    return vectors[np.sort(np.random.default_rng(0).choice(len(vectors), cap, replace=False))]


def _read_index(path: Path) -> faiss.Index:
    if not path.exists():  # faiss would say so too, but in C++ terms
        raise RagvsftError(f"{path}: file missing; {REBUILD}")
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        # FAISS prefixes the C++ function and source line; keep the part that says what is wrong.
        first_line = (str(exc).strip().splitlines() or ["unknown error"])[0]
        detail = re.sub(r"^Error in .*? at \S+:\d+: (Error: )?", "", first_line)
        raise RagvsftError(f"{path}: not a readable FAISS index ({detail}); {REBUILD}") from None


def _read_chunks(path: Path) -> list[Chunk]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise RagvsftError(f"{path}: file missing; {REBUILD}") from None
    except OSError as exc:
        raise RagvsftError(f"{path}: cannot be read ({exc.strerror}); {REBUILD}") from None
    chunks = []
    for line_no, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{line_no}"
        try:
            row = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise RagvsftError(f"{where}: not valid UTF-8; {REBUILD}") from None
        except json.JSONDecodeError as exc:
            raise RagvsftError(f"{where}: {json_problem(exc)}; {REBUILD}") from None
        if not isinstance(row, dict) or set(row) != _CHUNK_FIELDS:
            found = sorted(row) if isinstance(row, dict) else type(row).__name__
            raise RagvsftError(f"{where}: expected a chunk with fields {sorted(_CHUNK_FIELDS)}, got {found}; {REBUILD}")
        wrong = [name for name, kind in _CHUNK_TYPES.items() if type(row[name]) is not kind]
        if wrong:
            raise RagvsftError(f"{where}: chunk field(s) {wrong} have the wrong type; {REBUILD}")
        chunks.append(Chunk(**row))
    return chunks

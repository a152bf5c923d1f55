"""Embedding a large corpus with Ray Data: ``map_batches`` over a pool of actors, one embedder per actor.

The chunks are cut into the very slices the local embedder encodes (:func:`length_sorted_slices`); each row of
the dataset is one slice, and an actor encodes it with the same ``encode_slice`` call, so the index built from
these vectors is the local build's (same vectors, same order; ``tests/test_ray.py`` checks it). Vectors come back
as the actors finish them, which drives the progress bar.

Example:
    >>> with ray_cluster.connected("local"):  # doctest: +SKIP
    ...     RayDataEmbedder(config.index, config.ray).embed(["a chunk", "another"]).shape
    (2, 384)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ragvsft.config import IndexConfig, RayConfig
from ragvsft.device import inference_dtype
from ragvsft.embedders import SentenceTransformerEmbedder, embedder_identity, length_sorted_slices
from ragvsft.ray_cluster import task_threads


class _EmbedActor:
    """One Ray actor: loads the embedder once, then encodes one slice per call."""

    def __init__(self, spec: str, batch_size: int, device: str, dtype: str, threads: int) -> None:
        import torch

        torch.set_num_threads(threads)
        self.embedder = SentenceTransformerEmbedder(spec, batch_size=batch_size, device=device, dtype=dtype)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        vectors = [self.embedder.encode_slice(list(texts)) for texts in batch["texts"]]
        # bytes, not tensors: slices differ in length, and a float32 buffer crosses Ray's object store as it is
        return {"slice": list(batch["slice"]), "vectors": [v.astype(np.float32).tobytes() for v in vectors],
                "dim": [v.shape[1] for v in vectors]}


def actor_gpus(settings: RayConfig, device: str, cluster_gpus: float) -> float:
    """GPUs each embedding actor asks for: ``[ray] gpus`` when set; otherwise one when the cluster has GPUs and
    ``index.device`` allows one (``auto`` or ``cuda``), so the embedding uses GPUs where they are.

    Example:
        >>> actor_gpus(RayConfig(), "auto", 8), actor_gpus(RayConfig(), "cpu", 8), actor_gpus(RayConfig(gpus=0.5), "auto", 8)
        (1.0, 0.0, 0.5)
    """
    if settings.gpus:
        return settings.gpus
    return 1.0 if cluster_gpus >= 1 and device != "cpu" else 0.0


class RayDataEmbedder:
    """The ``[index]`` embedder run by ``ray.embed_actors`` Ray actors with ``gpus`` each (see :func:`actor_gpus`);
    needs a Ray connection (``ray_cluster.connected``).

    It has the local embedder's identity: the vectors are the same, so an index it built is the same index. The
    precision (``index.dtype``) is decided here, on the machine that builds the index, and every actor uses it.
    """

    def __init__(self, index: IndexConfig, ray_settings: RayConfig, *, gpus: float = 0.0) -> None:
        self.index, self.settings, self.gpus = index, ray_settings, gpus
        self.dtype = inference_dtype(index.device, index.dtype)
        self._identity = embedder_identity(index.embedder, self.dtype)
        self._dim: int | None = None

    @property
    def identity(self) -> str:
        return self._identity

    @property
    def dim(self) -> int:
        if self._dim is None:  # nothing embedded yet: one probe text tells
            self.embed(["dimension"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str], *, on_batch: Callable[[int], None] | None = None) -> np.ndarray:
        import ray.data

        slices = length_sorted_slices(texts, self.index.embed_batch_size)
        rows = [{"slice": n, "texts": [texts[i] for i in idx]} for n, idx in enumerate(slices)]
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, len(rows))).map_batches(
            _EmbedActor, batch_size=1, compute=ray.data.ActorPoolStrategy(size=self.settings.embed_actors),
            num_cpus=self.settings.cpus, num_gpus=self.gpus or None,
            fn_constructor_kwargs={"spec": self.index.embedder, "batch_size": self.index.embed_batch_size,
                                   "device": self.index.device, "dtype": self.dtype,
                                   "threads": task_threads(self.settings.cpus)})
        out: np.ndarray | None = None
        for row in dataset.iter_rows():
            dim = int(row["dim"])
            if out is None:
                out, self._dim = np.empty((len(texts), dim), dtype=np.float32), dim
            idx = slices[int(row["slice"])]
            out[idx] = np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(idx), dim)
            if on_batch is not None:
                on_batch(len(idx))
        if out is None:  # no texts
            return np.empty((0, self.dim), dtype=np.float32)
        return out

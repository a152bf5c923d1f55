"""Ray Data embedding against the local build: chunks/s with 1 and 2 actors, and whether the index is the same.

A corpus generated from the demo's sentences (``index_build.py``'s generator, 800/100-character chunks) is
indexed three times through the product's ``build_index`` with the packaged all-MiniLM-L6-v2 in ``--dtype``
(``auto``, the product's default: bfloat16 on a CPU with AMX): locally (one process, every core), and through
Ray Data on a local Ray instance with one actor (every core's threads) and with one actor per core (one thread
each). Times cover the whole build, actor start-up and model loads included. "Same index" compares chunk order
and every vector with the local build's.

    .venv/bin/python benchmarks/ray_embedding.py --chunks 5000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_build import CHUNK_CHARS, OVERLAP_CHARS, generate_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=5000, help="size of the generated corpus")
    parser.add_argument("--dtype", default="auto", choices=["auto", "float32", "bfloat16"],
                        help="the embedder's precision, as [index] dtype (every build uses the same)")
    args = parser.parse_args()

    import torch

    from ragvsft import ray_cluster
    from ragvsft.builders import build_embedder, index_spec
    from ragvsft.config import IndexConfig, RayConfig
    from ragvsft.documents import load_documents
    from ragvsft.indexing import build_index
    from ragvsft.ray_embedding import RayDataEmbedder
    from ragvsft.store import FaissStore

    cores = os.cpu_count() or 2
    index = IndexConfig(chunk_chars=CHUNK_CHARS, chunk_overlap_chars=OVERLAP_CHARS, device="cpu", dtype=args.dtype)
    spec = index_spec(index)  # the local build and the Ray builds settle the precision the same way
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        docs = load_documents(generate_corpus(args.chunks, Path(tmp) / "corpus") / "docs")

        def build(name: str, make) -> tuple[float, FaissStore]:
            started = time.perf_counter()
            built = build_index(docs, make, Path(tmp) / name, spec)
            wall = time.perf_counter() - started
            print(f"{name}: {built.manifest['counts']['chunks']:,} chunks in {wall:.0f} s", flush=True)
            return wall, FaissStore.load(built.path)

        torch.set_num_threads(cores)
        local_s, local = build("local", lambda: build_embedder(index))
        n = len(local)
        everything = list(range(n))
        truth = local.vectors(everything)
        rows.append((f"local, one process × {cores} torch threads", local_s, "—"))
        with ray_cluster.connected(ray_cluster.LOCAL):
            for actors in (1, cores):
                settings = RayConfig(cpus=cores // actors, embed_actors=actors)
                wall, store = build(f"ray-{actors}", lambda s=settings: RayDataEmbedder(index, s))
                same_order = [c.id for c in store.chunks] == [c.id for c in local.chunks]
                vectors = store.vectors(everything)
                diff = float(np.abs(vectors - truth).max())
                same = f"{'same order' if same_order else 'ORDER DIFFERS'}, largest difference {diff:.1e}"
                if diff == 0:
                    same += " (bit for bit)"
                else:  # what the difference does to search: the same queries against both indexes
                    queries = truth[:: max(1, n // 1000)]
                    overlap = np.mean([len({h.chunk.id for h in a} & {h.chunk.id for h in b}) / 10 for a, b in
                                       zip(local.search_many(queries, 10), store.search_many(queries, 10))])
                    same += (f", lowest cosine to the local vector {float((vectors * truth).sum(axis=1).min()):.5f}"
                             f", top-10 overlap {overlap:.3f} over {len(queries)} queries")
                rows.append((f"Ray Data, {actors} actor{'s' if actors > 1 else ''} × {cores // actors} torch threads",
                             wall, same))
    print(f"\n{n:,} chunks × {local.dim} dims, all-MiniLM-L6-v2 on the CPU in {spec.embedder_identity}, {cores} cores\n")
    print("| build | wall s | chunks/s | vs local | same index as local |\n|---|---|---|---|---|")
    for name, wall, same in rows:
        print(f"| {name} | {wall:.0f} | {n / wall:.1f} | {local_s / wall:.2f}× | {same} |")


if __name__ == "__main__":
    main()

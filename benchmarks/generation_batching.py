"""Evaluation generation: batched (left padding, length-sorted) against one question at a time.

Same packaged SmolLM2-135M-Instruct, same demo eval questions and prompts (closed
book, and with the top-3 retrieved chunks like the rag arm), greedy, same
``max_new_tokens``; one run, sides alternating; new tokens per second and the ratio.

    .venv/bin/python benchmarks/generation_batching.py [--questions 32] [--batch-size 8]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args()

    from ragvsft.chunking import chunk_documents
    from ragvsft.corpus import load_corpus
    from ragvsft.generators import HFGenerator
    from ragvsft.lexical import BM25Retriever
    from ragvsft.prompts import PromptTemplate

    corpus = load_corpus(ROOT / "corpora" / "demo")
    questions = [q.question for q in corpus.split("eval")[: args.questions]]
    retriever = BM25Retriever(chunk_documents(corpus.documents, chunk_chars=800, chunk_overlap_chars=100))
    template = PromptTemplate()
    prompts = {
        "closed book": [template.messages(q) for q in questions],
        "with 3 chunks": [template.messages(q, [h.chunk.text for h in retriever.search(q, 3)]) for q in questions],
    }
    gens = {b: HFGenerator("SmolLM2-135M-Instruct", cache_dir=ROOT / ".cache" / "ragvsft", batch_size=b)
            for b in (1, args.batch_size)}
    gens[1].generate(prompts["closed book"][:2], max_new_tokens=4)  # warm-up: first-call allocations
    print("| prompts | batch size | questions | new tokens | seconds | new tokens/s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for name, conversations in prompts.items():
        rates = {}
        for batch in (args.batch_size, 1):
            started = time.perf_counter()
            out = gens[batch].generate(conversations, max_new_tokens=args.max_new_tokens, stop=["\n"])
            seconds = time.perf_counter() - started
            tokens = sum(g.new_tokens for g in out)
            rates[batch] = tokens / seconds
            print(f"| {name} | {batch} | {len(out)} | {tokens} | {seconds:.1f} | {rates[batch]:.1f} | |", flush=True)
        print(f"| {name} | batched / one at a time | | | | | **{rates[args.batch_size] / rates[1]:.2f}x** |")


if __name__ == "__main__":
    main()

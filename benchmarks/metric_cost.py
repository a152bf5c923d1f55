"""Cost of every metric: seconds to score 1,000 answers on this machine, median of repeats.

Answers are the demo corpus' labelled set (`ragvsft validate-metrics`): gold
answers, evidence sentences and their unsupported variants, with the gold
source documents as evidence and as the "retrieved" passages (so retrieval
metrics apply too). Judge-free metrics score every answer; the judge metrics
(packaged SmolLM2-135M run locally, 2 threads) score the first ``--judge-answers``.

    .venv/bin/python benchmarks/metric_cost.py [--repeats 3] [--judge-answers 48]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--judge-answers", type=int, default=48, help="0 skips the judge metrics")
    args = parser.parse_args()

    import torch

    from ragvsft.corpus import load_corpus
    from ragvsft.embedders import MemoEmbedder, SentenceTransformerEmbedder
    from ragvsft.generators import HFGenerator
    from ragvsft.metrics import JUDGE_FREE, METRICS, Metric, Sample, build_metrics
    from ragvsft.metrics.labelled_set import build_labelled_set

    torch.set_num_threads(2)
    corpus = load_corpus(ROOT / "corpora" / "demo")
    labelled = build_labelled_set(corpus.split("eval"), {d.id: d.text for d in corpus.documents}, seed=0)
    sources = {q.id: q.sources for q in corpus.split("eval")}
    samples = [Sample(a.question, a.answer, a.gold_answer, a.evidence, retrieved_doc_ids=sources[a.qa_id],
                      sources=sources[a.qa_id]) for a in labelled]
    embedder = SentenceTransformerEmbedder("all-MiniLM-L6-v2")
    judge = HFGenerator("SmolLM2-135M-Instruct", cache_dir=ROOT / ".cache" / "ragvsft") if args.judge_answers else None
    names = [n for n in METRICS if n in JUDGE_FREE or judge is not None]
    print(f"{len(samples)} answers; judge metrics on the first {args.judge_answers}; median of {args.repeats} runs\n")
    print("| metric | answers | seconds per 1,000 answers |")
    print("|---|---|---|")
    def fresh(name: str) -> Metric:  # a new metric each time: nothing remembered from an earlier repeat
        return build_metrics([name], embedder=embedder, judge=judge)[0]

    for name in names:
        batch = samples if name in JUDGE_FREE else samples[: args.judge_answers]
        fresh(name).score(batch[:8])  # warm-up: first-call allocations
        times = [timed(fresh(name).score, batch) for _ in range(args.repeats if name in JUDGE_FREE else 1)]
        print(f"| `{name}` | {len(batch)} | {statistics.median(times) * 1000 / len(batch):,.2f} |")

    # One evaluation scores the same questions and passages for every arm. Plain: each metric embeds the distinct
    # texts of each call (the counting wrapper drops repeats within a call, so this understates the old cost);
    # shared: the metrics of one evaluation share one MemoEmbedder (what build_metrics does).
    embedding = [n for n in JUDGE_FREE if "embedder" in getattr(METRICS[n], "requires", ())]
    arms = 4
    print(f"\n| embedding metrics ({', '.join(embedding)}) x {arms} arms | seconds | texts embedded | ratio |")
    print("|---|---|---|---|")
    rows = {}
    for side in ("plain", "shared MemoEmbedder"):
        counting = MemoEmbedder(embedder, max_texts=0)  # remembers nothing: counts what reaches the model
        metrics = ([METRICS[n](embedder=counting) for n in embedding] if side == "plain"
                   else build_metrics(embedding, embedder=counting))
        rows[side] = timed(lambda ms: [m.score(samples) for _ in range(arms) for m in ms], metrics)
        print(f"| {side} | {rows[side]:.1f} | {counting.embedded:,} | {rows['plain'] / rows[side]:.2f}x |", flush=True)


def timed(fn: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()

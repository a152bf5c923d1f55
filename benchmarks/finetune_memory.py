"""Fine-tune peak memory against sequence length: one forward/backward pass over the whole batch
against micro-batches by a token budget, with and without gradient checkpointing.

Examples are long support answers: a short question and an answer filling about three quarters of
``max_length``, words drawn from the demo corpus, so the answer-only logits and every layer's activations are
as large as the length allows. Each case trains the packaged SmolLM2-135M for ``--steps`` optimiser steps of
``--batch-size`` examples in a fresh process; the parent samples the child's resident memory and stops it past
``--limit-gb`` (a case that would have been killed by the kernel is reported as over the limit, not run to
the end). The table gives the child's peak resident memory (``ru_maxrss``, model load included) and its
training throughput. The base model is loaded as the pipeline loads it (``model.dtype = "auto"``: bfloat16 on a
CPU with AMX or AVX-512 BF16) unless the case names float32.

    .venv/bin/python benchmarks/finetune_memory.py                       # 256 512 1024 2048 tokens
    .venv/bin/python benchmarks/finetune_memory.py --lengths 1024 --steps 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / ".cache" / "ragvsft"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # benchmarks never download

# name -> LoraSettings overrides, and "dtype": the base model's (model.dtype; "auto" unless named: bfloat16 where the
# CPU computes it natively, as the pipeline trains since 2026-11-28). "glibc's own heap": its mmap threshold climbing
# to 32 MiB, the training default from the morning of 2026-11-27 until the bounded heap that evening.
CASES = {
    "whole batch, no token budget, float32 (before)": {"max_batch_tokens": 0, "gradient_checkpointing": "off",
                                                       "dtype": "float32"},
    "token budget 1024, checkpointing auto (default)": {},
    "token budget 1024, float32 weights": {"dtype": "float32"},
    "token budget 1024, bfloat16 weights": {"dtype": "bfloat16"},
    "token budget 1024 + checkpointing": {"gradient_checkpointing": "on"},
    "token budget 1024, lean heap from the start": {"lean_heap_share": 0.0},
    "token budget 1024, glibc's own heap": {"bound_heap": False},
}


def child(length: int, case: str, batch_size: int, steps: int) -> None:
    import random

    import torch

    from ragvsft.corpus import load_corpus
    from ragvsft.finetune import LoraSettings, lora
    from ragvsft.finetune.data import TrainExample
    from ragvsft.models import load_lm
    from ragvsft.pipelines.common import peak_rss_mb

    torch.set_num_threads(2)
    overrides = dict(CASES[case])
    lm = load_lm("SmolLM2-135M-Instruct", cache_dir=CACHE_DIR, dtype=overrides.pop("dtype", "auto"))
    words = " ".join(d.text for d in load_corpus(ROOT / "corpora" / "demo").documents).split()
    rng = random.Random(0)
    examples = []
    for i in range(batch_size * steps):
        start = rng.randrange(len(words) - 2 * length)
        # ~1.3 tokens per word: an answer of about 3/4 of max_length tokens.
        answer = " ".join(words[start:start + int(length * 0.75 / 1.3)])
        examples.append(TrainExample(f"long-{i}", [{"role": "user", "content": f"Question {i}: summarise the case."}],
                                     answer))
    settings = LoraSettings(epochs=1, batch_size=batch_size, max_length=length, **overrides)
    result = lora.train_lora(lm, examples, settings, seed=0)
    print(json.dumps({"peak_rss_mb": peak_rss_mb(), "tokens_per_s": result.tokens_per_s,
                      "dropped": len(result.dropped_examples)}))


def run_case(length: int, case: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", str(length), case, "--batch-size", str(args.batch_size),
           "--steps", str(args.steps)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    peak_kib, limit_kib = 0, args.limit_gb * 1024 * 1024
    while proc.poll() is None:
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak_kib = max(peak_kib, int(status.split("VmRSS:")[1].split()[0]))
        except (OSError, IndexError):
            pass
        if peak_kib > limit_kib:
            proc.kill()
            proc.wait()
            return {"over_limit": True}
        time.sleep(0.1)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        return {"failed": proc.returncode}
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 512, 1024, 2048])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--limit-gb", type=float, default=16.0, help="stop a case whose memory passes this")
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--child", nargs=2, metavar=("LENGTH", "CASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), args.child[1], args.batch_size, args.steps)
        return
    print(f"batch {args.batch_size}, {args.steps} step(s), answers ~3/4 of max_length; peak RSS of the training process")
    print("| max_length | case | peak RSS (MiB) | train tokens/s |")
    print("|---|---|---|---|")
    for length in args.lengths:
        for case in args.cases:
            r = run_case(length, case, args)
            if r.get("over_limit"):
                print(f"| {length} | {case} | > {args.limit_gb * 1024:,.0f} (stopped) | |", flush=True)
            elif "failed" in r:
                print(f"| {length} | {case} | failed (exit {r['failed']}) | |", flush=True)
            else:
                print(f"| {length} | {case} | {r['peak_rss_mb']:,.0f} | {r['tokens_per_s']:.0f} |", flush=True)


if __name__ == "__main__":
    main()

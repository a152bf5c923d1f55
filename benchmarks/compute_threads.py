"""Why the server loads its model in a thread that ends (``ragvsft.serve.passing_thread``): one matrix product timed on
the thread that generates, in three set-ups, each in a fresh process.

- ``first thread``: the generating thread is the first to compute (no other thread ever ran torch work);
- ``after a living thread``: another thread computed first and still lives (the server before: model loaded on the
  main thread, answers generated on the batcher's thread);
- ``after a passing thread``: another thread computed first, in a thread that has ended (the server now).

Shapes: one projection of SmolLM2-135M (576 -> 1,536) in bfloat16 for 1 and 8 rows (a decoding step) and for 512
rows (a prefill): per set-up, the median over ``--rounds`` processes (interleaved with the other set-ups') of each
process's median of ``--repeats`` timings of ``--calls`` products.

    .venv/bin/python benchmarks/compute_threads.py [--calls 20000] [--repeats 3] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

SETUPS = ("first thread", "after a living thread", "after a passing thread")
ROWS = (1, 8, 512)


def child(setup: str, calls: int, repeats: int) -> None:
    """Time the products on a new thread after ``setup``; print {rows: microseconds per product}."""
    import threading
    import time

    import torch

    weight = torch.randn(1536, 576, dtype=torch.bfloat16)

    def compute(timings: dict[int, float] | None = None) -> None:
        with torch.inference_mode():
            for rows in ROWS:
                x = torch.randn(rows, 576, dtype=torch.bfloat16)
                n = max(calls // rows, 20)
                samples = []
                for _ in range(repeats):
                    started = time.perf_counter()
                    for _ in range(n):
                        torch.nn.functional.linear(x, weight)
                    samples.append((time.perf_counter() - started) / n * 1e6)
                if timings is not None:
                    timings[rows] = statistics.median(samples)

    if setup == "after a living thread":
        compute()  # on the main thread, which lives on
    elif setup == "after a passing thread":
        loader = threading.Thread(target=compute)
        loader.start()
        loader.join()
    timings: dict[int, float] = {}
    worker = threading.Thread(target=compute, args=(timings,))
    worker.start()
    worker.join()
    print(json.dumps(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000, help="products per timing (fewer for 512 rows)")
    parser.add_argument("--repeats", type=int, default=3, help="timings per process (their median is the process's)")
    parser.add_argument("--rounds", type=int, default=3, help="processes per set-up (their median is reported)")
    parser.add_argument("--child", choices=SETUPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.calls, args.repeats)
        return
    # Set-ups interleaved over --rounds processes each, so that a slower spell of this shared machine falls on all.
    samples: dict[str, list[dict[int, float]]] = {setup: [] for setup in SETUPS}
    for _ in range(args.rounds):
        for setup in SETUPS:
            out = subprocess.run([sys.executable, __file__, "--child", setup, "--calls", str(args.calls),
                                  "--repeats", str(args.repeats)], capture_output=True, text=True, check=True)
            samples[setup].append({int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()})
    results = {setup: {r: statistics.median(s[r] for s in runs) for r in ROWS} for setup, runs in samples.items()}
    first = results["first thread"]
    print(f"{os.cpu_count()} CPUs; microseconds per bfloat16 product "
          "(576 -> 1,536), median; ratio to the first thread")
    print("\n| generating thread | " + " | ".join(f"{r} rows" for r in ROWS) + " |\n|---|" + "---|" * len(ROWS))
    for setup, timings in results.items():
        cells = " | ".join(f"{timings[r]:,.1f} ({timings[r] / first[r]:.2f}x)" for r in ROWS)
        print(f"| {setup} | {cells} |")


if __name__ == "__main__":
    main()

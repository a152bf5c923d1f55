"""Does bfloat16 compute faster than float32 on this CPU? One linear layer's matrix product, both ways.

`model.dtype = "auto"` picks bfloat16 only where it measured faster (``ragvsft.device.native_bfloat16``): AMX, or
AVX-512 BF16 on a CPU that is not Intel's. This script is the quick check for a machine that table does not know:
the product of a SmolLM2-135M MLP projection (576 -> 1,536) for as many rows as a decoding step (8), a short
prefill (64) and RAG prefills (512-8,192 tokens), median of ``--repeats`` calls each, on the threads torch uses,
and the oneDNN kernel that ran the bfloat16 product (``avx512_core_bf16``, ``avx512_core_amx``, ...: a name
without ``bf16`` or ``amx`` means bfloat16 is converted, not computed natively).

    .venv/bin/python benchmarks/matmul_precision.py [--repeats 15]

Prefill (hundreds of rows) is where a RAG prompt's time goes; decoding (8 rows) is bound by reading the weights,
where bfloat16's half-size weights can win even when its arithmetic does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

IN_FEATURES, OUT_FEATURES = 576, 1536  # SmolLM2-135M: hidden size -> MLP width
ROWS = (8, 64, 512, 2048, 8192)


def gflops(rows: int, dtype: object, repeats: int) -> float:
    import torch

    x = torch.randn(rows, IN_FEATURES).to(dtype)
    w = torch.randn(OUT_FEATURES, IN_FEATURES).to(dtype)
    for _ in range(3):  # warm up: oneDNN builds its kernel on the first call
        torch.nn.functional.linear(x, w)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        torch.nn.functional.linear(x, w)
        seconds.append(time.perf_counter() - started)
    return 2 * rows * IN_FEATURES * OUT_FEATURES / statistics.median(seconds) / 1e9


def bf16_kernel() -> str:
    """The implementation oneDNN reports for a bfloat16 product (its verbose log, in a child process)."""
    code = ("import torch; torch.nn.functional.linear(torch.randn(64, 576).bfloat16(), "
            "torch.randn(1536, 576).bfloat16())")
    out = subprocess.run([sys.executable, "-c", code], env=os.environ | {"ONEDNN_VERBOSE": "1"},
                         capture_output=True, text=True, timeout=120).stdout
    for line in out.splitlines():
        parts = line.split(",")
        if len(parts) > 6 and parts[3] == "exec" and parts[5] == "matmul":  # onednn_verbose,v1,primitive,exec,cpu,...
            return parts[6]
    return "none reported (not oneDNN: torch's own bfloat16 code)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15, help="calls per row count; the median is kept")
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{torch.get_num_threads()} threads; oneDNN bfloat16 kernel: {bf16_kernel()}")
    print("\n| rows | float32 GFLOP/s | bfloat16 GFLOP/s | bfloat16 / float32 |\n|---|---|---|---|")
    for rows in ROWS:
        fp32, bf16 = gflops(rows, torch.float32, args.repeats), gflops(rows, torch.bfloat16, args.repeats)
        print(f"| {rows:,} | {fp32:.0f} | {bf16:.0f} | {bf16 / fp32:.2f}x |")


if __name__ == "__main__":
    main()

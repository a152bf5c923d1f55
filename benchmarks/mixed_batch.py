"""What one server batch of mixed modes costs: base rows beside adapter rows, run four ways, one of them the server's.

The packaged SmolLM2-135M-Instruct with a rank-16 LoRA on every projection (``generation_backends.py``'s), in the
dtype ``model.dtype = "auto"`` picks here, 8 demo eval questions per batch, every other row on the adapter, closed
book and with the top-3 BM25 chunks. Each way is timed ``--repeats`` times, alternating, and the median reported:

- ``row scaling``: what the server does since 2026-11-27: prefill through PEFT's per-row path, then every
  decoding step through PEFT's ordinary path with each adapter's scale set per row (``row_adapters``);
- ``PEFT per-row``: what the server did before, PEFT's ``adapter_names`` path (each row group at every adapted
  layer) at every step;
- ``two calls``: the base rows, then the adapter rows, each its own ``generate`` call (PEFT's ordinary path);
- ``merged copy, two calls``: the base rows on the plain model, the adapter rows on a second copy of the weights
  with the adapter merged in (what evaluation runs): no LoRA cost per token, one more copy of the weights;
- ``plain model``: every row without any adapter and without PEFT (no adapter's cost at all: the floor).

"same answers" counts rows equal to the per-row path's (float32 would give the same answers both ways; in
bfloat16 sums that round differently can flip a near-tie).

    .venv/bin/python benchmarks/mixed_batch.py [--repeats 3] [--max-new-tokens 24]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generation_backends import CACHE_DIR, ROOT, STOP, adapter_generator  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args()

    import torch

    from ragvsft.chunking import chunk_documents
    from ragvsft.corpus import load_corpus
    from ragvsft.device import inference_dtype
    from ragvsft.generators import HFGenerator
    from ragvsft.generators.hf import BASE_ROWS
    from ragvsft.lexical import BM25Retriever
    from ragvsft.models import load_lm
    from ragvsft.prompts import PromptTemplate

    torch.set_num_threads(2)
    dtype = inference_dtype("cpu", "auto")
    corpus = load_corpus(ROOT / "corpora" / "demo")
    questions = [q.question for q in corpus.split("eval")[:8]]
    retriever = BM25Retriever(chunk_documents(corpus.documents, chunk_chars=800, chunk_overlap_chars=100))
    template = PromptTemplate()
    conversations = {"closed book": [template.messages(q) for q in questions],
                     "3 chunks": [template.messages(q, [h.chunk.text for h in retriever.search(q, 3)])
                                  for q in questions]}
    plain = HFGenerator.from_loaded(load_lm("SmolLM2-135M-Instruct", cache_dir=CACHE_DIR, dtype=dtype))
    # A second copy: PEFT puts its LoRA layers into the model it wraps (adapter name "default").
    mixed = adapter_generator(load_lm("SmolLM2-135M-Instruct", cache_dir=CACHE_DIR, dtype=dtype), merge=False)
    merged = adapter_generator(load_lm("SmolLM2-135M-Instruct", cache_dir=CACHE_DIR, dtype=dtype), merge=True)
    names = [BASE_ROWS, "default"] * 4
    budget = [args.max_new_tokens] * len(names)

    def two_calls(prompts, base=mixed, adapted=mixed):
        out = {}
        for name, generator in ((BASE_ROWS, base), ("default", adapted)):
            rows = [i for i, n in enumerate(names) if n == name]
            for i, g in zip(rows, generator.generate_ids(
                    [prompts[i] for i in rows], max_new_tokens=budget[:len(rows)], stop=STOP,
                    adapter_names=[name] * len(rows) if generator is mixed else None)):
                out[i] = g
        return [out[i] for i in range(len(prompts))]

    def per_row(prompts):
        import ragvsft.generators.row_adapters as row_adapters

        switch = row_adapters.AdapterRows
        supported, switch.supports_row_scaling = switch.supports_row_scaling, lambda *_: False
        try:
            return mixed.generate_ids(prompts, max_new_tokens=budget, stop=STOP, adapter_names=names)
        finally:
            switch.supports_row_scaling = supported

    ways = {"PEFT per-row": per_row,
            "row scaling": lambda p: mixed.generate_ids(p, max_new_tokens=budget, stop=STOP, adapter_names=names),
            "two calls": two_calls,
            "merged copy, two calls": lambda p: two_calls(p, base=plain, adapted=merged),
            "plain model": lambda p: plain.generate_ids(p, max_new_tokens=budget, stop=STOP)}
    print(f"torch {torch.__version__}, {dtype}, 8 rows (4 base, 4 adapter), <= {args.max_new_tokens} new tokens, "
          f"median of {args.repeats}; the merged copy holds "
          f"{sum(t.numel() * t.element_size() for t in merged._net.parameters()) / 2**20:.0f} MiB of weights\n")
    print("| prompts | way | s per batch | vs PEFT per-row | same answers as per-row |\n|---|---|---|---|---|")
    for label, batch in conversations.items():
        prompts = [list(mixed.prompt_ids(c, max_new_tokens=args.max_new_tokens)) for c in batch]
        mixed.generate_ids(prompts[:2], max_new_tokens=budget[:2], adapter_names=names[:2])  # warm-up
        seconds: dict[str, list[float]] = {way: [] for way in ways}
        answers: dict[str, list[str]] = {}
        for _ in range(args.repeats):
            for way, run in ways.items():
                started = time.perf_counter()
                answers[way] = [g.text for g in run(prompts)]
                seconds[way].append(time.perf_counter() - started)
        reference = statistics.median(seconds["PEFT per-row"])
        for way in ways:
            median = statistics.median(seconds[way])
            same = sum(a == b for a, b in zip(answers[way], answers["PEFT per-row"]))
            same_text = "—" if way == "plain model" else f"{same}/{len(prompts)}"  # no adapter: other answers
            print(f"| {label} | {way} | {median:.2f} | {reference / median:.2f}× | {same_text} |", flush=True)


if __name__ == "__main__":
    main()

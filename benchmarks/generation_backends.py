"""Generation paths on this CPU: today's float32 PyTorch path against the candidates for a faster one.

Same packaged SmolLM2-135M-Instruct, same demo eval questions, greedy, up to ``--max-new-tokens`` new tokens, a
newline stop; prompts closed book and with the top-3 BM25 chunks (~700 tokens, like the rag arm):

- ``fp32``: the default path (``HFGenerator``), the reference every other row is compared with;
- ``bf16 unpacked``: the same weights in bfloat16 — the default (``model.dtype = "auto"``) on a CPU that computes
  bfloat16 natively (AMX, see the header), 3x slower than fp32 where it is emulated — as it ran before packing;
- ``bf16``: the default there now: bfloat16 with each weight also packed for decoding (``model.pack_weights``,
  ``ragvsft.generators.packed_weights``); its "same answers" are counted against ``bf16 unpacked``;
- ``bf16 int4``: ``bf16`` with ``model.int4_decoding`` (decoding steps on a 4-bit copy of every layer but the
  logits one, ``ragvsft.generators.int4_weights``); its "same answers" are counted against ``bf16``;
- ``bf16 batch-invariant``: ``bf16`` with ``model.batch_invariant`` (each prompt prefilled alone, decoding
  attention row by row; ``ragvsft.generators.batch_invariant``);
- ``int8``: PyTorch dynamic int8 quantisation of every linear layer;
- ``adapter unmerged`` / ``adapter merged``: a rank-16 LoRA adapter on every projection, applied per token
  (PEFT) or folded into a copy of the weights (what evaluation does); agreement is merged vs unmerged;
- ``adapter bf16 merged`` / ``adapter int4 unmerged`` / ``adapter int4 merged``: that adapter on bfloat16 weights,
  merged (evaluation's default path), unmerged on 4-bit decoding (``model.int4_decoding`` before 11-27), and merged
  for prefill with its low-rank term beside the 4-bit copies for decoding (``int4_weights.merge_beside_int4``:
  evaluation's path with ``model.int4_decoding`` now);
- ``llama.cpp``: llama-cpp-python on the packaged Q4_1 GGUF, one question at a time, the same prompt token ids
  (only when ``llama_cpp`` is installed: ``pip install llama-cpp-python`` compiles llama.cpp, ~10 minutes on 2 cores).

Per row, from the median of ``--repeats`` passes: new tokens per second, median seconds per call (what a caller
waits: one batch), how many answers equal the reference's, and for a path run at both batch sizes how many of its
batch-8 answers equal its own batch-1 ones (what batching changes). (llama.cpp rows: one pass.)

    .venv/bin/python benchmarks/generation_backends.py [--questions 16] [--max-new-tokens 24] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / ".cache" / "ragvsft"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # benchmarks never download
STOP = ["\n"]
SAME_AS = {"adapter merged": "adapter unmerged", "bf16": "bf16 unpacked",  # whose answers a path must equal
           "bf16 int4": "bf16", "bf16 batch-invariant": "bf16"}
BOTH_BATCHES = ("fp32", "bf16 unpacked", "bf16", "bf16 int4", "bf16 batch-invariant")  # run at batch 1, then 8
PATHS = ("bf16 unpacked", "bf16", "bf16 int4", "bf16 batch-invariant", "int8", "adapter unmerged", "adapter merged",
         "adapter bf16 merged", "adapter int4 unmerged", "adapter int4 merged", "llama.cpp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3, help="passes per row; the median pass is reported")
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS,
                        help="paths to measure besides fp32, the reference (default: all)")
    args = parser.parse_args()

    import torch

    from ragvsft.chunking import chunk_documents
    from ragvsft.corpus import load_corpus
    from ragvsft.device import inference_dtype, native_bfloat16
    from ragvsft.generators import HFGenerator
    from ragvsft.lexical import BM25Retriever
    from ragvsft.models import load_lm
    from ragvsft.prompts import PromptTemplate

    torch.set_num_threads(2)
    corpus = load_corpus(ROOT / "corpora" / "demo")
    questions = [q.question for q in corpus.split("eval")[: args.questions]]
    retriever = BM25Retriever(chunk_documents(corpus.documents, chunk_chars=800, chunk_overlap_chars=100))
    template = PromptTemplate()
    prompts = {"closed book": [template.messages(q) for q in questions],
               "3 chunks": [template.messages(q, [h.chunk.text for h in retriever.search(q, 3)]) for q in questions]}
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, native bfloat16 "
          f"{native_bfloat16('cpu')} (model.dtype auto = {inference_dtype('cpu', 'auto')}); {len(questions)} "
          f"questions, greedy, <= {args.max_new_tokens} new tokens\n")
    print("| path | prompts | batch | new tokens/s | median s per call | vs fp32 | same answers | = its batch 1 |")
    print("|---|---|---|---|---|---|---|---|")

    def lm_copy(convert=None):
        lm = load_lm("SmolLM2-135M-Instruct", cache_dir=CACHE_DIR)
        return lm if convert is None else type(lm)(convert(lm.model), lm.tokenizer, lm.path, lm.identity)

    paths = {
        "fp32": lambda: HFGenerator.from_loaded(lm_copy()),
        "bf16 unpacked": lambda: HFGenerator.from_loaded(lm_copy(lambda m: m.to(torch.bfloat16)), pack_weights=False),
        "bf16": lambda: HFGenerator.from_loaded(lm_copy(lambda m: m.to(torch.bfloat16))),
        "bf16 int4": lambda: HFGenerator.from_loaded(lm_copy(lambda m: m.to(torch.bfloat16)), int4_decoding=True),
        "bf16 batch-invariant": lambda: HFGenerator.from_loaded(lm_copy(lambda m: m.to(torch.bfloat16)),
                                                                batch_invariant=True),
        "int8": lambda: HFGenerator.from_loaded(lm_copy(
            lambda m: torch.ao.quantization.quantize_dynamic(m, {torch.nn.Linear}, dtype=torch.qint8))),
        "adapter unmerged": lambda: adapter_generator(lm_copy(), merge=False),
        "adapter merged": lambda: adapter_generator(lm_copy(), merge=True),
        "adapter bf16 merged": lambda: adapter_generator(lm_copy(lambda m: m.to(torch.bfloat16)), merge=True),
        "adapter int4 unmerged": lambda: adapter_generator(lm_copy(lambda m: m.to(torch.bfloat16)), merge=False,
                                                           int4=True),
        "adapter int4 merged": lambda: adapter_generator(lm_copy(lambda m: m.to(torch.bfloat16)), merge=True,
                                                         int4=True),
    }
    reference: dict[tuple[str, int], list[str]] = {}
    rates: dict[tuple[str, int], float] = {}
    for path, build in paths.items():
        if path != "fp32" and path not in args.paths:
            continue
        gen = build()
        gen.generate(prompts["closed book"][:2], max_new_tokens=4)  # warm-up: first-call allocations
        for name, conversations in prompts.items():
            for batch in (1, 8) if path in BOTH_BATCHES else (8,):
                gen.batch_size = batch
                runs = []  # (seconds, generations), repeated: a 16-answer pass is short, this machine noisy
                for _ in range(args.repeats):
                    started = time.perf_counter()
                    out = gen.generate(conversations, max_new_tokens=args.max_new_tokens, stop=STOP)
                    runs.append((time.perf_counter() - started, out))
                seconds, out = sorted(runs, key=lambda run: run[0])[len(runs) // 2]  # the median pass
                texts = [g.text for g in out]
                ref_key = (SAME_AS.get(path, "fp32"), name, batch)
                reference.setdefault((path, name, batch), texts)
                rate = sum(g.new_tokens for g in out) / seconds
                rates[(path, name, batch)] = rate
                base = rates.get(("fp32", name, batch), rate)
                same = (f"{sum(a == b for a, b in zip(texts, reference[ref_key]))}/{len(texts)}"
                        if ref_key in reference else "- (its reference path did not run)")
                per_call = statistics.median(g.latency_ms for g in out) / 1000
                alone = reference.get((path, name, 1)) if batch > 1 else None
                as_alone = f"{sum(a == b for a, b in zip(texts, alone))}/{len(texts)}" if alone else ""
                print(f"| {path} | {name} | {batch} | {rate:.1f} | {per_call:.2f} | {rate / base:.2f}x | {same} "
                      f"| {as_alone} |", flush=True)
        del gen
    if "llama.cpp" in args.paths:
        llama_cpp_rows(prompts, reference, rates, args.max_new_tokens)


def adapter_generator(lm, *, merge: bool, int4: bool = False):
    """A rank-16 LoRA on every projection with non-zero weights (a trained adapter's cost, not its answers);
    ``int4``: with 4-bit decoding, as ``HFGenerator`` builds it from an adapter folder."""
    import torch
    from peft import LoraConfig, get_peft_model

    from ragvsft.generators import HFGenerator

    torch.manual_seed(0)
    targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    model = get_peft_model(lm.model, LoraConfig(r=16, lora_alpha=32, target_modules=targets, init_lora_weights=False))
    with torch.no_grad():  # small updates, as training leaves them: answers stay close to the base model's
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.mul_(0.01)
    model.eval()
    if not merge:
        return HFGenerator.from_loaded(lm, adapter_model=model, int4_decoding=int4)
    if int4:
        from ragvsft.generators.int4_weights import merge_beside_int4

        plain = merge_beside_int4(model, keep=lm.model.get_output_embeddings())
    else:
        plain = model.merge_and_unload()
    merged = type(lm)(plain, lm.tokenizer, lm.path, lm.identity)
    return HFGenerator.from_loaded(merged, identity=f"{lm.identity}+adapter+merged", int4_decoding=int4)


def llama_cpp_rows(prompts, reference, rates, max_new_tokens: int) -> None:
    try:
        import llama_cpp
    except ImportError:
        print("| llama.cpp | - | - | not installed (pip install llama-cpp-python) | | | | |")
        return
    from ragvsft.generators.base import hits_stop, truncate_at_stop
    from ragvsft.models import PACKAGED_LMS, load_tokenizer
    from ragvsft.prompts import render_prompt

    tokenizer = load_tokenizer("SmolLM2-135M-Instruct", cache_dir=CACHE_DIR)
    llm = llama_cpp.Llama(str(PACKAGED_LMS["SmolLM2-135M-Instruct"]()), n_ctx=2048, n_batch=1024, n_threads=2,
                          n_threads_batch=2, verbose=False)
    ends = {tokenizer.eos_token_id, llm.token_eos()}
    for name, conversations in prompts.items():
        texts, calls, tokens = [], [], 0
        started = time.perf_counter()
        for conversation in conversations:
            call = time.perf_counter()
            new: list[int] = []
            for token in llm.generate(list(render_prompt(tokenizer, conversation).ids), top_k=1, temp=0.0,
                                      repeat_penalty=1.0):
                new.append(token)
                if token in ends or len(new) >= max_new_tokens or hits_stop(tokenizer.decode(new), STOP):
                    break
            tokens += len(new)
            texts.append(truncate_at_stop(tokenizer.decode(new, skip_special_tokens=True), STOP))
            calls.append(time.perf_counter() - call)
        rate = tokens / (time.perf_counter() - started)
        same = sum(a == b for a, b in zip(texts, reference[("fp32", name, 1)]))
        print(f"| llama.cpp Q4_1 | {name} | 1 | {rate:.1f} | {statistics.median(calls):.2f} "
              f"| {rate / rates[('fp32', name, 1)]:.2f}x | {same}/{len(texts)} | |", flush=True)


if __name__ == "__main__":
    main()

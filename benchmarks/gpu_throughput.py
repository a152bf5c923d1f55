"""Answering and fine-tuning speed on a CUDA GPU, for the 135M model's architecture, through ragvsft's own code.

So that it runs on a GPU box that received the code but not the packaged weights, the model is
SmolLM2-135M-Instruct's architecture and tokenizer (``config.json`` + ``tokenizer.json`` of the converted model,
``--model-folder``) with **random weights**. Speed does not depend on the weights' values, as long as
every answer runs its full length: there is no stop string here, and a random model emits its end token with
probability about 1/49,152 per step. Answers are garbage; only the timings mean anything.

Rows:

- generation (``HFGenerator.generate``, greedy): demo eval questions closed book (~70 prompt tokens) and with the
  top-3 BM25 chunks (~750 tokens, like the rag arm), at batch 1, 8 and 32, in float32 and bfloat16 (bfloat16 is
  what ``model.dtype = "auto"`` picks on a GPU with bfloat16): new tokens/s on a first and a second pass over
  the same prompts, and median seconds per call;
- the server's decoding loop (``RunningBatch``, ``--parts loop``): bfloat16, static batches of 8 and 32, against
  ``generate`` on the same prompts (second pass of each; every answer runs its full length either way);
- ``model.batch_invariant`` (``--parts invariant``): bfloat16 with and without it, at batch 1, 8 and 32: new
  tokens/s (second pass), and how many answers generated in batches of 8 and 32 equal the ones generated alone
  (with random weights many next tokens are near ties, so this is a strict test of the setting);
- fine-tuning (``train_lora``, the default LoRA on every projection, bfloat16 weights as on a GPU run): one
  epoch over the demo's training questions closed book and RAFT (3 passages per example), tokens/s and peak GPU
  memory.

    python benchmarks/gpu_throughput.py [--questions 64] [--max-new-tokens 24] [--model-folder DIR]
                                        [--parts generation loop invariant finetune]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # benchmarks never download


def converted_folder() -> Path:
    """The packaged model's converted folder in the project cache (``ragvsft run`` writes it)."""
    found = sorted((ROOT / ".cache" / "ragvsft").glob("SmolLM2-135M-Instruct-*"))
    if not found:
        raise SystemExit("no converted SmolLM2 in .cache/ragvsft: run the demo once, or pass --model-folder")
    return found[-1]


def random_model(source: Path, out: Path) -> Path:
    """``source``'s architecture and tokenizer with seeded random weights, saved to ``out``."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(source)).save_pretrained(out)
    AutoTokenizer.from_pretrained(source).save_pretrained(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=64)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--model-folder", type=Path, default=None,
                        help="a folder with config.json and the tokenizer (default: the converted packaged model)")
    parser.add_argument("--parts", nargs="+", choices=("generation", "loop", "invariant", "finetune"),
                        default=["generation", "loop", "finetune"], help="which tables to print (default: all)")
    args = parser.parse_args()

    import torch

    from ragvsft.chunking import chunk_documents
    from ragvsft.corpus import load_corpus
    from ragvsft.device import inference_dtype, resolve_device
    from ragvsft.lexical import BM25Retriever
    from ragvsft.prompts import PromptTemplate

    device = resolve_device("auto")
    if not device.startswith("cuda"):
        raise SystemExit("torch sees no CUDA GPU: this benchmark measures the GPU path")
    folder = random_model(args.model_folder or converted_folder(), Path(tempfile.mkdtemp()) / "model")
    cache = Path(tempfile.mkdtemp())
    corpus = load_corpus(ROOT / "corpora" / "demo")
    chunks = chunk_documents(corpus.documents, chunk_chars=800, chunk_overlap_chars=100)
    retriever = BM25Retriever(chunks)
    template = PromptTemplate()
    questions = [q.question for q in corpus.split("eval")[: args.questions]]
    prompts = {"closed book": [template.messages(q) for q in questions],
               "3 chunks": [template.messages(q, [h.chunk.text for h in retriever.search(q, 3)]) for q in questions]}
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, model.dtype auto = "
          f"{inference_dtype(device, 'auto')}; {len(questions)} questions, greedy, {args.max_new_tokens} new tokens\n")
    if "generation" in args.parts:
        generation_table(folder, cache, prompts, args.max_new_tokens)
    if "loop" in args.parts:
        loop_table(folder, cache, prompts, args.max_new_tokens)
    if "invariant" in args.parts:
        invariant_table(folder, cache, prompts, args.max_new_tokens)
    if "finetune" in args.parts:
        finetune_table(folder, cache, corpus, template, retriever)


def generation_table(folder: Path, cache: Path, prompts: dict, max_new_tokens: int) -> None:
    import torch

    from ragvsft.generators import HFGenerator

    print("| dtype | prompts | batch | new tokens/s, first pass | new tokens/s, second pass | median s per call "
          "(second) |")
    print("|---|---|---|---|---|---|")
    for dtype in ("float32", "bfloat16"):
        generator = HFGenerator(str(folder), cache_dir=cache, dtype=dtype)
        for name, conversations in prompts.items():
            for batch in (1, 8, 32):
                generator.batch_size = batch
                # Twice: the first pass meets each (batch, length) shape for the first time, and CUDA libraries
                # pick their kernels then (seen on an H200: ~3x slower in bfloat16); the second is the steady state.
                rates, out = [], []
                for _ in range(2):
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    out = generator.generate(conversations, max_new_tokens=max_new_tokens)
                    torch.cuda.synchronize()
                    rates.append(sum(g.new_tokens for g in out) / (time.perf_counter() - started))
                per_call = statistics.median(g.latency_ms for g in out) / 1000
                print(f"| {dtype} | {name} | {batch} | {rates[0]:.0f} | {rates[1]:.0f} | {per_call:.3f} |", flush=True)
        del generator
        torch.cuda.empty_cache()


def loop_table(folder: Path, cache: Path, prompts: dict, max_new_tokens: int) -> None:
    """The server's decoding loop against ``generate``, bfloat16 (the server's dtype on a GPU)."""
    import torch

    from ragvsft.generators import HFGenerator
    from ragvsft.generators.continuous import Row

    generator = HFGenerator(str(folder), cache_dir=cache, dtype="bfloat16")

    def loop(ids: list, batch: int) -> int:
        tokens = 0
        for start in range(0, len(ids), batch):
            running = generator.running_batch()
            running.admit([Row(p, limit=max_new_tokens) for p in ids[start:start + batch]])
            while running.rows:
                tokens += sum(len(row.new) for row in running.step())
        return tokens

    def generate(ids: list, batch: int) -> int:
        chunks = [ids[start:start + batch] for start in range(0, len(ids), batch)]
        return sum(g.new_tokens for chunk in chunks
                   for g in generator.generate_ids(chunk, max_new_tokens=[max_new_tokens] * len(chunk)))

    print("\n| prompts | batch | generate: new tokens/s | server's loop: new tokens/s | loop / generate |")
    print("|---|---|---|---|---|")
    for name, conversations in prompts.items():
        ids = sorted((generator.prompt_ids(c, max_new_tokens=max_new_tokens) for c in conversations), key=len)
        for batch in (8, 32):
            rates = {}
            for path, run in (("generate", generate), ("loop", loop)):
                for _ in range(2):  # the second pass is the steady state (see generation_table)
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    tokens = run(ids, batch)
                    torch.cuda.synchronize()
                    rates[path] = tokens / (time.perf_counter() - started)
            print(f"| {name} | {batch} | {rates['generate']:.0f} | {rates['loop']:.0f} | "
                  f"{rates['loop'] / rates['generate']:.2f} |", flush=True)


def invariant_table(folder: Path, cache: Path, prompts: dict, max_new_tokens: int) -> None:
    """What ``model.batch_invariant`` costs on the GPU, and whether it keeps answers the same in any batch."""
    import torch

    from ragvsft.generators import HFGenerator

    print("\n| prompts | batch_invariant | new tokens/s: batch 1 | batch 8 | batch 32 | answers = batch 1's: batch 8 "
          "| batch 32 |")
    print("|---|---|---|---|---|---|---|")
    for invariant in (False, True):
        generator = HFGenerator(str(folder), cache_dir=cache, dtype="bfloat16", batch_invariant=invariant)
        for name, conversations in prompts.items():
            rates, answers = {}, {}
            for batch in (1, 8, 32):
                generator.batch_size = batch
                for _ in range(2):  # the second pass is the steady state (see generation_table)
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    out = generator.generate(conversations, max_new_tokens=max_new_tokens)
                    torch.cuda.synchronize()
                    rates[batch] = sum(g.new_tokens for g in out) / (time.perf_counter() - started)
                answers[batch] = [g.text for g in out]
            same = {b: sum(x == y for x, y in zip(answers[1], answers[b])) for b in (8, 32)}
            print(f"| {name} | {invariant} | {rates[1]:.0f} | {rates[8]:.0f} | {rates[32]:.0f} | "
                  f"{same[8]} / {len(answers[1])} | {same[32]} / {len(answers[1])} |", flush=True)
        del generator
        torch.cuda.empty_cache()


def finetune_table(folder: Path, cache: Path, corpus: Any, template: Any, retriever: Any) -> None:
    import torch

    from ragvsft.finetune import LoraSettings
    from ragvsft.finetune.data import closed_book_examples, raft_examples
    from ragvsft.finetune.lora import train_lora
    from ragvsft.models import load_lm

    train = corpus.split("train")
    recipes = {"closed book": closed_book_examples(train, template),
               "RAFT": raft_examples(train, template, retriever=retriever, k=3)}
    print("\n| recipe | examples | tokens | seconds | tokens/s | peak GPU memory |")
    print("|---|---|---|---|---|---|")
    for name, examples in recipes.items():
        lm = load_lm(str(folder), cache_dir=cache)  # bfloat16 weights on a GPU that has it, as a GPU run trains
        torch.cuda.reset_peak_memory_stats()
        result = train_lora(lm, examples, LoraSettings(epochs=1))
        print(f"| {name} | {len(examples)} | {result.train_tokens} | {result.wall_s:.1f} | {result.tokens_per_s:.0f} "
              f"| {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB |", flush=True)
        del lm, result
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()

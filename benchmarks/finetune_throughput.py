"""Fine-tune throughput: ragvsft's ``train_lora`` against a plain Hugging Face ``Trainer`` + PEFT, and against itself before.

Both sides get the same base model, the same ``LoraConfig`` (r=16, alpha=32,
all attention and MLP projections), the same tokenized examples (prompt +
answer + end-of-turn, loss on the answer only), the same batch size, max
length, learning-rate schedule and number of optimiser steps, and see every
example exactly once. The differences under test: the Trainer computes
logits over the whole 49k vocabulary at every position, ours only where the
loss is taken; and ours batches examples of similar length together, which
cuts padding (``--trainer-group-by-length`` gives the Trainer its own length
grouping, to separate the two effects). A third side is ``train_lora`` as it
was on 2026-11-26, before its LoRA dropout, chunked head loss and heap policy
(ragvsft.finetune.lora_dropout, .head_loss, .memory), so their gain is
measured in the same run. Each side runs in a fresh subprocess,
timed from the loaded base model (adapter setup + tokenization + training) to
the last step.

Examples come from the demo corpus' training questions (closed-book and RAFT,
like the default ``mixed`` recipe), or are generated when it is absent.

    .venv/bin/python benchmarks/finetune_throughput.py                                   # 10 steps of 8
    .venv/bin/python benchmarks/finetune_throughput.py --steps 3 --batch-size 4 --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / ".cache" / "ragvsft"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # benchmarks never download
SEED = 0


def make_examples(n: int, seed: int = 0) -> list[dict]:
    """``n`` examples (id, messages, answer) as JSON-ready dicts, the same on every call."""
    from ragvsft.chunking import chunk_documents
    from ragvsft.config import IndexConfig
    from ragvsft.finetune.data import closed_book_examples, raft_examples
    from ragvsft.lexical import BM25Retriever
    from ragvsft.prompts import PromptTemplate
    from ragvsft.qa import QAPair

    template = PromptTemplate()
    demo = ROOT / "corpora" / "demo"
    if (demo / "qa.jsonl").is_file():
        from ragvsft.corpus import load_corpus

        corpus = load_corpus(demo)
        pairs = list(corpus.split("train"))
        chunks = chunk_documents(corpus.documents, chunk_chars=IndexConfig.chunk_chars,
                                 chunk_overlap_chars=IndexConfig.chunk_overlap_chars)
    else:  # a stand-in of the same shape: short factual answers, passages of a few sentences
        from ragvsft.chunking import Chunk

        chunks = [Chunk(f"gen/{i}.md#0", f"gen/{i}.md", f"Widget w{i} was introduced in {1990 + i % 30}. It has "
                        f"serial code S-{i:04d} and ships from warehouse {i % 7}. " * 4, 0) for i in range(300)]
        pairs = [QAPair(f"g{i}", f"What is the serial code of widget w{i}?", f"S-{i:04d}", (f"gen/{i}.md",), "train", ())
                 for i in range(300)]
    retriever = BM25Retriever(chunks)
    pool = closed_book_examples(pairs, template) + raft_examples(pairs, template, retriever=retriever, k=3,
                                                                 gold_fraction=0.8, seed=seed)
    random.Random(seed).shuffle(pool)
    picked = [pool[i % len(pool)] for i in range(n)]
    return [{"id": f"{e.id}/{i}", "messages": e.messages, "answer": e.answer} for i, e in enumerate(picked)]


def run_ours(lm, examples: list, settings, threads: int | None, before: bool = False) -> dict:
    from ragvsft.finetune import lora
    from ragvsft.finetune.lora import train_lora

    if before:  # train_lora as of 2026-11-26: PEFT's nn.Dropout, transformers' answer-only logits, lean heap
        import contextlib
        import dataclasses

        lora.cheap_lora_dropout = lambda model: contextlib.nullcontext(0)
        lora.chunked_head_supported = lambda model: False
        settings = dataclasses.replace(settings, lean_heap_share=0.0)  # every block of 1 MiB or more mapped alone
    cpu_started = time.process_time()
    result = train_lora(lm, examples, settings, seed=SEED, torch_threads=threads)
    return {"steps": len(result.losses), "tokens": result.train_tokens, "seconds": result.wall_s,
            "cpu_seconds": time.process_time() - cpu_started, "first_loss": result.losses[0],
            "last_loss": result.losses[-1]}


def run_trainer(lm, examples: list, settings, threads: int | None, group_by_length: bool = False) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from ragvsft.finetune.tokenize import encode_example

    if threads:
        torch.set_num_threads(threads)
    started, cpu_started = time.perf_counter(), time.process_time()
    torch.manual_seed(SEED)
    encoded = [encode_example(lm.tokenizer, e, max_length=settings.max_length) for e in examples]
    data = [{"input_ids": list(e.input_ids), "attention_mask": [1] * len(e.input_ids), "labels": list(e.labels)}
            for e in encoded]
    model = get_peft_model(lm.model, LoraConfig(task_type="CAUSAL_LM", r=settings.rank, lora_alpha=settings.alpha,
                                                lora_dropout=settings.dropout, target_modules=list(settings.target_modules)))
    with tempfile.TemporaryDirectory() as out:
        args = TrainingArguments(
            output_dir=out, per_device_train_batch_size=settings.batch_size, max_steps=len(data) // settings.batch_size,
            learning_rate=settings.learning_rate, lr_scheduler_type="linear", warmup_steps=settings.warmup_ratio,
            weight_decay=settings.weight_decay, max_grad_norm=settings.grad_clip, seed=SEED, use_cpu=True,
            logging_steps=1, save_strategy="no", eval_strategy="no", report_to=[], disable_tqdm=True,
            dataloader_num_workers=0, train_sampling_strategy="group_by_length" if group_by_length else "random",
        )
        collator = DataCollatorForSeq2Seq(lm.tokenizer, padding=True, label_pad_token_id=-100)
        trainer = Trainer(model=model, args=args, train_dataset=data, data_collator=collator)
        trainer.train()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return {"steps": trainer.state.global_step, "tokens": sum(len(d["input_ids"]) for d in data), "seconds": seconds,
            "cpu_seconds": cpu_seconds, "first_loss": losses[0], "last_loss": losses[-1]}


def worker(method: str, model: str, examples_file: Path, batch_size: int, max_length: int, threads: int | None) -> None:
    """Train one side in this (fresh) process and print its measurements as one JSON line."""
    from ragvsft.finetune import LoraSettings
    from ragvsft.finetune.data import TrainExample
    from ragvsft.models import load_lm

    examples = [TrainExample(**e) for e in json.loads(examples_file.read_text(encoding="utf-8"))]
    settings = LoraSettings(batch_size=batch_size, max_length=max_length, epochs=1)
    lm = load_lm(model, cache_dir=CACHE_DIR)
    if method in ("ours", "ours-before"):
        row = run_ours(lm, examples, settings, threads, before=method == "ours-before")
    else:
        row = run_trainer(lm, examples, settings, threads, group_by_length=method == "trainer-grouped")
    print(json.dumps(row))


def measure(method: str, args: argparse.Namespace, examples_file: Path) -> dict:
    command = [sys.executable, __file__, "worker", method, args.model, str(examples_file), str(args.batch_size),
               str(args.max_length), str(args.threads or 0)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{method} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10, help="optimiser steps per side")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=384)
    parser.add_argument("--model", default="SmolLM2-135M-Instruct", help="packaged name, model folder or hub id")
    parser.add_argument("--threads", type=int, default=None, help="torch threads per side (default: torch's choice)")
    parser.add_argument("--trainer-group-by-length", action="store_true",
                        help="give the Trainer length-grouped batches too (train_sampling_strategy='group_by_length')")
    args = parser.parse_args()

    from ragvsft.models import resolve_lm

    resolve_lm(args.model, CACHE_DIR)  # convert packaged GGUF weights once, outside both timings
    with tempfile.TemporaryDirectory() as tmp:
        examples_file = Path(tmp) / "examples.json"
        examples_file.write_text(json.dumps(make_examples(args.steps * args.batch_size)), encoding="utf-8")
        rows = {}
        trainer = "trainer-grouped" if args.trainer_group_by_length else "trainer"
        for method in ("ours", "ours-before", trainer):
            rows[method] = measure(method, args, examples_file)
            print(f"  {method}: {rows[method]['seconds']:.1f} s, loss {rows[method]['first_loss']:.3f} -> "
                  f"{rows[method]['last_loss']:.3f}", file=sys.stderr)
    rate = {m: r["tokens"] / r["seconds"] for m, r in rows.items()}
    labels = {"ours": "ragvsft train_lora (answer-only logits, length-grouped)",
              "ours-before": "ragvsft train_lora as of 2026-11-26 (PEFT dropout, unchunked head, lean heap)",
              "trainer": "HF Trainer + PEFT",
              "trainer-grouped": "HF Trainer + PEFT, group_by_length"}
    print(f"model {args.model}, batch {args.batch_size}, max_length {args.max_length}, threads {args.threads or 'default'}")
    # CPU seconds too: on a shared machine wall time also measures the neighbours.
    print("| method | steps | tokens | seconds | CPU s | tokens/s | ratio ours/Trainer |")
    print("|---|---|---|---|---|---|---|")
    for method, r in rows.items():
        print(f"| {labels[method]} | {r['steps']} | {r['tokens']} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
              f"{rate[method]:.0f} | {rate[method] / rate[trainer]:.2f}x |")


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "worker":
        worker(sys.argv[2], sys.argv[3], Path(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]) or None)
    else:
        main()

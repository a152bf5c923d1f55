"""Synthesize recipe: a labeller model writes question/answer pairs from the corpus' chunks.

    ragvsft synthesize experiments/demo.toml --per-chunk 2 --max-questions 300

1. read the documents (qa.jsonl may be absent: that is what this is for) and chunk them as the index does;
2. ask the labeller about each chunk, keep what passes the filters (``ragvsft.synthesis``);
3. write ``<corpus>/qa.synthetic.jsonl`` all at once (the corpus loader reads it beside ``qa.jsonl``),
   check it loads, print and log what each filter took out.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ragvsft import tracking
from ragvsft.builders import build_embedder, build_judge
from ragvsft.cache import CachedGenerator, ResultCache
from ragvsft.chunking import chunk_documents
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import SYNTHETIC_QA_FILE, corpus_documents, corpus_name, written_qa_file
from ragvsft.errors import RagvsftError
from ragvsft.generators.base import Generator
from ragvsft.pipelines.common import print_reading, step_progress
from ragvsft.qa import load_qa
from ragvsft.synthesis import STEPS, synthesize

STEP_NAMES = {"asked": "questions asked", "malformed": "not returned as a well-formed pair",
              "answerable_from_question": "answer given away by the question",
              "unsupported": "answer not supported by its chunk", "near_duplicate": "near-duplicate question",
              "kept": "kept"}


def main(config: ExperimentConfig, console: Console, *, overwrite: bool = False) -> Path:
    cfg = config.synthesize
    out = config.corpus / SYNTHETIC_QA_FILE
    if out.exists() and not overwrite:
        raise RagvsftError(f"{out}: exists already; pass --overwrite to write it again, or delete it")
    # 1. Documents and chunks (the index's chunking), shuffled with the seed so --max-questions samples evenly.
    docs = corpus_documents(config.corpus)
    print_reading(docs, console)
    chunks = [c for c in chunk_documents(docs.documents, chunk_chars=config.index.chunk_chars,
                                         chunk_overlap_chars=config.index.chunk_overlap_chars)
              if len(c.text) >= cfg.min_chunk_chars]
    if not chunks:
        raise RagvsftError(f"{config.corpus / 'docs'}: no chunk of at least synthesize.min_chunk_chars="
                           f"{cfg.min_chunk_chars} characters to ask about")
    random.Random(config.seed).shuffle(chunks)
    written = written_qa_file(config.corpus)
    existing = [(q.question, q.answer) for q in load_qa(written, document_ids={d.id for d in docs.documents})] \
        if written else []

    # 2. Ask and filter. Replies are cached as they come (like every answer): a run stopped by a dead endpoint or
    #    Ctrl-C asks again only about the chunks it had not reached.
    labeller: Generator = build_judge(cfg.labeller, config.model, environ=os.environ, label="the labeller")
    asking = f"asking {escape(labeller.identity)} about {len(chunks)} chunks, {cfg.per_chunk} question(s) each"
    if config.evaluate.cache:
        labeller = CachedGenerator(labeller, ResultCache(config.output_dir / "cache.sqlite"))
    embedder = build_embedder(config.index, measuring=True)
    console.print(asking + (f", until {cfg.max_questions} are kept" if cfg.max_questions else ""), highlight=False)
    started = time.perf_counter()
    with step_progress(console, "synthesize: chunks") as step:
        result = synthesize(chunks, labeller, embedder, per_chunk=cfg.per_chunk, max_questions=cfg.max_questions,
                            support_threshold=cfg.support_threshold,
                            near_duplicate_similarity=config.near_duplicate_similarity,
                            max_new_tokens=cfg.max_new_tokens, seed=config.seed, eval_fraction=config.eval_fraction,
                            existing=existing, batch_size=config.model.batch_size,
                            on_progress=lambda done, total, kept: step(done, total, f"{kept} kept"))
    wall_s = time.perf_counter() - started
    if not result.rows:
        raise RagvsftError(f"the labeller's {result.replies} replies gave no usable pair "
                           f"({_summary(result.counts)}); try a larger labeller model")

    # 3. Write all at once, and prove it loads with the corpus.
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}")
    tmp.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in result.rows), encoding="utf-8")
    try:
        load_qa(tmp, document_ids={d.id for d in docs.documents})
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    per_1000 = wall_s / result.replies * 1000
    _print(console, result.counts, len(result.rows), out, result.replies, wall_s, per_1000)
    if result.surplus:
        console.print(f"({result.surplus} pairs beyond the {cfg.per_chunk} asked per chunk were left unread)")
    if isinstance(labeller, CachedGenerator) and labeller.cache.generations.hits:
        console.print(f"({labeller.cache.generations.hits} replies came from {escape(str(labeller.cache.path))}, "
                      "an earlier run's: the time covers only the rest)", highlight=False)
    uri = tracking.tracking_uri()
    with tracking.run(uri=uri, experiment=tracking.experiment_name(corpus_name(config.corpus)),
                      name=f"synthesize-{config.name}", description=f"questions written by {labeller.identity}",
                      tags={"ragvsft.pipeline": "synthesize", "ragvsft.experiment": config.name}) as logged:
        logged.log_params({"labeller": labeller.identity, "per_chunk": cfg.per_chunk,
                           "support_threshold": cfg.support_threshold,
                           "near_duplicate_similarity": config.near_duplicate_similarity})
        logged.log_metrics({**{f"synthesize/{k}": float(result.counts[k]) for k in STEPS},
                            "synthesize/chunks_asked": float(result.replies), "synthesize/wall_s": wall_s,
                            "synthesize/surplus": float(result.surplus),
                            "synthesize/s_per_1000_chunks": per_1000})
        logged.log_table(result.rows, "synthesize/qa.synthetic.json")
    return out


def _summary(counts: dict) -> str:
    return ", ".join(f"{STEP_NAMES[k]}: {counts.get(k, 0)}" for k in STEPS)


def _print(console: Console, counts: dict, rows: int, out: Path, replies: int, wall_s: float,
           per_1000: float) -> None:
    table = Table(title="what each filter took out")
    table.add_column("step")
    table.add_column("questions", justify="right")
    for key in STEPS:
        table.add_row(STEP_NAMES[key], str(counts.get(key, 0)))
    console.print(table)
    console.print(f"wrote {rows} pairs to {escape(str(out))} from {replies} chunks in {wall_s:.0f} s "
                  f"({per_1000:.0f} s per 1,000 chunks)", highlight=False)

"""What leaving a reply's quote of its parent out of a mailbox does to retrieval.

The demo corpus rewritten as mailboxes: each document an ``.mbox`` whose paragraphs are a thread of replies (a new
thread every 6 paragraphs), each reply quoting all of the message before it, in turn as Gmail ("On … wrote:" and
"> " lines) and as Outlook (a "From:/Sent:/To:/Subject:" block) quote. Built twice: with ``In-Reply-To`` headers,
so the reader finds each parent and leaves its quote out, and without them, so every quote stays (what reading
the messages one by one gives). Both are indexed with the demo's settings (``ragvsft index``, a throwaway SQLite
MLflow) and asked the demo's eval questions; printed per variant: chunks, hit@1/hit@5 (the index's own report),
and over the top ``top_k`` chunks of each question, the share of a lower-ranked chunk's 8-word runs already in a
higher one (repeated text in the prompt) and how often the gold answer's text is in them.

    .venv/bin/python benchmarks/mailbox_threads.py
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
THREAD = 6


def write_corpus(out: Path, *, linked: bool) -> None:
    from ragvsft.documents import load_documents

    for doc in load_documents(ROOT / "corpora/demo/docs").documents:
        raw, previous = b"", ""
        for i, paragraph in enumerate(p for p in doc.text.split("\n\n") if p.strip()):
            message = EmailMessage()
            message["Subject"], message["From"] = ("Re: " if i else "") + doc.id, f"user{i % 3}@example.com"
            message["Message-ID"] = f"<{doc.id}-{i}@example.com>"
            body = paragraph
            if i % THREAD:
                if linked:
                    message["In-Reply-To"] = f"<{doc.id}-{i - 1}@example.com>"
                quoted = "\n".join(f"> {line}" for line in previous.split("\n"))
                body += (f"\n\nOn Tue, Mar 4, 2025 at 9:12 AM user <user@example.com> wrote:\n\n{quoted}" if i % 2 else
                         "\n\n________________________________\nFrom: user <user@example.com>\nSent: Tuesday\n"
                         f"To: desk\nSubject: Re: {doc.id}\n\n{previous}")
            message.set_content(body)
            raw += (b"From user@example.com Tue Mar  4 09:12:00 2025\n"
                    + message.as_bytes().replace(b"\nFrom ", b"\n>From ") + b"\n")
            previous = body
        path = out / "docs" / (doc.id.rsplit(".", 1)[0] + ".mbox")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
    with open(ROOT / "corpora/demo/qa.jsonl") as source, open(out / "qa.jsonl", "w") as qa:
        for line in source:
            record = json.loads(line)
            record["sources"] = [s.rsplit(".", 1)[0] + ".mbox" for s in record["sources"]]
            qa.write(json.dumps(record) + "\n")


def shingles(text: str) -> set[tuple[str, ...]]:
    words = text.lower().split()
    return {tuple(words[i:i + 8]) for i in range(max(1, len(words) - 7))}


def measure(corpus: Path, work: Path, top_k: int) -> dict[str, float]:
    from ragvsft.builders import load_retriever
    from ragvsft.config import load_config

    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{work}/mlflow.db"}
    report = subprocess.run([sys.executable, "-m", "ragvsft.cli", "index", str(ROOT / "experiments/demo.toml"),
                             "--set", f"corpus={corpus}", "--set", f"output_dir={work}"],
                            env=env, capture_output=True, text=True, check=True).stdout
    chunks = int(re.search(r"(\d+) chunks in", report)[1])
    hit1, hit5 = (float(x) for x in re.search(r"hit@1 ([\d.]+)\s+hit@5 ([\d.]+)", report).groups())
    retriever, _ = load_retriever(load_config(ROOT / "experiments/demo.toml").index, work / "index")
    questions = [r for r in map(json.loads, open(corpus / "qa.jsonl")) if r["split"] == "eval"]
    repeated, found = [], 0
    for record, hits in zip(questions, retriever.search_many([r["question"] for r in questions], top_k), strict=True):
        seen: set[tuple[str, ...]] = set()
        for rank, hit in enumerate(hits):
            runs = shingles(hit.chunk.text)
            if rank:
                repeated.append(len(runs & seen) / len(runs))
            seen |= runs
        found += record["answer"].lower() in " ".join(" ".join(h.chunk.text.split()) for h in hits).lower()
    return {"chunks": chunks, "hit@1": hit1, "hit@5": hit5, "repeated": sum(repeated) / len(repeated),
            "answer in context": found / len(questions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--top-k", type=int, default=3, help="chunks a RAG prompt holds (the demo's retrieval.top_k)")
    args = parser.parse_args()
    print(f"| quotes of the parent | chunks | hit@1 | hit@5 | top-{args.top_k}: repeated text | answer in them |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for linked, label in ((False, "kept (no In-Reply-To)"), (True, "left out (In-Reply-To)")):
            corpus, work = Path(tmp) / f"corpus-{linked}", Path(tmp) / f"work-{linked}"
            write_corpus(corpus, linked=linked)
            m = measure(corpus, work, args.top_k)
            print(f"| {label} | {m['chunks']:,} | {m['hit@1']:.3f} | {m['hit@5']:.3f} | {m['repeated']:.1%} | "
                  f"{m['answer in context']:.3f} |", flush=True)


if __name__ == "__main__":
    main()

"""Question/answer pairs written by a labeller model from the corpus' chunks, then filtered, split and tagged.

For corpora that arrive with documents only. Each chunk (the index's chunking, so a pair's chunk is one the
index holds) is shown to the labeller, which replies with JSON lines ``{"question": ..., "answer": ...}``.
A pair is kept only when it passes, in order:

1. **well-formed**: a JSON object with a non-empty question and answer; a question asked for and not returned
   as one (no JSON, a missing field, fewer objects than asked) is counted as malformed, never guessed;
2. **not answerable from the question alone**: the answer adds a content word the question does not hold;
3. **supported**: the default ``faithfulness`` scorer finds at least ``support_threshold`` of the answer in its
   chunk (the scorer ``ragvsft validate-metrics`` validates);
4. **not a near-duplicate** of a pair already kept (``ragvsft.near_duplicates``: question cosine at least
   ``near_duplicate_similarity`` and the same answer): paraphrases collapse to one, so none straddles the split.

Splits are drawn like unsplit ``qa.jsonl`` lines (a seeded hash of the question). Each eval pair is tagged
``seen_fact`` when a training pair has the same chunk and answer (fine-tuning saw the fact, asked otherwise),
else ``unseen_fact``: the slice that separates what fine-tuning memorised from what it generalised.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ragvsft.chunking import Chunk
from ragvsft.embedders import Embedder, MemoEmbedder
from ragvsft.generators.base import Generator
from ragvsft.metrics.base import Sample
from ragvsft.metrics.faithfulness import ClaimSupport
from ragvsft.metrics.text import content_tokens, normalize_answer, stem
from ragvsft.near_duplicates import keep_distinct
from ragvsft.prompts import Message
from ragvsft.qa import seeded_split
from ragvsft.textforms import non_text, normalize

PROMPT_VERSION = "qa-v1"  # recorded in every pair's provenance; bump when the prompt below changes
SYSTEM = ("You write exam questions about an excerpt of an organisation's documents. Each question must be "
          "answerable from the excerpt alone, by someone who has not seen it, and its answer must be short: a name, "
          "number, date, code or phrase taken from the excerpt.")
_OBJECT = re.compile(r"\{[^{}]*\}")
# Each asked question ends in exactly one of the steps after "asked", so they add up to it.
STEPS = ("asked", "malformed", "answerable_from_question", "unsupported", "near_duplicate", "kept")


@dataclass
class SynthesisResult:
    """The kept pairs (``qa.jsonl`` rows), how many questions each step took out (:data:`STEPS`), and ``surplus``:
    well-formed pairs beyond the ``per_chunk`` asked for, left unread."""

    rows: list[dict[str, Any]]
    counts: Counter = field(default_factory=Counter)
    replies: int = 0  # labeller replies read (one per chunk asked)
    surplus: int = 0


def messages(chunk: Chunk, per_chunk: int) -> list[Message]:
    """The labeller's conversation for one chunk.

    Example:
        >>> messages(Chunk("a.md#0", "a.md", "Leave is 22 weeks.", 0), 2)[1]["content"].splitlines()[0]
        'Excerpt from a.md:'
    """
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"Excerpt from {chunk.doc_id}:\n\"\"\"\n{chunk.text}\n\"\"\"\n\n"
                                        f"Write {per_chunk} different question(s) about this excerpt. Reply with one "
                                        'JSON object per line and nothing else: {"question": "...", "answer": "..."}'}]


def parse_reply(text: str) -> list[tuple[str, str]]:
    """The well-formed (question, answer) pairs in a reply, in order; anything else in it is not a pair.

    Example:
        >>> parse_reply('Sure!\\n{"question": "How long is leave?", "answer": "22 weeks"}\\n{"question": "Who?"}')
        [('How long is leave?', '22 weeks')]
    """
    found = []
    for raw in _OBJECT.findall(text):
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError:
            continue
        question, answer = obj.get("question"), obj.get("answer")
        if not (isinstance(question, str) and isinstance(answer, str) and question.strip() and answer.strip()):
            continue
        question, answer = normalize(question).strip(), normalize(answer).strip()
        if not non_text(question + answer):
            found.append((question, answer))
    return found


def adds_to_question(question: str, answer: str) -> bool:
    """Whether the answer holds a content word (stemmed) the question does not: else the question gives it away.

    Example:
        >>> adds_to_question("Is parental leave 22 weeks?", "22 weeks"), adds_to_question("How long?", "22 weeks")
        (False, True)
    """
    asked = {stem(t) for t in content_tokens(question)}
    return any(stem(t) not in asked for t in content_tokens(answer))


def synthesize(chunks: Sequence[Chunk], labeller: Generator, embedder: Embedder, *, per_chunk: int,
               max_questions: int, support_threshold: float, near_duplicate_similarity: float, max_new_tokens: int,
               seed: int, eval_fraction: float, existing: Sequence[tuple[str, str]] = (), batch_size: int = 8,
               on_progress: Callable[[int, int, int], None] | None = None) -> SynthesisResult:
    """Ask the labeller about ``chunks`` (in batches), filter, split and tag; stops asking once ``max_questions``
    pairs are kept (0: no limit). A pair near-duplicating one of ``existing`` (the corpus' own ``qa.jsonl``, as
    (question, answer)) is dropped too. ``on_progress(chunks done, chunks, kept)`` after each batch."""
    result = SynthesisResult([])
    support = ClaimSupport()
    embedder = MemoEmbedder(embedder)  # every batch compares against all kept questions: embed each once
    candidates: list[tuple[str, str, Chunk]] = []
    kept: list[tuple[str, str]] = list(existing)  # (question, answer) of every pair a new one must not repeat
    for start in range(0, len(chunks), batch_size):
        batch = chunks[start:start + batch_size]
        replies = labeller.generate([messages(c, per_chunk) for c in batch], max_new_tokens=max_new_tokens)
        result.replies += len(replies)
        fresh = []
        for chunk, reply in zip(batch, replies):
            pairs = parse_reply(reply.text)
            result.counts["asked"] += per_chunk
            result.counts["malformed"] += max(0, per_chunk - len(pairs))
            result.surplus += max(0, len(pairs) - per_chunk)
            for question, answer in pairs[:per_chunk]:
                if not adds_to_question(question, answer):
                    result.counts["answerable_from_question"] += 1
                elif (support.score([Sample(question, answer, answer, (chunk.text,))])[0] or 0.0) < support_threshold:
                    result.counts["unsupported"] += 1
                else:
                    fresh.append((question, answer, chunk))
        # Near-duplicates against everything kept so far, and within the batch.
        known = kept + [(q, a) for q, a, _ in fresh]
        keep = set(keep_distinct([q for q, _ in known], [a for _, a in known], embedder, near_duplicate_similarity)
                   ) if fresh else set()
        new = [item for i, item in enumerate(fresh, start=len(kept)) if i in keep]
        result.counts["near_duplicate"] += len(fresh) - len(new)
        candidates += new
        kept += [(q, a) for q, a, _ in new]
        if on_progress is not None:
            on_progress(min(start + batch_size, len(chunks)), len(chunks), len(candidates))
        if max_questions and len(candidates) >= max_questions:
            break
    candidates = candidates[:max_questions] if max_questions else candidates
    result.counts["kept"] = len(candidates)
    result.rows = _rows(candidates, labeller.identity, seed=seed, eval_fraction=eval_fraction)
    return result


def _rows(candidates: Sequence[tuple[str, str, Chunk]], labeller: str, *, seed: int,
          eval_fraction: float) -> list[dict[str, Any]]:
    splits = [seeded_split(q, seed=seed, eval_fraction=eval_fraction) for q, _, _ in candidates]
    trained = {(c.id, normalize_answer(a)) for (_, a, c), s in zip(candidates, splits) if s == "train"}
    rows = []
    for n, ((question, answer, chunk), split) in enumerate(zip(candidates, splits), start=1):
        tags = ["synthetic", f"labeller={labeller.split('@')[0]}"]
        if split == "eval":
            tags.append("seen_fact" if (chunk.id, normalize_answer(answer)) in trained else "unseen_fact")
        rows.append({"id": f"syn-{n}", "question": question, "answer": answer, "sources": [chunk.doc_id],
                     "split": split, "tags": tags,
                     "provenance": {"labeller": labeller, "prompt": PROMPT_VERSION, "chunk": chunk.id}})
    return rows

"""A labelled set for validating faithfulness scorers, built from a corpus with no human labelling.

For every eval question whose source documents are known, the evidence is
those documents, and the answers are:

- supported: the gold answer; the evidence sentence that contains it (what a
  retrieval arm that copies its context says); the question restated with the
  gold answer (long but right: a scorer that rewards brevity fails here); the
  evidence sentence reworded with everyday synonyms (true, in other words);
- unsupported: the gold answer with its numbers changed and with its name
  swapped (preferably for another number or name the same evidence mentions:
  the confusion a reader of the document actually makes), with an invented
  detail appended, another question's answer, the evidence sentence with its
  fact replaced by another question's answer (a mostly-copied sentence that
  gets the one thing that matters wrong), the question restated with one
  detail wrong (long, and made of the question's own words: what hallucinating
  models typically write), and a sentence from another document (true in the
  corpus, but not in this evidence).

"Unsupported" means the claim the answer makes about *this question* is not in
the evidence, even where its words are. A variant that still states the gold
answer is dropped, so the labels are true by construction. The same questions
and seed always give the same set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from ragvsft.metrics.text import normalize_answer, split_sentences
from ragvsft.qa import QAPair

SUPPORTED_KINDS = ("gold", "evidence_sentence", "restated_gold", "paraphrase")
UNSUPPORTED_KINDS = ("swapped_number", "swapped_name", "fabricated_detail", "other_answer", "sentence_wrong_fact",
                     "restated_wrong_detail", "true_elsewhere")

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:[ \t]+[A-Z][\w'’-]*)*")
# Invented details: names and figures made up for this list, so no real document states them.
_FABRICATIONS = (
    "as approved by Orrin Talwyn",
    "unless the Brisco committee objects",
    "after a 19-day review by the Quenby office",
    "and only on the Halvard site",
    "with a fee of 340 credits",
    "logged in the Pellwick register",
)
# Everyday rewordings for the "paraphrase" kind: general English, nothing from any one corpus. A scorer that only
# counts exact words loses some support on these answers although they are true.
_REWORDINGS = {
    "must": "has to", "should": "ought to", "within": "inside", "before": "prior to", "after": "following",
    "receive": "get", "receives": "gets", "require": "need", "requires": "needs", "required": "needed",
    "approve": "sign off", "approves": "signs off", "approved": "signed off", "submit": "send in",
    "submitted": "sent in", "request": "ask for", "employees": "staff", "employee": "staff member",
    "maximum": "highest", "minimum": "lowest", "begin": "start", "begins": "starts", "starts": "begins",
    "each": "every", "every": "each", "annual": "yearly", "monthly": "every month", "daily": "every day",
    "purchase": "buy", "purchases": "buys", "assist": "help", "obtain": "get", "provide": "give",
    "provides": "gives", "contact": "get in touch with", "ensure": "make sure", "additional": "extra",
    "permitted": "allowed", "allowed": "permitted", "prohibited": "not allowed", "located": "situated",
    "large": "big", "small": "little", "quickly": "fast", "entitled": "eligible", "completed": "finished",
    "complete": "finish", "using": "with", "via": "through", "at least": "no fewer than", "up to": "as many as",
}
_REWORDING = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _REWORDINGS), key=len, reverse=True)) + r")\b",
                        re.IGNORECASE)


@dataclass(frozen=True)
class LabelledAnswer:
    """One answer with its evidence and whether the evidence supports it.

    Example:
        >>> LabelledAnswer("q1", "Max pressure?", "20 bar", "14 bar", ("Limit is 14 bar.",),
        ...                "swapped_number", False).supported
        False
    """

    qa_id: str
    question: str
    answer: str
    gold_answer: str
    evidence: tuple[str, ...]
    kind: str
    supported: bool


def _contains(haystack: str, needle: str) -> bool:
    """Token-sequence containment after normalisation ("14 bar" is in "max 14 bar", not in "140 bar")."""
    h, n = normalize_answer(haystack), normalize_answer(needle)
    return bool(n) and f" {n} " in f" {h} "


def _swap_numbers(answer: str, evidence_text: str, rng: random.Random) -> str | None:
    """Each number of ``answer`` replaced: by another number the evidence mentions (the typical confusion), else a
    nearby value."""
    numbers = _NUMBER.findall(answer)
    elsewhere = sorted(set(_NUMBER.findall(evidence_text)) - set(numbers))
    out = answer
    for number in numbers:
        if elsewhere:
            out = out.replace(number, rng.choice(elsewhere), 1)
        else:
            value = float(number.replace(",", ""))
            out = out.replace(number, f"{value + rng.choice([1, 2, 3, 5, 7, 10]):g}", 1)
    return out if numbers else None


def _names(text: str) -> list[str]:
    """Capitalised runs ("Ines Marlow", "Rowan Room"), leaving out a lone capitalised first word of a line and lone
    letters ("C" of a table header is no name)."""
    return [m.group() for m in _NAME.finditer(text)
            if len(m.group()) > 1 and (len(m.group().split()) > 1 or not _starts_line(text, m.start()))]


def _starts_line(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\"'(-*#")
    return not before or before[-1] in ".!?:\n"


def build_labelled_set(
    questions: Sequence[QAPair], documents: Mapping[str, str], *, seed: int = 0
) -> list[LabelledAnswer]:
    """Supported and unsupported answers for every question with sources (see the module docstring)."""
    rng = random.Random(seed)
    names = sorted({n for q in questions for n in _names(q.answer)})
    # Every document's sentences of five words or more, split once: the pool of true statements from elsewhere.
    statements = {d: [s for s in split_sentences(text) if len(s.split()) >= 5] for d, text in documents.items()}
    out: list[LabelledAnswer] = []
    for qa in questions:
        if not qa.sources or not all(s in documents for s in qa.sources):
            continue
        evidence = tuple(documents[s] for s in qa.sources)
        elsewhere = [s for d in sorted(statements) if d not in qa.sources for s in statements[d]]
        for kind, answer in _variants(qa, "\n".join(evidence), questions, names, elsewhere, rng):
            supported = kind in SUPPORTED_KINDS
            # An "unsupported" answer that states the gold answer after all is not one: drop it.
            if answer and (supported or kind == "fabricated_detail" or not _contains(answer, qa.answer)):
                out.append(LabelledAnswer(qa.id, qa.question, answer, qa.answer, evidence, kind, supported))
    return out


def _variants(qa: QAPair, text: str, questions: Sequence[QAPair], names: Sequence[str], elsewhere: Sequence[str],
              rng: random.Random) -> Iterator[tuple[str, str | None]]:
    """The labelled answers to ``qa`` as (kind, answer), ``None`` where a kind does not apply; ``elsewhere`` holds
    the sentences of the documents that are not its evidence."""
    # 1. Supported: the gold answer, the sentence stating it, the question restated with it, the sentence reworded.
    yield "gold", qa.answer
    sentence = next((s for s in split_sentences(text) if _contains(s, qa.answer)), None)
    yield "evidence_sentence", sentence
    yield "restated_gold", _restate(qa.question, qa.answer)
    yield "paraphrase", _reword(sentence, qa.answer) if sentence else None
    # 2. Unsupported variants of the gold answer.
    swapped_number = _swap_numbers(qa.answer, text, rng)
    yield "swapped_number", swapped_number
    # A name the evidence also mentions is the likely confusion; else a name from another answer.
    name = next(iter(_names(qa.answer)), None)
    others = [n for n in _names(text) if not _contains(n, qa.answer)] or [n for n in names if not _contains(text, n)]
    swapped_name = qa.answer.replace(name, rng.choice(sorted(set(others))), 1) if name and others else None
    yield "swapped_name", swapped_name
    yield "fabricated_detail", f"{qa.answer}, {rng.choice(_FABRICATIONS)}"
    # 3. Another question's answer, alone and pasted into the evidence sentence.
    foreign = [q.answer for q in questions if normalize_answer(q.answer) != normalize_answer(qa.answer)]
    if foreign:
        yield "other_answer", rng.choice(foreign)
        if sentence:
            yield "sentence_wrong_fact", _replace_span(sentence, qa.answer, rng.choice(foreign))
    # 4. Long and wrong: the question's own words with one detail changed (a swapped number or name, else another
    #    question's answer) — and a true sentence from a document that is not the evidence.
    wrong = swapped_number or swapped_name or (rng.choice(foreign) if foreign else None)
    yield "restated_wrong_detail", _restate(qa.question, wrong) if wrong else None
    facts = [s for s in elsewhere if not _contains(s, qa.answer)]
    yield "true_elsewhere", rng.choice(facts) if facts else None


def _restate(question: str, answer: str) -> str:
    """The question turned into a statement the crude way a verbose answer does it: its words, then the answer."""
    return f"{question.strip().rstrip('?').rstrip()}: {answer.strip().rstrip('.')}."


def _reword(sentence: str, gold: str) -> str | None:
    """``sentence`` with everyday synonyms swapped in outside the gold answer; ``None`` when no word changes (then
    it is no paraphrase)."""
    match = re.search(re.escape(gold), sentence, flags=re.IGNORECASE)
    if not match:
        return None
    changed = 0

    def swap(m: re.Match[str]) -> str:
        nonlocal changed
        changed += 1
        word = _REWORDINGS[m.group().lower()]
        return word.capitalize() if m.group()[0].isupper() else word

    before, after = _REWORDING.sub(swap, sentence[: match.start()]), _REWORDING.sub(swap, sentence[match.end():])
    return f"{before}{sentence[match.start():match.end()]}{after}" if changed else None


def _replace_span(sentence: str, gold: str, replacement: str) -> str | None:
    """``sentence`` with the gold answer replaced; case-insensitive, None when the surface form differs."""
    match = re.search(re.escape(gold), sentence, flags=re.IGNORECASE)
    return sentence[: match.start()] + replacement + sentence[match.end():] if match else None

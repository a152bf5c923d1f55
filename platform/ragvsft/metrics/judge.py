"""Faithfulness by an LLM judge (RAGAS-style): split the answer into claims, ask for a verdict per claim.

Any generator backend can judge: the local model or an OpenAI-compatible
endpoint. Decoding is greedy, so a given judge gives the same verdicts. A
reply that cannot be parsed gives ``None`` for that answer and is counted in
``parse_failures``, which the evaluation logs next to the score: a judge
failing silently would bias the mean towards the answers it could handle.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ragvsft.generators.base import Generator
from ragvsft.metrics.base import Sample
from ragvsft.metrics.text import content_tokens, split_sentences

DECOMPOSE_PROMPT = (
    "Split the answer below into short standalone statements, one per line, each starting with \"- \". "
    "Use only what the answer says.\n\nQuestion: {question}\nAnswer: {answer}"
)
# One claim per verdict prompt: small local judges follow "reply yes or no" far more reliably than a numbered
# list of verdicts (measured with SmolLM2-135M: 210 of 239 numbered replies unreadable, yes/no replies all readable).
VERDICT_PROMPT = (
    "Context:\n{context}\n\nQuestion: {question}\nStatement: {claim}\n\n"
    "Does the context support the statement? Reply with yes or no."
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.+?)\s*$", re.MULTILINE)
_FIRST_WORD = re.compile(r"^\W*(yes|no)\b", re.IGNORECASE)


def parse_claims(reply: str) -> list[str]:
    """Bulleted or numbered lines of a reply; ``[]`` when it has none.

    Example:
        >>> parse_claims("Statements:\\n- Leave is 27 days.\\n2) It excludes holidays.")
        ['Leave is 27 days.', 'It excludes holidays.']
    """
    return _BULLET.findall(reply)


def parse_verdict(reply: str) -> bool | None:
    """``True``/``False`` for a reply that starts with yes/no, ``None`` for anything else.

    Example:
        >>> parse_verdict("**No**, the context says 14 bar."), parse_verdict("Yes."), parse_verdict("I think so")
        (False, True, None)
    """
    match = _FIRST_WORD.match(reply)
    return None if match is None else match.group(1).lower() == "yes"


def focus_evidence(evidence: Sequence[str], question: str, answer: str, max_chars: int) -> str:
    """The evidence, or when longer than ``max_chars`` its sentences sharing the most words with the question and
    answer, kept in document order — a small judge cannot read whole manuals.

    Example:
        >>> focus_evidence(["Leave is 27 days. Parking is free. Ask HR."], "How long is leave?", "27 days", 20)
        'Leave is 27 days.'
    """
    text = "\n".join(evidence)
    if len(text) <= max_chars:
        return text
    wanted = set(content_tokens(question)) | set(content_tokens(answer))
    sentences = [s for p in evidence for s in split_sentences(p)]
    ranked = sorted(range(len(sentences)), key=lambda i: (-len(wanted & set(content_tokens(sentences[i]))), i))
    keep, used = set(), 0
    for i in ranked:
        if used + len(sentences[i]) > max_chars:
            break
        keep.add(i)
        used += len(sentences[i]) + 1
    return "\n".join(sentences[i] for i in sorted(keep))


class JudgeFaithfulness:
    """Share of the answer's claims that an LLM judge finds supported by the evidence.

    1. Claims: a one-sentence answer is one claim; longer answers are split by
       the judge (``DECOMPOSE_PROMPT``).
    2. Verdicts: for each claim the judge reads the (focused) evidence, the
       question and the claim, and says yes or no (``VERDICT_PROMPT``).
    3. Score = yes verdicts / claims; ``None`` for an empty answer, and
       ``None`` plus one counted parse failure when the decomposition or any
       verdict cannot be read.

    Example:
        >>> JudgeFaithfulness(judge).score([Sample("Max pressure?", "14 bar", "14 bar", ("Limit: 14 bar.",))])
        ... # doctest: +SKIP
        [1.0]
    """

    name = "faithfulness_judge"
    requires = ("judge",)

    def __init__(self, judge: Generator, *, max_evidence_chars: int = 3000) -> None:
        self.judge = judge
        self.max_evidence_chars = max_evidence_chars
        self.parse_failures = 0
        """Answers of the last ``score`` call whose judge replies could not be parsed."""

    def score(self, samples: Sequence[Sample]) -> list[float | None]:
        todo = [i for i, s in enumerate(samples) if s.answer.strip() and s.evidence]
        claims = dict(zip(todo, self._claims([samples[i] for i in todo])))
        # One verdict prompt per claim, all answers in one batch.
        asked = [(i, claim) for i in todo for claim in claims[i]]
        prompts = [[{"role": "user", "content": VERDICT_PROMPT.format(
            context=focus_evidence(samples[i].evidence, samples[i].question, samples[i].answer, self.max_evidence_chars),
            question=samples[i].question, claim=claim)}] for i, claim in asked]
        replies = self.judge.generate(prompts, max_new_tokens=4, stop=["\n"]) if prompts else []
        verdicts: dict[int, list[bool | None]] = {}
        for (i, _), reply in zip(asked, replies):
            verdicts.setdefault(i, []).append(parse_verdict(reply.text))
        scores: list[float | None] = [None] * len(samples)
        self.parse_failures = 0
        for i in todo:
            got = verdicts.get(i, [])
            if not got or None in got:  # no claims could be read, or a verdict could not
                self.parse_failures += 1
            else:
                scores[i] = sum(got) / len(got)
        return scores

    def _claims(self, samples: Sequence[Sample]) -> list[list[str]]:
        """Claims per sample; ``[]`` where the judge's decomposition could not be parsed."""
        claims = [[s.answer.strip()] if len(split_sentences(s.answer)) == 1 else None for s in samples]
        split = [i for i, c in enumerate(claims) if c is None]
        prompts = [[{"role": "user", "content": DECOMPOSE_PROMPT.format(question=samples[i].question,
                                                                        answer=samples[i].answer)}] for i in split]
        for i, reply in zip(split, self.judge.generate(prompts, max_new_tokens=128, stop=()) if prompts else []):
            claims[i] = parse_claims(reply.text)[:12]  # a runaway list is a parse problem, not 50 claims
        return [c or [] for c in claims]

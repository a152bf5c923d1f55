"""How long an answer may run and where it stops, fitted to the corpus when the experiment does not say.

A cap tuned for short facts (24 tokens, cut at the first newline) silently
truncates every arm's answer on a corpus whose gold answers are paragraphs,
and then the comparison says nothing. Unless ``model.max_new_tokens`` /
``model.stop`` are set, both come from the training answers: room for the
99th-percentile answer plus a quarter, and a newline stop only when no
training answer spans lines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_NEW_TOKENS = 16  # room for a short fact and its end token, even when every training answer is one word
MAX_NEW_TOKENS = 1024  # a generation budget, not a context length: longer gold answers are essays, not QA
NO_TRAINING_NEW_TOKENS = 64  # when there are no training answers to measure
HIT_LIMIT_WARNING_SHARE = 0.05  # warn when more answers than this stopped at the cap


@dataclass(frozen=True)
class AnswerLimits:
    """The generation cap and stop strings every arm answers with, and why.

    Example:
        >>> answer_limits(0, None, ["22 weeks", "Ines Marlow"], str.split).max_new_tokens
        16
    """

    max_new_tokens: int
    stop: tuple[str, ...]
    why: str
    """One line for the console: what was chosen, and from what."""


def answer_limits(max_new_tokens: int, stop: Sequence[str] | None, training_answers: Sequence[str],
                  tokenize: Any | None) -> AnswerLimits:
    """The configured values where set (``max_new_tokens > 0``, ``stop`` not None), else fitted to the answers.

    ``tokenize`` maps a text to its tokens (the base model's tokenizer ``.tokenize``); it is needed, and called,
    only to fit the budget (``max_new_tokens == 0``).

    Example:
        >>> limits = answer_limits(0, None, ["Open the valve.\\nWait ten minutes.\\nClose it."] * 3, str.split)
        >>> limits.max_new_tokens, limits.stop
        (16, ())
        >>> limits = answer_limits(24, ["\\n"], ["Open the valve.\\nWait."], str.split)
        >>> limits.max_new_tokens, limits.stop
        (24, ('\\n',))
    """
    if max_new_tokens > 0:
        cap, cap_why = max_new_tokens, "model.max_new_tokens"
    elif training_answers:
        if tokenize is None:
            raise ValueError("fitting max_new_tokens to the training answers needs their tokenizer")
        lengths = [len(tokenize(a)) + 1 for a in training_answers]  # + the end-of-turn token
        p99 = float(np.percentile(lengths, 99))
        cap = min(MAX_NEW_TOKENS, max(MIN_NEW_TOKENS, math.ceil(1.25 * p99)))
        cap_why = f"99th percentile of the {len(lengths)} training answers ({p99:.0f} tokens) + 25 %"
    else:
        cap, cap_why = NO_TRAINING_NEW_TOKENS, "no training answers to measure"
    if stop is not None:
        stops, stop_why = tuple(stop), "model.stop"
    else:
        multiline = sum("\n" in a.strip() for a in training_answers)
        stops = () if multiline else ("\n",)
        stop_why = (f"{multiline} training answers span lines" if multiline else "no training answer spans lines")
    shown = ", ".join(repr(s) for s in stops) or "none"
    return AnswerLimits(cap, stops, f"answers: up to {cap} new tokens ({cap_why}); stop at {shown} ({stop_why})")


def hit_limit_share(new_tokens: Sequence[int], max_new_tokens: int) -> float:
    """Share of answers that used the whole budget: likely cut off, not finished.

    Example:
        >>> hit_limit_share([3, 16, 16, 9], 16)
        0.5
    """
    return sum(n >= max_new_tokens for n in new_tokens) / len(new_tokens) if new_tokens else 0.0

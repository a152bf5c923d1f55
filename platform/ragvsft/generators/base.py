"""What every generator backend provides: answers to chat conversations, with token counts and timings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ragvsft.prompts import Message


@dataclass(frozen=True)
class Generation:
    """One answer.

    Example:
        >>> Generation(text="22 weeks", prompt_tokens=41, new_tokens=4, latency_ms=180.0).text
        '22 weeks'
    """

    text: str
    """The answer, cut at the first stop string, whitespace stripped."""
    prompt_tokens: int
    """Tokens the model read (after any left truncation to fit its context)."""
    new_tokens: int
    """Tokens the model generated for this answer, up to and including its end token; padding not counted."""
    latency_ms: float
    """Wall time of the call or batch that produced this answer: what a caller waited for."""
    batch_rows: int = 1
    """Answers that batch produced together: this answer's share of the compute is ``latency_ms / batch_rows``."""


class Generator(Protocol):
    """Answers conversations; one ``Generation`` per conversation, in the same order.

    Example:
        >>> gen = HFGenerator(cache_dir=Path(".cache/ragvsft"))  # doctest: +SKIP
        >>> conversation = PromptTemplate().messages("Who signs travel?")  # doctest: +SKIP
        >>> gen.generate([conversation], max_new_tokens=16, stop=["\\n"])[0].text  # doctest: +SKIP
        'Ines Marlow'
    """

    @property
    def identity(self) -> str:
        """Model identity, plus the adapter's when one is applied: equal identities give equal answers."""
        ...

    def generate(
        self, conversations: Sequence[list[Message]], *, max_new_tokens: int, stop: Sequence[str] = ()
    ) -> list[Generation]: ...


def truncate_at_stop(text: str, stop: Sequence[str]) -> str:
    """``text`` cut at its earliest stop string, whitespace stripped, and without a character cut in half at its end.

    Leading whitespace is skipped before searching, so a model that opens its
    answer with a newline is not cut to an empty answer by a ``"\\n"`` stop.
    An answer stopped at its token limit may end in part of a character (a
    Korean syllable, a Chinese character or an emoji is three or four bytes,
    which a byte-level vocabulary may split across tokens), decoded as one
    U+FFFD: it is left out.

    Example:
        >>> truncate_at_stop("\\n 22 weeks.\\nQuestion: next", ["Question:", "\\n"])
        '22 weeks.'
        >>> truncate_at_stop("휴가는 27일입니\\ufffd", [])
        '휴가는 27일입니'
    """
    text = text.lstrip()
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=len(text))
    text = text[:cut].strip()
    return text[:-1].rstrip() if text.endswith("\ufffd") else text  # one: an unfinished character decodes as one


def hits_stop(text: str, stop: Sequence[str]) -> bool:
    """Whether ``truncate_at_stop`` would cut ``text``: generation can end there.

    Example:
        >>> hits_stop("\\n22 weeks", ["\\n"]), hits_stop("22 weeks\\n", ["\\n"])
        (False, True)
    """
    text = text.lstrip()
    return any(s and s in text for s in stop)

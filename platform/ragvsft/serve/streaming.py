"""Streaming an answer while it is generated, so that the pieces add up to exactly the non-streamed answer.

The final answer is cut at the first stop string and stripped. While tokens
arrive, a stop string may be half-formed ("Quest" of "Question:"), trailing
whitespace may turn out to be the end, and a multi-byte character may be
half-decoded (U+FFFD). So a piece is sent only once the text before it can no
longer change: the tail that could still become one of those is held back.
"""

from __future__ import annotations

from collections.abc import Sequence

from ragvsft.generators.base import hits_stop, truncate_at_stop

REPLACEMENT = "\ufffd"  # what a tokenizer decodes half a UTF-8 character to


class TextStream:
    """Deltas of one answer from its growing decoded text.

    Example:
        >>> s = TextStream(["\\n"])
        >>> [s.update(t) for t in [" 22", " 22 weeks ", " 22 weeks.\\nQuest"]], s.finish("22 weeks.")
        (['22', ' weeks', '.'], '')
        >>> s = TextStream(["Question:"])  # up to 8 characters held back: they may become "Question:"
        >>> [s.update(t) for t in ["22 weeks", "22 weeks, paid", "22 weeks, paid Quest"]], s.finish("22 weeks, paid Quest")
        (['', '22 wee', 'ks, pa'], 'id Quest')
    """

    def __init__(self, stop: Sequence[str]) -> None:
        self.stop = tuple(s for s in stop if s)
        self._hold = max((len(s) for s in self.stop), default=1) - 1  # a stop string's longest proper prefix
        self.sent = ""

    def update(self, text: str) -> str:
        """The new piece that is safe to send, given the answer's whole decoded text so far."""
        visible = truncate_at_stop(text, self.stop)
        if not hits_stop(text, self.stop):  # not cut yet: a stop string may be forming at the end
            visible = visible[: max(len(visible) - self._hold, 0)]
        visible = visible.split(REPLACEMENT, 1)[0].rstrip()
        if len(visible) <= len(self.sent) or not visible.startswith(self.sent):
            return ""
        piece, self.sent = visible[len(self.sent):], visible
        return piece

    def finish(self, answer: str) -> str:
        """The rest of the final ``answer``. The pieces sent so far are always a prefix of it, as decoding token by
        token gives the same text as decoding the whole answer for the tokenizers in use; a tokenizer that does
        not would get its final text appended as it is."""
        piece = answer[len(self.sent):] if answer.startswith(self.sent) else answer
        self.sent = answer
        return piece

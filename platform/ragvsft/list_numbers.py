"""The numbers Word shows before numbered paragraphs ("4.2", "(b)", "iii."), counted as Word counts them, for
both its formats: a .docx (:mod:`ragvsft.docx_text`) and a Word 97-2003 .doc (:mod:`ragvsft.doc_lists`) each read
their list definitions into :class:`Level` values, and one :class:`ListCounters` counts.

The numbers are not in the text Word stores: Word counts them as it shows the document. Without them a
contract's or a policy's "clause 4.2" is a number no chunk holds, and a question citing it cannot find its clause.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The most characters of a number shown ("Schedule 2, Part 4, Clause 4.2.1" is 32): a damaged or hostile list
# whose level text runs to thousands of characters, before each of thousands of one-character paragraphs, would
# otherwise multiply a small file into gigabytes of text.
MAX_LABEL = 64


class Level(NamedTuple):
    """One level of a list: the number it starts at, how numbers are written (Word's names: ``decimal``,
    ``lowerLetter``, ``upperRoman``, ``bullet``, ...), its text with ``%1``-``%9`` where the numbers of levels 1-9
    go ("%1.%2."), and whether every number in it is written in digits (legal numbering)."""

    start: int
    format: str
    text: str
    legal: bool = False


class ListCounters:
    """Each list's counters in document order: each level from its start value, deeper levels starting again when
    a shallower one counts on, a list restarted where the document overrides its start.

    Example:
        >>> levels = {0: Level(1, "decimal", "%1."), 1: Level(1, "lowerLetter", "(%2)")}
        >>> counters = ListCounters()
        >>> [counters.label("policy", levels, level) for level in (0, 1, 1, 0, 1)]
        ['1.', '(a)', '(b)', '2.', '(a)']
    """

    def __init__(self) -> None:
        self.counters: dict[object, dict[int, int]] = {}  # list -> level -> its number so far

    def label(self, key: object, levels: dict[int, Level], level: int, starts: dict[int, int] | None = None, *,
              restart: bool = False) -> str:
        """The number shown before the next paragraph at ``level`` of the list ``key`` ("" for a bullet, or a level
        the list lacks), counting it; ``starts`` overrides levels' start values; ``restart`` starts the level's
        count again there."""
        starts = starts or {}
        if level not in levels:
            return ""
        counters = self.counters.setdefault(key, {})
        if restart:
            counters.pop(level, None)
        counters[level] = counters[level] + 1 if level in counters else starts.get(level, levels[level].start)
        for deeper in [d for d in counters if d > level]:
            del counters[deeper]
        shown = levels[level]
        if shown.format in ("bullet", "none"):
            return ""

        def number(match: re.Match[str]) -> str:
            at = int(match[1]) - 1
            outer = levels.get(at, Level(1, "decimal", ""))
            return formatted(counters.get(at, starts.get(at, outer.start)), "decimal" if shown.legal else outer.format)

        return re.sub(r"%([1-9])", number, shown.text[:MAX_LABEL]).strip()[:MAX_LABEL]


ROMAN = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"), (10, "x"),
         (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]


def formatted(number: int, fmt: str) -> str:
    """``number`` as a Word list format shows it; a number no letter or numeral writes (over 780, 3,999) in digits.

    Example:
        >>> [formatted(n, f) for n, f in [(4, "upperRoman"), (28, "lowerLetter"), (3, "decimalZero"), (5, "ordinal")]]
        ['IV', 'bb', '03', '5']
    """
    if fmt in ("lowerLetter", "upperLetter") and 0 < number <= 26 * 30:
        letters = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)  # Word: y, z, aa, bb, ...
        return letters.upper() if fmt == "upperLetter" else letters
    if fmt in ("lowerRoman", "upperRoman") and 0 < number < 4000:
        numeral = ""
        for value, letters in ROMAN:
            count, number = divmod(number, value)
            numeral += letters * count
        return numeral.upper() if fmt == "upperRoman" else numeral
    return f"{number:02d}" if fmt == "decimalZero" else str(number)

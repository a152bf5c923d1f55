"""Answer normalisation shared by the metrics (SQuAD's, plus unicode folding)."""

from __future__ import annotations

import re
import string
import unicodedata

_PUNCT = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—", "…", "·"}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
# Words that carry no checkable content: an answer made only of these asserts nothing.
STOPWORDS = frozenset(
    "a an the and or but if of at by for with about to from in on into over under is are was were be been being "
    "it its this that these those there here as than then so such not no yes do does did done has have had having "
    "will would shall should can could may might must i you he she we they them his her their our your my me us "
    "which who whom whose what when where why how all any each every some per via also only just very answer".split()
)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces; plus NFKC and accent-keeping.

    Example:
        >>> normalize_answer("The  X-200's limit: 14 Bar.")
        'x200s limit 14 bar'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def content_tokens(text: str) -> list[str]:
    """Normalised tokens minus stopwords: the words that make a claim."""
    return [t for t in tokens(text) if t not in STOPWORDS]

"""Answer normalisation shared by the metrics (SQuAD's, plus unicode folding)."""

from __future__ import annotations

import re
import string
import unicodedata

_PUNCT = set(string.punctuation) | {"“", "”", "‘", "’", "–", "—", "…", "·"}
_ARTICLES = re.compile(r"\b(a|an|the)\b")
# A point or comma between digits is part of the number, not punctuation: dropped, "3.5 bar" read as "35 bar" and
# an answer with the decimal point in the wrong place scored as exact and as supported (SQuAD's normalisation
# drops it). So is a minus sign before one ("-5 °C" is not "5 °C"; not the hyphen of "X-200" or "10-20"). A comma
# before a last group of three digits separates thousands, so "1,000" is "1000"; any other is a decimal comma
# (German, French: "3,5 bar"), read as the point it stands for.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_IN_NUMBER = re.compile(r"(?<=\d)[.,](?=\d)|(?<![\w.,])[-\u2212](?=\d)")
# Stand-ins (private use: not punctuation) while punctuation is dropped; they come back as "." and "-".
_KEPT = {".": "\ue000", ",": "\ue000", "-": "\ue001", "\u2212": "\ue001"}
_RESTORED = str.maketrans({"\ue000": ".", "\ue001": "-"})
# Chinese and Japanese write no spaces between words: each ideograph or kana is a token of its own (as in the
# character-level F1 of Chinese reading-comprehension sets), or a whole sentence would be one token.
_UNSPACED = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")
# A sentence ends at . ! ? followed by a space, at the ideographic full stop and the full-width ! ? (written
# without a space after them), or at a line end.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？｡])\s*|\n+")
# Words that carry no checkable content: an answer made only of these asserts nothing.
STOPWORDS = frozenset(
    "a an the and or but if of at by for with about to from in on into over under is are was were be been being "
    "it its this that these those there here as than then so such not no yes do does did done has have had having "
    "will would shall should can could may might must i you he she we they them his her their our your my me us "
    "which who whom whose what when where why how all any each every some per via also only just very answer".split()
)


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lower case, no punctuation, no articles, single spaces; plus NFKC, accent-keeping,
    punctuation of every script dropped (« », ¿, 。) but a number's decimal point (a decimal comma read as one)
    and minus sign, thousands separators dropped, and Chinese and Japanese characters spaced apart.

    Example:
        >>> normalize_answer("The  X-200's limit: 3.5 Bar, or 1,000 kPa, at −5 °C (3,5 bar).")
        'x200s limit 3.5 bar or 1000 kpa at -5 °c 3.5 bar'
        >>> normalize_answer("年假为二十七天。")
        '年 假 为 二 十 七 天'
    """
    text = _THOUSANDS.sub("", unicodedata.normalize("NFKC", text).casefold())
    text = _IN_NUMBER.sub(lambda m: _KEPT[m[0]], text)
    text = "".join(ch for ch in text if ch not in _PUNCT and (ch.isascii() or unicodedata.category(ch)[0] != "P"))
    text = text.translate(_RESTORED)
    return " ".join(_ARTICLES.sub(" ", spaced(text)).split())


def spaced(text: str) -> str:
    """``text`` with a space either side of each Chinese or Japanese character, so splitting on spaces finds words
    in every script.

    Example:
        >>> spaced("有27天").split()
        ['有', '27', '天']
    """
    return _UNSPACED.sub(r" \1 ", text)


def tokens(text: str) -> list[str]:
    return normalize_answer(text).split()


def content_tokens(text: str) -> list[str]:
    """Normalised tokens minus stopwords: the words that make a claim."""
    return [t for t in tokens(text) if t not in STOPWORDS]


def stem(token: str) -> str:
    """A light suffix stripper so "approves"/"approved"/"approving" match; numbers and short words untouched.

    Example:
        >>> [stem(t) for t in ("approves", "approved", "days", "14", "bus")]
        ['approv', 'approv', 'days', '14', 'bus']
    """
    if len(token) <= 4 or not token.isalpha():
        return token
    for suffix in ("ing", "ed", "es", "s"):
        if token.endswith(suffix) and len(token) - len(suffix) >= 4:
            return token[: -len(suffix)]
    return token


def split_sentences(text: str) -> list[str]:
    """Sentences and lines (list items, table rows) of a text, stripped, empty ones dropped.

    Example:
        >>> split_sentences("Leave is 27 days. Ask HR.\\n- Notice: 10 days")
        ['Leave is 27 days.', 'Ask HR.', '- Notice: 10 days']
        >>> split_sentences("年假为二十七天。病假另计！")
        ['年假为二十七天。', '病假另计！']
    """
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]

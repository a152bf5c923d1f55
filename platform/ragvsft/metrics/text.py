"""Answer normalisation shared by the metrics (SQuAD's, plus unicode folding)."""

from __future__ import annotations

import re
import string
import unicodedata

from ragvsft.metrics.amounts import amounts
from ragvsft.metrics.dates import day_month_year
from ragvsft.metrics.number_words import digits_for_number_words
from ragvsft.writing import SPACED_STOPS, UNSPACED_STOPS, spaced

NORMALIZATION_VERSION = 5
"""Part of the lexical metrics' cached scores' key: 2, punctuation of every script dropped, CJK characters tokens;
3, decimal points and minus signs kept; 4, digits of every script read as ASCII, Thai, Lao, Khmer and Burmese
letters and Korean syllables tokens, units written onto numbers and ranges split; 5, English numbers written in
words read as digits, English dates written day, month, year, amounts of money written sign first."""

_PUNCT = set(string.punctuation) - {"$"} | {"“", "”", "‘", "’", "–", "—", "…", "·"}  # "$": a currency sign (amounts.py)
_ARTICLES = re.compile(r"\b(a|an|the)\b")
# A point or comma between digits is part of the number, not punctuation: dropped, "3.5 bar" read as "35 bar" and
# an answer with the decimal point in the wrong place scored as exact and as supported (SQuAD's normalisation
# drops it). So is a minus sign before one ("-5 °C" is not "5 °C"; not the hyphen of "X-200" or "10-20"). A comma
# before a last group of three digits separates thousands, so "1,000" is "1000"; any other is a decimal comma
# (German, French: "3,5 bar"), read as the point it stands for.
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_IN_NUMBER = re.compile(r"(?<=\d)[.,](?=\d)|(?<![\w.,])[-\u2212](?=\d)")
# A dash between two numbers makes a range of two ("10-20 days", "10–20", "10 to 20"), not one number: dropped as
# punctuation, "10-20" read as "1020" (and scored exact against it). Not in a code whose groups are numbers
# ("BVW-2024-100", "10-20-30": a letter, a dash or a third group beside them), which stays one word.
_DASHES = "\\-\u2010\u2012\u2013\u2014\u2212"  # escaped "-": the list goes inside [...]
_RANGE = re.compile(rf"(?<![\w.,{_DASHES}])(\d+(?:[.,]\d+)?)[{_DASHES}](?=\d+(?:[.,]\d+)?(?!\w|[.,{_DASHES}]\d))")
_MAY_HOLD_RANGE = re.compile(rf"\d[{_DASHES}]\d")  # a quick look first: most text has none, and _RANGE is slow to scan
# A unit written onto its number ("3.5kW", "12V", "100mm", "-5°C") is the unit written after a space: one answer
# either way. Units only: other letters after a number make a label or a word ("5a", "2nd", "3x", "1990s"), kept
# whole.
_UNIT_AFTER_NUMBER = re.compile(  # a digit first, not a look behind: the scan then skips to digits
    r"\d(?=(?:[mckμnu]?m[23]?|in|ft|mi|[mk]?g|lbs?|oz|ms|sec|min|hrs?|h|[kmg]?wh?|kj|kcal|j|[km]?v|m?ah|ma"
    r"|[khm]?pa|m?bar|psi|[kmg]?hz|[kmgt]i?b|[kmg]bps|[mcd]?l|rpm|dpi|px|pt|°[cf]?)(?!\w))")
# Stand-ins (private use: not punctuation) while punctuation is dropped; they come back as "." and "-".
_KEPT = {".": "\ue000", ",": "\ue000", "-": "\ue001", "\u2212": "\ue001"}
_RESTORED = str.maketrans({"\ue000": ".", "\ue001": "-"})
# Digits of every script (Arabic-Indic ٢٧, Devanagari २७, Thai ๒๗) are the ASCII digits they stand for, as the
# Arabic decimal and thousands separators are "." and ",": "٢٧ يوما" and "27 يوما" give one answer. The signs
# some scripts end a word with instead of a space (the Tibetan tsheg, the Ethiopic wordspace) are a space: dropped
# as punctuation, they would join the words.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
_SIGNS = str.maketrans({"\u066b": ".", "\u066c": ",", "\u0f0b": " ", "\u0f0c": " ", "\u1361": " "})
# A sentence ends at a stop followed by a space, at a stop written without one, or at a line end.
_SENTENCE_END = re.compile(rf"(?<=[{SPACED_STOPS}])\s+|(?<=[{UNSPACED_STOPS}])\s*|\n+")
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
    and minus sign, thousands separators dropped, a range's dash and a unit written onto its number a space,
    digits of every script as ASCII digits, English numbers written in words as digits ("twenty-seven" is "27"; a
    lone "one" stays a word), English dates as day, month, year ("June 30th" is "30 june"), amounts of money as
    one word, sign first ("38 euros" is "€38"), and the letters of scripts written without spaces (Chinese,
    Japanese, Thai, Lao, Khmer, Burmese) and Korean syllables spaced apart.

    Example:
        >>> normalize_answer("The  X-200's limit: 3.5 Bar, or 1,000 kPa, at −5 °C (3,5bar), for 10–20 min.")
        'x200s limit 3.5 bar or 1000 kpa at -5 °c 3.5 bar for 10 20 min'
        >>> normalize_answer("年假为二十七天。")
        '年 假 为 二 十 七 天'
        >>> normalize_answer("ลาได้ ๒๗ วัน")
        'ล า ไ ด้ 27 วั น'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    if not text.isascii():  # digits first: the rules of one_form read ASCII ones
        text = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m[0])), text.translate(_SIGNS))
    text = one_form(text)
    text = _UNIT_AFTER_NUMBER.sub(r"\g<0> ", _THOUSANDS.sub("", text))
    if _MAY_HOLD_RANGE.search(text):
        text = _RANGE.sub(r"\1 ", text)
    text = _IN_NUMBER.sub(lambda m: _KEPT[m[0]], text)
    text = "".join(ch for ch in text if ch not in _PUNCT and (ch.isascii() or unicodedata.category(ch)[0] != "P"))
    text = text.translate(_RESTORED)
    return " ".join(_ARTICLES.sub(" ", spaced(text)).split())


def one_form(text: str) -> str:
    """``text`` (in lower case) with English numbers in words as digits, dates as day, month, year, and amounts of
    money as one word, sign first: one form of each, for every rule that reads numbers.

    Example:
        >>> one_form("fourteen days after june 30th, 38 euros")
        '14 days after 30 june, €38'
    """
    return amounts(day_month_year(digits_for_number_words(text)))


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
        >>> split_sentences("छुट्टी 27 दिन है। मानव संसाधन से पूछें।")
        ['छुट्टी 27 दिन है।', 'मानव संसाधन से पूछें।']
    """
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]

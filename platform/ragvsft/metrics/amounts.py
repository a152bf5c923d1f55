"""Money and percentages in one form: "€38", "38 €", "38 euros" and "EUR 38" are "€38"; "6 percent" is "6%".

Whether the currency was a sign, a code or a word, and on which side of the amount it stood, decided whether an
answer matched: "€38" was one word, "38 euros" two, so the right answer in words shared nothing with the gold
one, and faithfulness found a model's "38 euros" nowhere in evidence saying "€38". An amount of money stays one
word, sign first, as "€38" always was (38 euros are not 38 days: a swapped figure borrowed from a price line must
not find its number there); the common ISO codes and names beside an amount are its sign, and the dollar sign,
which SQuAD's normalisation drops as punctuation, is kept ("$5" and "€5" are not one answer). The words for
percent are the percent sign, which is dropped as punctuation, as it was.
"""

from __future__ import annotations

import re
import unicodedata

# Every currency sign of the Basic Multilingual Plane (all but six rare ones; scanning past it costs 0.1 s an import).
_SIGNS = re.escape("".join(ch for ch in map(chr, range(0x10000)) if unicodedata.category(ch) == "Sc"))
_CURRENCY = {"eur": "€", "euro": "€", "euros": "€", "usd": "$", "dollar": "$", "dollars": "$", "gbp": "£",
             "sterling": "£", "jpy": "¥", "yen": "¥", "inr": "₹", "rupee": "₹", "rupees": "₹"}
_NAME = "|".join(sorted(_CURRENCY, key=len, reverse=True))
_AMOUNT = r"(?<![\w.,\-\u2013\u2014])(\d+(?:[.,]\d+)*)"  # not a range's second number ("10-20 €")
_NAME_AFTER = re.compile(rf"{_AMOUNT}\s*({_NAME})\b")
_NAME_BEFORE = re.compile(rf"\b({_NAME})\s*{_AMOUNT}")
_SIGN_APART = re.compile(rf"([{_SIGNS}])\s+{_AMOUNT}")  # "€ 38"
_SIGN_AFTER = re.compile(rf"{_AMOUNT} ?([{_SIGNS}])(?!\s*\d)")  # "38 €", "38€"
_PERCENT = re.compile(r"(?<=\d)\s*(?:percent|per\s+cent|pct)\b")
_DIGIT = re.compile(r"\d")
_ANY_SIGN = re.compile(rf"[{_SIGNS}]")
_LETTERS = re.compile(r"[a-z]+")
_AMOUNT_WORDS = frozenset(_CURRENCY) | {"percent", "cent", "pct"}


def amounts(text: str) -> str:
    """``text`` (in lower case) with each amount of money written sign first, as one word, and "percent" as "%".

    Example:
        >>> amounts("€38, € 38, 38 euros, eur 38, 38€, us$5, 6 per cent, the euro zone")
        '€38, €38, €38, €38, €38, us$5, 6%, the euro zone'
    """
    # Quick looks first (most text holds no amount): a digit, and a currency sign or a word for one or for percent.
    if not _DIGIT.search(text) or not (_ANY_SIGN.search(text) or not _AMOUNT_WORDS.isdisjoint(_LETTERS.findall(text))):
        return text
    text = _NAME_AFTER.sub(lambda m: f"{_CURRENCY[m[2]]}{m[1]}", text)
    text = _NAME_BEFORE.sub(lambda m: f"{_CURRENCY[m[1]]}{m[2]}", text)
    text = _SIGN_APART.sub(r"\1\2", text)
    text = _SIGN_AFTER.sub(r"\2\1", text)
    return _PERCENT.sub("%", text)

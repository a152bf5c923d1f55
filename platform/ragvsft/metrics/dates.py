"""English dates in one order: "June 30th", "30th of June" and "30 June" are one date, as are "March 1, 2026",
"1st March 2026" and "2026-03-01".

Documents, gold answers and models write a date each their own way. Read word by word, "30th" was another word
than "30" (faithfulness found the answer's "30th June" nowhere in evidence saying "30 June"), the order of day
and month decided exact match, and an ISO date was one word sharing nothing with the date written out. Only
forms that cannot be misread: a month's name beside a day number, and year-month-day with four-digit years
(01/03/2026 is the 1st of March in Europe and the 3rd of January in the US, so it stays as written).
"""

from __future__ import annotations

import re

_NAMES = "january february march april may june july august september october november december".split()
_MONTH = {name: name for name in _NAMES} | {name[:3]: name for name in _NAMES} | {"sept": "september"}
_MONTH_WORD = "|".join(sorted(_MONTH, key=len, reverse=True))
_DAY = r"(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_DAY_FIRST = re.compile(rf"\b{_DAY}\s+(?:of\s+)?({_MONTH_WORD})\b\.?")
_MONTH_FIRST = re.compile(rf"\b({_MONTH_WORD})\.?\s+{_DAY}\b(?![:.]\d)(?:,?\s+(\d{{4}})\b)?")
_ISO = re.compile(r"(?<![\w-])(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\w-])")
_DIGIT = re.compile(r"\d")
_APART = str.maketrans(".,;:()", "      ")  # what may stand beside a month's name


def day_month_year(text: str) -> str:
    """``text`` (in lower case) with its dates written day, month's full name, year.

    Example:
        >>> day_month_year("june 30th, the 1st of march, mar. 1, 2026, 2026-03-01, 2nd floor, may 2026")
        '30 june, the 1 march, 1 march 2026, 1 march 2026, 2nd floor, may 2026'
    """
    if not _DIGIT.search(text):  # most text holds no date: quick looks first
        return text
    if "-" in text:
        text = _ISO.sub(lambda m: f"{int(m[3])} {_NAMES[int(m[2]) - 1]} {m[1]}", text)
    if _MONTH.keys().isdisjoint(text.translate(_APART).split()):
        return text
    text = _MONTH_FIRST.sub(lambda m: f"{int(m[2])} {_MONTH[m[1]]}" + (f" {m[3]}" if m[3] else ""), text)
    return _DAY_FIRST.sub(lambda m: f"{int(m[1])} {_MONTH[m[2]]}", text)

"""English numbers written in words, as the digits they stand for: "twenty-seven days" is "27 days".

Contracts and policies spell numbers out ("within thirty (30) days", "fourteen days' notice") where a model or a
gold answer writes digits, and the other way round: read as words, a correct answer shared nothing with the gold
one, and faithfulness, which checks numbers strictly, found the model's "14" nowhere in evidence saying
"fourteen". Cardinals only (ordinals such as "second" are also other words). A lone "one" stays a word: it is a
pronoun as often as a number ("no one", "the one on the left"); within a number ("twenty-one", "one hundred") and
before a unit of time ("one hour", "one working day") it counts.
"""

from __future__ import annotations

import re

_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TEN_TIMES = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_SMALL = {w: n for n, w in enumerate(_ONES)}
_TENS = {w: 10 * n for n, w in enumerate(_TEN_TIMES, 2)}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9}
_WORD = "|".join(sorted([*_SMALL, *_TENS, "hundred", *_SCALES], key=len, reverse=True))
# A run of number words joined by spaces or hyphens, and by "and" after a hundred or a scale ("one hundred and
# five"; "two and three" are two numbers); not after digits ("1.5 million", "20 thousand" stay as written).
_AND = "(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))\\s+and\\s+"
_RUN = re.compile(rf"\b(?:{_WORD})(?:(?:[\s-]+|{_AND})(?:{_WORD}))*\b")  # lower case: IGNORECASE scans 3.5x slower
_PARTS = re.compile(rf"{_WORD}|and")
_AFTER_DIGITS = re.compile(r"\d $")  # (searched up to a run's start: a look-behind in _RUN slows its scan)
# A lone "one" is a number before a unit of time ("within one hour", "one working day"), where no pronoun stands.
_TIME_UNIT = re.compile(r"\s+(?:(?:working|business|calendar|full|whole|extra|additional)\s+)?"
                        r"(?:second|minute|hour|day|night|week|fortnight|month|quarter|year|shift)\b")


def _numbers(words: list[str]) -> list[int]:
    """The numbers a run of number words writes: one where they compose ("twenty seven", "two thousand and five"),
    several where they cannot ("two three")."""
    numbers: list[int] = []
    total = current = 0
    last = ""  # the kind of the previous word: "small", "tens", "hundred", "scale", "and"; "" at a number's start
    scale = 10**12  # the largest scale the number may still take (scales come largest first)

    def close() -> None:
        nonlocal total, current, last, scale
        if last:
            numbers.append(total + current)
        total = current = 0
        last, scale = "", 10**12

    for word in words:
        if word == "and":  # only after a hundred or a scale (see _RUN)
            last = "and"
            continue
        if word in _SMALL:
            fits = last in ("", "hundred", "scale", "and") or (last == "tens" and 0 < _SMALL[word] < 10)
            if not fits or (word == "zero" and last):
                close()
            current += _SMALL[word]
            last = "small"
        elif word in _TENS:
            if last not in ("", "hundred", "scale", "and"):
                close()
            current += _TENS[word]
            last = "tens"
        elif word == "hundred":
            if last not in ("", "small", "tens") or current % 100 != current:  # "two hundred hundred"
                close()
            current = (current or 1) * 100
            last = "hundred"
        else:
            value = _SCALES[word]
            if value >= scale or last in ("", "and") and total:
                close()
            total += (current or 1) * value
            current, last, scale = 0, "scale", value
    close()
    return numbers


def digits_for_number_words(text: str) -> str:
    """``text`` (in lower case) with each English number written in words replaced by its digits.

    Example:
        >>> digits_for_number_words("within thirty (30) days; twenty-seven or two hundred and five, not one; one week")
        'within 30 (30) days; 27 or 205, not one; 1 week'
        >>> digits_for_number_words("one hundred twenty-one thousand, two three, seventy two, 1.5 million")
        '121000, 2 3, 72, 1.5 million'
    """
    def replace(match: re.Match[str]) -> str:
        words = _PARTS.findall(match[0])
        if (words == ["one"] and not _TIME_UNIT.match(text, match.end())) or _AFTER_DIGITS.search(text, 0, match.start()):
            return match[0]
        return " ".join(map(str, _numbers(words)))

    return _RUN.sub(replace, text)


def number_in_words(n: int) -> str:
    """An integer from 0 to 999,999 as English writes it (the inverse, for tests and benchmarks).

    Example:
        >>> [number_in_words(n) for n in (14, 27, 105, 1450)]
        ['fourteen', 'twenty-seven', 'one hundred and five', 'one thousand four hundred and fifty']
    """
    if n >= 1000:
        thousands, rest = divmod(n, 1000)
        return f"{number_in_words(thousands)} thousand" + (
            "" if not rest else (" and " if rest < 100 else " ") + number_in_words(rest))
    if n >= 100:
        return f"{_ONES[n // 100]} hundred" + (f" and {number_in_words(n % 100)}" if n % 100 else "")
    return _ONES[n] if n < 20 else _TEN_TIMES[n // 10 - 2] + (f"-{_ONES[n % 10]}" if n % 10 else "")

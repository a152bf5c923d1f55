"""What the text code needs to know about writing systems: where a script has no spaces between words, and how
each script ends a sentence. The metrics, the chunker and BM25 read words and sentences by these same rules.
"""

from __future__ import annotations

import re
import unicodedata

# Chinese and Japanese write no spaces between words: each ideograph or kana is a token of its own (as in the
# character-level F1 of Chinese reading-comprehension sets), or a whole sentence would be one token. So do Thai,
# Lao, Khmer and Burmese; there a token is a letter with the vowel and tone marks written on it (ที่ is one).
# Korean spaces its words but writes particles and endings onto them ("27일입니다", "it is 27 days"): each Hangul
# syllable is a token too, as KorQuAD's F1 counts them, or that correct answer would share no word with "27일".
_SOUTHEAST_ASIAN = [chr(c) for lo, hi in ((0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0xA9E0, 0xA9FF),
                                          (0xAA60, 0xAA7F)) for c in range(lo, hi + 1)]
_LETTERS = "".join(ch for ch in _SOUTHEAST_ASIAN if unicodedata.category(ch).startswith("L"))
_MARKS = "".join(ch for ch in _SOUTHEAST_ASIAN if unicodedata.category(ch).startswith("M"))
UNSPACED_TOKEN = ("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f\uac00-\ud7a3\u3131-\u318e]"
                  f"|[{_LETTERS}][{_MARKS}]*")
"""A regular expression (no group) matching one token of a script written without spaces."""
_UNSPACED = re.compile(f"({UNSPACED_TOKEN})")

# The stops that end a sentence when a space follows: . ! ?, the Arabic question mark, the Urdu full stop, the
# Devanagari and Bengali danda, the Armenian, Ethiopic and Tibetan full stops.
SPACED_STOPS = ".!?\u061f\u06d4\u0964\u0965\u0589\u1362\u1367\u0f0d"
# The stops written with no space after them: the ideographic full stop, the full-width ! and ?, the half-width
# ideographic stop, the Burmese and Khmer full stops.
UNSPACED_STOPS = "。！？｡\u104b\u17d4\u17d5"


def spaced(text: str) -> str:
    """``text`` with a space either side of each Chinese or Japanese character or Korean syllable (each Thai, Lao,
    Khmer or Burmese letter with its marks), so splitting on spaces finds words in every script.

    Example:
        >>> spaced("有27天").split()
        ['有', '27', '天']
    """
    return text if text.isascii() else _UNSPACED.sub(r" \1 ", text)

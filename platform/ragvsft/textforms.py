"""The one form every text read from a user's files takes: ``\\n`` line ends and composed Unicode (NFC).

Documents and qa.jsonl go through :func:`normalize`, so an "é" typed as e + combining accent (macOS file names,
some editors) matches the precomposed one, and an answer copied from a Windows file matches the document.
"""

from __future__ import annotations

import re
import unicodedata

# CRLF, CR, vertical tab, form feed (a page break in text dumps of PDFs), NEL. U+2028/U+2029 are kept: they are
# not control characters, and a tokenizer reads them as the breaks they are.
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85]")


def normalize(text: str) -> str:
    r"""``text`` with every line break as ``\n``, in composed form (NFC).

    Example:
        >>> normalize("Cafe\u0301\r\nmenu\x0cpage 2") == "Caf\u00e9\nmenu\npage 2"
        True
    """
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", text))


def non_text(text: str) -> list[str]:
    r"""The characters of ``text`` that are not text: control characters other than tab and newline, and lone
    surrogates (which JSON's ``"\ud800"`` escapes and undecodable file names produce).

    Example:
        >>> non_text("ok\tfine\n\x1b[1mbold\ud800")
        ['\x1b', '\ud800']
    """
    return [c for c in text if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n"]

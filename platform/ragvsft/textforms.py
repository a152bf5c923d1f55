"""The one form every text read from a user's files takes: ``\\n`` line ends and composed Unicode (NFC).

Documents and qa.jsonl go through :func:`normalize`, so an "é" typed as e + combining accent (macOS file names,
some editors) matches the precomposed one, and an answer copied from a Windows file matches the document.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

# CRLF, CR, vertical tab, form feed (a page break in text dumps of PDFs), NEL. U+2028/U+2029 are kept: they are
# not control characters, and a tokenizer reads them as the breaks they are.
_LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85]")


def decode(raw: bytes) -> str:
    r"""The text of a file a user wrote: UTF-8, a byte-order mark dropped (some Windows editors add one), or UTF-16
    where its byte-order mark says so (Windows PowerShell's ``>`` and ``Out-File``, Notepad's "Unicode"). Anything
    else raises ``UnicodeDecodeError``; :func:`decode_problem` words it for the user.

    Example:
        >>> decode("Café".encode("utf-16")), decode(codecs.BOM_UTF8 + b"ok")
        ('Café', 'ok')
    """
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    return raw.decode("utf-8-sig")


def code_page(number: int) -> str:
    """The Python codec of a Windows code page number (what RTF headers and Outlook messages name: 1252, 1251,
    65001), Windows-1252 for 0 or a number Python has no codec for.

    Example:
        >>> code_page(1251), code_page(65001), code_page(0), code_page(4242)
        ('cp1251', 'utf-8', 'cp1252', 'cp1252')
    """
    try:
        return codecs.lookup(f"cp{number}").name if number else "cp1252"
    except LookupError:
        return "cp1252"


def decode_problem(exc: UnicodeDecodeError) -> str:
    """What :func:`decode` refused, and what to do.

    Example:
        >>> try:
        ...     decode(b"caf\\xe9")
        ... except UnicodeDecodeError as exc:
        ...     decode_problem(exc)
        'not valid UTF-8 (byte 3); re-save it as UTF-8'
    """
    encoding = "UTF-16" if "16" in exc.encoding else "UTF-8"
    return f"not valid {encoding} (byte {exc.start}); re-save it as UTF-8"


# Invisible characters that only hint at layout: a soft hyphen (``&shy;``, German and Dutch web pages, PDFs of
# justified text), a zero-width space (pasted from web editors and chat), a word joiner, a byte-order mark in the
# middle of a text (files joined together). Inside a word they split it for every exact comparison: the scorers'
# "donau\u00adschiff" is not "donauschiff". Zero-width (non-)joiners are kept: Persian and Indic spelling needs them.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))


def normalize(text: str) -> str:
    r"""``text`` with every line break as ``\n``, in composed form (NFC), without invisible layout hints (a soft
    hyphen, a zero-width space).

    Example:
        >>> normalize("Cafe\u0301\r\nmenu\x0cpage 2") == "Caf\u00e9\nmenu\npage 2"
        True
        >>> normalize("Donau\u00addampf\u00adschiff\u200b X-200")
        'Donaudampfschiff X-200'
    """
    return unicodedata.normalize("NFC", _LINE_BREAKS.sub("\n", text)).translate(_INVISIBLE)


def non_text(text: str) -> list[str]:
    r"""The characters of ``text`` that are not text: control characters other than tab and newline, and lone
    surrogates (which JSON's ``"\ud800"`` escapes and undecodable file names produce).

    Example:
        >>> non_text("ok\tfine\n\x1b[1mbold\ud800")
        ['\x1b', '\ud800']
    """
    return _NON_TEXT.findall(text)


def without_non_text(text: str) -> str:
    r"""``text`` without the characters :func:`non_text` lists.

    Example:
        >>> without_non_text("\x1b[1mbold\x1b[0m")
        '[1mbold[0m'
    """
    return _NON_TEXT.sub("", text)


def escaped(text: str) -> str:
    r"""``text`` with its control characters (tab and newline too) and lone surrogates written as Python escapes, so
    a file name prints on one line as what it is, and a hostile one cannot forge the lines after it.

    Example:
        >>> print(escaped("notes\nwarning: all good\udcff.md"), escaped("café.md"))
        notes\nwarning: all good\udcff.md café.md
    """
    return _CONTROL.sub(lambda found: found.group().encode("unicode_escape").decode("ascii"), text)


# Unicode's control characters (category Cc: C0, DEL, C1) but tab and newline, and the surrogates (Cs). A regular
# expression rather than a category lookup per character: a 36 MB text is checked in 0.1 s instead of 8 s.
_NON_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # the same, tab and newline too: what escaped() writes out


# A line holding only spaces or tabs counts as blank: markup removed from a line (a tag, a directive) leaves one.
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


def paragraphs(text: str) -> str:
    r"""``text`` with each run of blank lines (what markup leaves where it stood) as one paragraph break, and
    without blank space at either end: the form every reader of a marked-up format hands on.

    Example:
        >>> paragraphs("\n  Title\n\n \n\t\nBody\n\n")
        'Title\n\nBody'
    """
    return _BLANK_LINES.sub("\n\n", text).strip()

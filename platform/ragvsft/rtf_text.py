"""A Rich Text Format file (``.rtf``: WordPad, TextEdit, contracts and letters exported by legal and records
systems) as its text, read by ``striprtf``: paragraphs and line breaks kept, fonts, colours, styles and document
properties not read, a table row as ``cell | cell`` (as the other readers write rows).

RTF is 7-bit text whose other characters are escapes: ``\\'e9`` a byte in the code page the header names
(``\\ansicpg1252``; Windows-1252 where it names none) and ``\\u8220?`` a Unicode character.
"""

from __future__ import annotations

import re

from ragvsft.errors import UnreadableFile
from ragvsft.textforms import code_page

_CODE_PAGE = re.compile(rb"\\ansicpg(\d{1,5})")


def read_rtf(raw: bytes) -> str:
    r"""An RTF file's text.

    Example:
        >>> print(read_rtf(rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\b Leave\b0\par Caf\'e9 staff get "
        ...                rb"\u8220?27\u8221? days.\par\trowd\cellx2000\cellx4000 Role\cell Days\cell\row}"))
        Leave
        Café staff get “27” days.
        Role | Days
    """
    from striprtf.striprtf import rtf_to_text

    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:5]
    if head != b"{\\rtf":
        raise UnreadableFile("not an RTF file (it does not start with {\\rtf); save it as RTF or .docx again")
    page = _CODE_PAGE.search(raw[:4096])
    encoding = code_page(int(page[1]) if page else 0)
    # RTF is ASCII with escapes; an 8-bit byte written as is (not valid RTF, but some writers do) is read as its code
    # page says, as the escapes are.
    text = rtf_to_text(raw.decode(encoding, "replace"), encoding=encoding, errors="replace")
    return "\n".join(_cells(line) for line in text.split("\n")).strip("\n")


def _cells(line: str) -> str:
    """A table row as the other readers write one: striprtf ends each cell with "|" (``Role|Days|``)."""
    row = line.rstrip()
    if not row.endswith("|") or not row.strip("| \t"):
        return line
    return " | ".join(cell.strip() for cell in row[:-1].split("|"))

"""Reading a PDF file (pypdf): each page's text, then what the page shows outside its text, within a budget.

A filled-in form (an insurance certificate, an application, a contract's schedule) keeps what was typed into it
as form fields, and notes typed onto a page are annotations: both are drawn on the page, neither is in its text.
pdf.js's test file for issue 18036, a certificate of insurance, holds its whole body in one read-only field: read
as text alone it was the 5 words "SAV CERT - 4/12/2024".

A page may draw the same compressed content again and again: a 32 KB file whose 200 pages share one 75 KB
stream came to 14 MB of text in 18 s (2 s per 10 KB of file, to no end). Text is counted as it is drawn and a
file that draws far more than its size can hold is refused.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from ragvsft.errors import UnreadableFile
from ragvsft.pdf_text import document_text

# Real PDFs draw well under a character per byte (fonts and pictures fill a file: 0.34 at most across the 606
# files of pdf.js's tests that hold text); a text-only one a few, as deflate packs text about 3:1.
TEXT_PER_BYTE = 100
MIN_TEXT_BUDGET = 1 << 20
_HIDDEN = 2 | 32  # annotation flags Hidden and NoView (PDF 32000-1:2008, table 165)
_PASSWORD = 1 << 13  # a text field's Password flag (table 228): what it holds is not shown
_MAX_FIELD_DEPTH = 32  # a field inherits its value and type from its parents; a damaged file may loop
# What pypdf writes for a glyph its font maps to no character: runs of glyph names ("/g18/g152/g135", "/C71/C97";
# names of letters, "/a", "/space", say which they are and come out as those), U+FFFD, a private-use code point.
_UNMAPPED = re.compile(r"(?:/[A-Za-z]{1,3}[0-9A-Fa-f]{1,6}){3,}|[\ufffd\ue000-\uf8ff]")
UNMAPPED_SHARE = 0.5  # of the non-space characters; a symbol font's bullets make a few per cent


class _TooMuchText(Exception):
    pass


def read_pdf(raw: bytes) -> str:
    r"""A PDF's text: its pages' text as one document (:func:`ragvsft.pdf_text.document_text`), each page followed
    by what is filled into it (:func:`filled_in`). A password-protected or a scanned PDF (no text at all) and one
    drawing more than :data:`TEXT_PER_BYTE` characters per byte of file are :class:`UnreadableFile`."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    budget, drawn = max(MIN_TEXT_BUDGET, TEXT_PER_BYTE * len(raw)), 0

    def count(text: str) -> None:
        nonlocal drawn
        drawn += len(text)
        if drawn > budget:
            raise _TooMuchText

    reader = PdfReader(io.BytesIO(raw))  # a PDF locked for editing only (empty user password) opens as is
    try:
        pages = [page.extract_text(visitor_text=lambda text, *_: count(text)) or "" for page in reader.pages]
        seen: set[int] = set()
        filled = [_filled_in_or_none(page, pages[number], seen, count) for number, page in enumerate(reader.pages)]
    except FileNotDecryptedError:
        raise UnreadableFile("password-protected; save a copy without the password to include it") from None
    except _TooMuchText:
        raise UnreadableFile(f"its pages draw over {budget:,} characters from {len(raw):,} bytes, the same compressed "
                             "content again and again; print it to a new PDF to include it") from None
    text = document_text(pages, filled)
    if not text and reader.pages:
        raise UnreadableFile(f"no text in its {len(reader.pages)} page(s): a scanned document holds pictures of text; "
                             "run OCR on it first (e.g. ocrmypdf)")
    if problem := unmapped_text(text):
        raise UnreadableFile(problem)
    return text


def unmapped_text(text: str) -> str | None:
    r"""Why ``text`` is not what its pages show, or None: more than :data:`UNMAPPED_SHARE` of its characters come
    from fonts that do not say which letter each glyph is. pypdf writes such a glyph's name ("/g18/g152/g135", as
    fonts subset from TrueType name them), or U+FFFD or a private-use code point. Indexed, a document reads as
    nothing any question matches, and its questions fail without a word as to why.

    Example:
        >>> print(unmapped_text("Overview\n/g18/g152/g135/g148/g152/g139/g135/g153/g3/g145/g136")[:66])
        87% of its text is glyph names or unknown characters ('/g18/g152/g
        >>> unmapped_text("Bullets \uf0b7 drawn by a symbol font are text enough") is None
        True
    """
    found = _UNMAPPED.findall(text)
    share = sum(map(len, found)) / max(1, sum(map(len, text.split())))  # of the characters that are not spaces
    if share <= UNMAPPED_SHARE:
        return None
    sample = max(found, key=len)  # a run of glyph names says more than one U+FFFD
    sample = sample[:24] + "…" if len(sample) > 24 else sample
    return (f"{share:.0%} of its text is glyph names or unknown characters ({sample!r}): its fonts do not say which "
            "letters they draw; print it to a new PDF, or run OCR on it (ocrmypdf --force-ocr), to include it")


def _filled_in_or_none(page: Any, page_text: str, seen: set[int], count: Callable[[str], None]) -> list[str]:
    """:func:`filled_in`, or nothing where the page's annotations are damaged: they cost only what they show."""
    try:
        return filled_in(page, page_text, seen, count)
    except _TooMuchText:
        raise
    except Exception:  # pypdf raises many types for damage, as for a damaged page (the loader's "could not be read")
        return []


def filled_in(page: Any, page_text: str, seen: set[int], count: Callable[[str], None]) -> list[str]:
    """The lines ``page`` shows outside its text, in the order of its annotations: the value of each form field
    filled in (text boxes, lists; not check boxes, nor password fields) and the text of notes typed onto it
    (free-text annotations; a sticky note's pop-up text is a comment, not read, as a .docx's comments are not).
    Hidden annotations are left out, and so is a value equal to a line of ``page_text`` (a form flattened into
    its page that kept its fields). A field shown on several pages is read once: ``seen`` holds the ids of the
    fields read so far. ``count`` is called with each value."""
    from pypdf.generic import NameObject

    lines: list[str] = []
    shown = {" ".join(line.split()) for line in page_text.split("\n")}
    for annotation in _objects(page.get("/Annots")):
        if not hasattr(annotation, "get") or int(_number(annotation.get("/F"))) & _HIDDEN:
            continue
        if annotation.get("/Subtype") == "/FreeText":
            holder, values = annotation, [annotation.get("/Contents")]
        elif annotation.get("/Subtype") == "/Widget":
            holder, values = _field_value(annotation)
        else:
            continue
        if id(holder) in seen:
            continue
        seen.add(id(holder))
        for value in values:  # a field's lines may end in "\r", as forms write them: the loader normalises them
            if isinstance(value, str) and not isinstance(value, NameObject) and value.strip():
                if " ".join(value.split()) not in shown:
                    count(value)
                    lines.append(value.strip())
    return lines


def _field_value(widget: Any) -> tuple[Any, list[Any]]:
    """(the dictionary holding the value, the values shown) of the form field a widget shows: a text or a list
    field's value (a multiple-choice list's is a list), inherited from its parent fields where the widget holds
    none; nothing for buttons and password fields."""
    field, kind, flags, value, holder = widget, None, None, None, widget
    for _ in range(_MAX_FIELD_DEPTH):
        kind = kind if kind is not None else field.get("/FT")
        flags = flags if flags is not None else field.get("/Ff")
        if value is None and field.get("/V") is not None:
            value, holder = field.get("/V"), field
        parent = field.get("/Parent")
        if parent is None or (kind is not None and flags is not None and value is not None):
            break
        field = parent.get_object()
        if not hasattr(field, "get"):
            break
    if kind not in ("/Tx", "/Ch") or (kind == "/Tx" and int(_number(flags)) & _PASSWORD):
        return holder, []
    return holder, _objects(value) if isinstance(value, list) else [value]


def _objects(value: Any) -> list[Any]:
    """The objects of a PDF array (indirect ones resolved); nothing for anything else."""
    value = value.get_object() if hasattr(value, "get_object") else value
    return [item.get_object() if hasattr(item, "get_object") else item for item in value] if isinstance(value, list) else []


def _number(value: Any) -> float:
    """A PDF number, 0 for anything else (a damaged flags entry)."""
    value = value.get_object() if hasattr(value, "get_object") else value
    return value if isinstance(value, int | float) else 0

"""A PowerPoint deck (``.pptx``, ``.pptm``; 2007 and later, and what Google Slides and Keynote export) as a
document: each shown slide in the deck's order, its title first, then its text boxes, placeholders and tables
(``cell | cell`` rows) in the order the slide lists them, then its speaker notes as "Notes: …" (where a deck
often says what its bullets only hint at). Slide numbers, dates and footers (the same on every slide) and hidden
slides are not read; macros never run.
"""

from __future__ import annotations

from xml.etree import ElementTree

from ragvsft.office_zip import OLE_MAGIC, main_part, opened, parsed, part, read_renamed, related
from ragvsft.tables import row_line
from ragvsft.textforms import paragraphs

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
FURNITURE = {"sldNum", "dt", "ftr", "hdr", "sldImg"}  # placeholders that repeat on every slide (or picture it)
TITLES = {"title", "ctrTitle"}


def read_pptx(raw: bytes) -> str:
    """The text of a deck's shown slides (see the module's description)."""
    if raw.startswith(OLE_MAGIC):  # a 97-2003 .ppt renamed .pptx (or a password-protected .pptx)
        from ragvsft.ppt_text import read_ppt

        return read_renamed(raw, ".pptx", ("PowerPoint Document", "PP40"), read_ppt)
    with opened(raw, app="PowerPoint", suffix=".pptx", main="ppt/presentation.xml") as archive:
        slides = related(archive, "ppt/presentation.xml")
        texts = []
        for listed in main_part(archive, "ppt/presentation.xml", what="presentation").iter(f"{P}sldId"):
            _, path = slides.get(listed.get(f"{R}id", ""), ("", ""))
            slide = parsed(part(archive, path, optional=True)) if path else ElementTree.Element("none")
            if slide.get("show") in ("0", "false"):
                continue
            text = _slide_text(slide)
            notes = next((p for kind, p in related(archive, path).values() if kind == "notesSlide"), "") if path else ""
            if notes and (said := _slide_text(parsed(part(archive, notes, optional=True)), notes=True)):
                text += f"\nNotes: {said}"
            texts.append(text)
    return paragraphs("\n\n".join(texts))


def _slide_text(slide: ElementTree.Element, *, notes: bool = False) -> str:
    """A slide's title, then its other shapes' text in the order the slide lists them; on a notes page, its notes
    only (not the slide picture or number placeholders)."""
    titles, body = [], []
    for element in slide.iter():
        if element.tag == f"{A}tbl":
            lines = (row_line(_text(cell) for cell in row.iter(f"{A}tc")) for row in element.iter(f"{A}tr"))
            body.append("\n".join(line for line in lines if line))
        elif element.tag == f"{P}sp" and (shape := element.find(f"{P}txBody")) is not None:
            placeholder = element.find(f"{P}nvSpPr/{P}nvPr/{P}ph")
            kind = None if placeholder is None else placeholder.get("type", "body")
            if kind in FURNITURE or (notes and kind != "body"):
                continue
            (titles if kind in TITLES else body).append(_text(shape))
    return "\n".join(text for text in titles + body if text)


def _text(body: ElementTree.Element) -> str:
    """A text body's paragraphs, a line each (a line break inside one too)."""
    lines = []
    for paragraph in body.iter(f"{A}p"):
        lines.append("".join("\n" if run.tag == f"{A}br" else run.findtext(f"{A}t") or ""
                             for run in paragraph if run.tag in (f"{A}r", f"{A}fld", f"{A}br")).strip())
    return "\n".join(line for line in lines if line)

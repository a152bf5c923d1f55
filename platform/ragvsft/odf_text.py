"""OpenDocument files (LibreOffice, and what Google Docs and many public bodies save: ``.odt`` text, ``.odp``
slides, ``.ods`` sheets) as documents, read from their ``content.xml`` as the application shows them.

Text and slides: headings and paragraphs a line each (``<text:s c="3"/>`` as three spaces, tabs and line breaks
kept), lists, sections, text boxes and tables (``cell | cell`` rows) in place; footnotes, comments and tracked
deletions are not read. A slide's page number, footer and date fields are not read; its speaker notes are, as
"Notes: …". Sheets: each visible sheet as a CSV sheet is read (:func:`ragvsft.tables.records`), a cell as the text
it shows (its number format applied: ``35 %``, ``01/03/2026``), under the sheet's name where there are several.
"""

from __future__ import annotations

from xml.etree import ElementTree

from ragvsft.errors import UnreadableFile
from ragvsft.office_zip import main_part, opened, part, whole_number
from ragvsft.tables import records, row_line
from ragvsft.textforms import paragraphs

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
NOT_READ = {f"{TEXT}note", f"{OFFICE}annotation", f"{TEXT}tracked-changes", f"{TABLE}covered-table-cell",
            f"{DRAW}page-thumbnail", f"{TEXT}page-number", f"{TEXT}date", f"{TEXT}time"}
FURNITURE = {"page-number", "footer", "header", "date-time"}  # a slide frame's presentation:class, on every slide
REPEATS = 100  # a repeated row or cell with content is read at most this often (LibreOffice repeats equal neighbours)
MAX_CELLS = 10_000_000
MAX_COLUMNS = 16_384


def read_odt(raw: bytes) -> str:
    """A text document's text (see the module's description)."""
    return _read(raw, ".odt")


def read_odp(raw: bytes) -> str:
    """A presentation's text, slide by slide, with its speaker notes."""
    return _read(raw, ".odp")


def read_ods(raw: bytes) -> str:
    """A spreadsheet's visible sheets, a paragraph per row."""
    return _read(raw, ".ods")


def _read(raw: bytes, suffix: str) -> str:
    with opened(raw, app="LibreOffice", suffix=suffix, main="content.xml") as archive:
        if b"encryption-data" in part(archive, "META-INF/manifest.xml", optional=True):
            raise UnreadableFile(f"password-protected: save it in LibreOffice as a {suffix} without a password")
        content = main_part(archive, "content.xml", what="content")
    body = content.find(f"{OFFICE}body")
    if body is None:
        return ""
    try:
        if suffix == ".ods":
            return _sheets(body, _hidden_tables(content))
        return paragraphs("".join(_blocks(body)))
    except RecursionError:
        raise UnreadableFile("its content is nested too deep to read (a hostile or broken file)") from None


def _blocks(element: ElementTree.Element) -> list[str]:
    """Lines of text under ``element``, each ending in a line break; a slide (page) ends in a blank line."""
    out: list[str] = []
    for child in element:
        tag = child.tag
        if tag in NOT_READ or child.get(f"{PRESENTATION}class") in FURNITURE:
            continue
        if tag in (f"{TEXT}p", f"{TEXT}h"):
            anchored: list[ElementTree.Element] = []
            out.append(_inline(child, anchored).strip() + "\n")
            out += [line for frame in anchored for line in _blocks(frame)]  # text boxes anchored in it, after it
        elif tag == f"{TABLE}table":
            out += [line + "\n" for row in _rows(child) if (line := row_line(row))]
        elif tag == f"{PRESENTATION}notes":
            if said := " ".join("".join(_blocks(child)).split()):
                out.append(f"Notes: {said}\n")
        else:  # lists, sections, frames, text boxes, slides
            out += _blocks(child)
            if tag == f"{DRAW}page":
                out.append("\n")
    return out


def _inline(element: ElementTree.Element, anchored: list[ElementTree.Element] | None = None) -> str:
    """A paragraph's text: spans and links as their text, ``text:s`` as its count of spaces, tabs, line breaks;
    the frames (text boxes, pictures) anchored in it are put in ``anchored``."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if tag == f"{TEXT}s":
            count = child.get(f"{TEXT}c", "1")
            parts.append(" " * (int(count) if count.isdigit() and len(count) < 4 else 1))
        elif tag == f"{TEXT}tab":
            parts.append("\t")
        elif tag == f"{TEXT}line-break":
            parts.append("\n")
        elif tag == f"{DRAW}frame":
            if anchored is not None:
                anchored.append(child)
        elif tag not in NOT_READ:
            parts.append(_inline(child, anchored))
        parts.append(child.tail or "")
    return "".join(parts)


def _cell_text(cell: ElementTree.Element) -> str:
    return " ".join(" ".join(_inline(p).split()) for p in cell.iter(f"{TEXT}p"))


def _rows(table: ElementTree.Element) -> list[list[str]]:
    """A table's rows of cell texts (in a text or slide: no repeats to spread)."""
    return [[_cell_text(cell) for cell in row if cell.tag == f"{TABLE}table-cell"] for row in _row_elements(table)]


def _row_elements(table: ElementTree.Element) -> list[ElementTree.Element]:
    """A table's own rows, header and grouped rows included, not those of a table nested in a cell."""
    rows = []
    for child in table:
        if child.tag == f"{TABLE}table-row":
            rows.append(child)
        elif child.tag in (f"{TABLE}table-header-rows", f"{TABLE}table-rows", f"{TABLE}table-row-group"):
            rows += _row_elements(child)
    return rows


def _hidden_tables(content: ElementTree.Element) -> set[str]:
    """The table styles that hide a sheet (``table:display="false"``)."""
    return {style.get(f"{STYLE}name", "") for style in content.iter(f"{STYLE}style")
            if (props := style.find(f"{STYLE}table-properties")) is not None and props.get(f"{TABLE}display") == "false"}


def _sheets(body: ElementTree.Element, hidden: set[str]) -> str:
    sheets = [t for t in body.findall(f"{OFFICE}spreadsheet/{TABLE}table") if t.get(f"{TABLE}style-name") not in hidden]
    budget = [MAX_CELLS]
    texts = []
    for sheet in sheets:
        if text := records(_sheet_rows(sheet, budget)):
            texts.append(f"{sheet.get(f'{TABLE}name', '')}\n\n{text}" if len(sheets) > 1 else text)
    return "\n\n".join(texts)


def _sheet_rows(sheet: ElementTree.Element, budget: list[int]) -> list[dict[int, str]]:
    """A sheet's rows as filled cells by column, repeats spread (up to :data:`REPEATS` times) and counted against
    ``budget`` (cells left to read in the file)."""
    rows = []
    for row in _row_elements(sheet):
        cells: dict[int, str] = {}
        column = 0
        for cell in row:
            if cell.tag not in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
                continue
            repeat = whole_number(cell.get(f"{TABLE}number-columns-repeated"), 1, digits=7)
            if cell.tag == f"{TABLE}table-cell" and (text := _cell_text(cell)):
                for offset in range(min(repeat, REPEATS, max(MAX_COLUMNS - column, 0))):
                    cells[column + offset] = text
            column += repeat
        if cells:
            copies = min(whole_number(row.get(f"{TABLE}number-rows-repeated"), 1, digits=7), REPEATS)
            budget[0] -= len(cells) * copies
            if budget[0] < 0:
                raise UnreadableFile(f"its sheets hold over {MAX_CELLS:,} cells, more than this reader reads")
            rows += [cells] * copies
    return rows

"""An Excel workbook (``.xlsx``, ``.xlsm``; Excel 2007 and later, and what Google Sheets and LibreOffice export) as
a document: each visible sheet read as a CSV sheet is (:func:`ragvsft.tables.records`: a paragraph per row, a
``column: value`` line per filled cell, the row naming the columns after any title), under the sheet's name where the
workbook shows more than one. Hidden sheets (lookup lists, scratch work) are not read; macros are never run.

Cells read as Excel shows them where it matters for a question: text (shared or inline, without its phonetic
guides), numbers to 15 significant digits (what Excel keeps), percentages as ``35%``, dates and times in a date
format as ISO dates (``2026-03-01``, ``2026-03-01 14:30``) rather than day counts (46082), TRUE/FALSE, a
formula's last result, errors as written (``#N/A``). A worksheet is read as it streams past, a row at a time, so
a 50,000-row ticket export does not become a tree in memory.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import TypeVar
from xml.etree import ElementTree

from ragvsft.office_zip import OLE_MAGIC, main_part, opened, parsed, part, read_renamed, related, whole_number
from ragvsft.tables import records

M = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
# Excel's built-in number formats that show a date or time (ids 14-22 and 45-47; 27-36 and 50-58 in East Asian
# locales), and those that show a percentage.
DATE_FORMATS = {*range(14, 23), *range(27, 37), *range(45, 48), *range(50, 59)}
PERCENT_FORMATS = {9, 10}
# A custom format shows a date if a date or time code is left once quoted text, [colours] and \escapes are gone.
_FORMAT_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
_DATE_CODE = re.compile(r"[dmyhs]", re.IGNORECASE)
_COLUMN = re.compile(r"[A-Z]{1,3}")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
MAX_COLUMNS = 16_384  # Excel's own limit (column XFD)


def read_xlsx(raw: bytes) -> str:
    """The text of a workbook's visible sheets (see the module's description)."""
    if raw.startswith(OLE_MAGIC):  # a 97-2003 .xls renamed .xlsx (or a password-protected .xlsx)
        from ragvsft.xls_text import read_xls

        return read_renamed(raw, ".xlsx", ("Workbook", "Book"), read_xls)
    sheets = visible_sheets(raw, lambda rows: records(row for _, row in rows))
    return "\n\n".join(f"{name}\n\n{text}" if len(sheets) > 1 else text for name, text in sheets if text)


Read = TypeVar("Read")


def visible_sheets(raw: bytes, read: Callable[[Iterator[tuple[int, dict[int, str]]]], Read]) -> list[tuple[str, Read]]:
    """Each visible sheet of the workbook ``raw``, in the workbook's order: its name and what ``read`` makes of its
    filled rows, each the row's number as Excel shows it (1 is the first) and its filled cells by column (0 is A)."""
    with opened(raw, app="Excel", suffix=".xlsx", main="xl/workbook.xml") as archive:
        workbook = main_part(archive, "xl/workbook.xml", what="workbook")
        targets = related(archive, "xl/workbook.xml")
        # Where the workbook's relationships say (some writers name them otherwise), else where Excel puts them.
        shared, styles = (next((path for kind, path in targets.values() if kind == wanted), f"xl/{wanted}.xml")
                          for wanted in ("sharedStrings", "styles"))
        cells = _CellText(parsed(part(archive, shared, optional=True)), parsed(part(archive, styles, optional=True)),
                          date1904=_child(workbook, "workbookPr").get("date1904") in ("1", "true"))
        sheets = [(sheet.get("name", ""), targets.get(sheet.get(f"{R}id", ""), ("", ""))[1])
                  for sheet in workbook.iter(f"{M}sheet") if sheet.get("state", "visible") == "visible"]
        return [(name, read(_rows(part(archive, path, optional=True) if path else b"", cells))) for name, path in sheets]


def _rows(xml: bytes, cells: _CellText) -> Iterator[tuple[int, dict[int, str]]]:
    """A worksheet's filled rows: the row's number (its ``r``, else one past the row before) and its filled cells by
    column."""
    number = 0
    for element in _row_elements(xml):
        number = whole_number(element.get("r"), number + 1)
        row: dict[int, str] = {}
        for position, cell in enumerate(element.iter(f"{M}c")):
            column = _column(cell.get("r", ""), position)
            if column < MAX_COLUMNS and (text := cells.text(cell)):
                row[column] = text
        element.clear()  # what has been read is let go
        if row:
            yield number, row


def _row_elements(xml: bytes) -> Iterator[ElementTree.Element]:
    """A worksheet's ``<row>`` elements as the XML is parsed, a megabyte at a time; a sheet cut short or broken
    reads to where it breaks."""
    parser = ElementTree.XMLPullParser(["end"])
    try:
        for start in range(0, len(xml), 2**20):
            parser.feed(xml[start:start + 2**20])
            # (raises where the sheet breaks, after the rows before it)
            yield from (element for _, element in parser.read_events() if element.tag == f"{M}row")
        parser.close()
        yield from (element for _, element in parser.read_events() if element.tag == f"{M}row")
    except ElementTree.ParseError:
        return


def _column(reference: str, position: int) -> int:
    """The 0-based column of a cell reference ("C7" is 2); a cell without one is at its position in the row."""
    letters = _COLUMN.match(reference)
    if not letters:
        return position
    column = 0
    for letter in letters[0]:
        column = column * 26 + ord(letter) - ord("A") + 1
    return column - 1


def number_kind(format_id: int, code: str | None) -> str | None:
    """What a number format shows a number as: ``"date"`` (a date or a time), ``"percent"``, or None (the
    number), by its built-in id or its custom code (``yyyy-mm-dd``, ``0.0%``; None where it has none).

    Example:
        >>> number_kind(14, None), number_kind(164, '[$-409]d mmm yy'), number_kind(165, '0.0"%"'), number_kind(0, None)
        ('date', 'date', None, None)
    """
    shown = _FORMAT_NOISE.sub("", code) if code is not None else None
    if format_id in DATE_FORMATS or (shown is not None and _DATE_CODE.search(shown)):
        return "date"
    if format_id in PERCENT_FORMATS or (shown is not None and shown.rstrip().endswith("%")):
        return "percent"
    return None


def number_text(number: float, kind: str | None, *, date1904: bool) -> str | None:
    """A number as Excel shows it in a format of ``kind`` (:func:`number_kind`): to 15 significant digits, a
    percentage as ``35%``, a date serial as an ISO date (None for a serial no date has).

    Example:
        >>> number_text(46082.6041667, "date", date1904=False), number_text(0.35, "percent", date1904=False)
        ('2026-03-01 14:30', '35%')
    """
    if kind == "date":
        return _date(number, dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30))
    if kind == "percent":
        return f"{number * 100:.15g}%"
    return f"{number:.15g}"


class _CellText:
    """A cell's text as Excel shows it, given the workbook's shared strings and number formats."""

    def __init__(self, shared: ElementTree.Element, styles: ElementTree.Element, *, date1904: bool) -> None:
        self.shared = [_string(item) for item in shared.iter(f"{M}si")]
        custom = {whole_number(f.get("numFmtId"), -1): f.get("formatCode", "") for f in styles.iter(f"{M}numFmt")}
        self.kinds = [number_kind(f, custom.get(f)) for f in
                      (whole_number(xf.get("numFmtId"), -1) for xf in _child(styles, "cellXfs"))]
        self.date1904 = date1904

    def text(self, cell: ElementTree.Element) -> str:
        kind, value = cell.get("t", "n"), cell.findtext(f"{M}v") or ""
        if kind == "s":
            index = whole_number(value, -1)
            return self.shared[index] if 0 <= index < len(self.shared) else ""
        if kind == "inlineStr":
            return _string(_child(cell, "is"))
        if kind == "b":
            return "TRUE" if value.strip() == "1" else "FALSE"
        if kind == "str":  # a formula's text
            return unescaped(value)
        if kind != "n" or not value:
            return value  # "e" (#N/A), "d" (an ISO date already)
        try:
            number = float(value)
        except ValueError:
            return value
        style = whole_number(cell.get("s"), -1)
        kind = self.kinds[style] if 0 <= style < len(self.kinds) else None
        return number_text(number, kind, date1904=self.date1904) or value


def _date(serial: float, epoch: dt.datetime) -> str | None:
    """A date serial as ISO text: the date, with the time where there is one; a time alone below one day."""
    try:
        moment = epoch + dt.timedelta(days=serial)
    except OverflowError:
        return None
    if not 0 <= serial < 2_958_466:  # Excel's dates end at 9999-12-31
        return None
    moment = (moment + dt.timedelta(microseconds=500_000)).replace(microsecond=0)  # Excel rounds to the second
    clock = moment.strftime("%H:%M" if moment.second == 0 else "%H:%M:%S")
    if serial < 1:
        return clock
    return moment.date().isoformat() if clock == "00:00" else f"{moment.date().isoformat()} {clock}"


def _string(item: ElementTree.Element) -> str:
    """A rich or plain string's text, without phonetic guides (``rPh``: furigana over Japanese text)."""
    return unescaped("".join(t.text or "" for child in item if child.tag != f"{M}rPh"
                             for t in ([child] if child.tag == f"{M}t" else child.iter(f"{M}t"))))


def unescaped(text: str) -> str:
    r"""A sheet's string as typed: a character XML does not hold is written ``_xHHHH_`` (the carriage return of a
    line break pasted from Windows, kept by Excel as ``_x000D_``), and ``_x005F_`` escapes an ``_x`` meant literally
    (ECMA-376's ST_Xstring). Unread, a cell of two lines showed "Rich Text_x000D_" in every answer that quoted it.

    Example:
        >>> unescaped("Rich Text_x000D_\nTest"), unescaped("Column _x005F_x0041_ stays")
        ('Rich Text\r\nTest', 'Column _x0041_ stays')
    """
    return _ESCAPE.sub(lambda found: chr(int(found[1], 16)), text) if "_x" in text else text


def _child(element: ElementTree.Element, name: str) -> ElementTree.Element:
    """The child ``name`` (SpreadsheetML's namespace), or an empty element where there is none."""
    found = element.find(f"{M}{name}")
    return ElementTree.Element("none") if found is None else found



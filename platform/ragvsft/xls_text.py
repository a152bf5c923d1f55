"""An Excel 97-2003 workbook (``.xls``; also Excel 5.0/95 and older, and what many systems' "export to Excel"
writes) read with ``xlrd`` as an ``.xlsx`` is (:mod:`ragvsft.xlsx_text`): each visible sheet a paragraph per row
and a ``column: value`` line per filled cell (:func:`ragvsft.tables.records`), under the sheet's name where the
workbook shows more than one; cells as Excel shows them (15 significant digits, percentages, dates as ISO dates,
TRUE/FALSE, a formula's last result, ``#N/A``). Hidden sheets are not read; macros are never run.

An "Excel" export is often a web page, tab-separated text or an .xlsx under an .xls name, which Excel opens as what
it is: so is it read here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from ragvsft.errors import UnreadableFile, exception_line
from ragvsft.office_zip import OLE_DAMAGE, OLE_MAGIC, content_kind, read_ole, wrong_ole_file
from ragvsft.tables import read_table, records
from ragvsft.xlsx_text import number_kind, number_text

# The first bytes of a worksheet in an Excel 2.x-4.0 file, a BIFF stream without an OLE container: a BOF record.
OLD_BIFF = (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")
MAX_CELLS = 10_000_000  # as for OpenDocument sheets: a bound on what one file makes
WHAT, FIX = "Excel .xls", "; open it in Excel and save it as .xlsx"  # how a damaged file is named


def read_xls(raw: bytes) -> str:
    r"""The text of a workbook's visible sheets (see the module's description).

    Example:
        >>> read_xls(b"<table><tr><th>Role</th><th>Days</th></tr><tr><td>Engineer</td><td>27</td></tr></table>")
        'Role | Days\nEngineer | 27'
    """
    if not raw.startswith(OLE_MAGIC) and not raw.startswith(OLD_BIFF):
        return _other_format(raw)
    import xlrd
    from xlrd.compdoc import CompDocError
    from xlrd.formula import FormulaError

    book = None
    try:
        # The workbook stream is taken out of its OLE container by olefile, whose reading is bounded by the file's
        # size: xlrd's own follows a damaged file's looping chain of sectors until memory runs out.
        stream = read_ole(raw, _workbook_stream, what=WHAT, fix=FIX) if raw.startswith(OLE_MAGIC) else raw
        book = xlrd.open_workbook(file_contents=stream, formatting_info=True, on_demand=True, ragged_rows=True,
                                  logfile=io.StringIO())  # (its warnings would go to standard output)
        return _text(book)
    except UnreadableFile:
        raise
    except xlrd.XLRDError as exc:
        if "encrypted" in str(exc).lower():
            raise UnreadableFile("password-protected (encrypted): open it in Excel, remove the password and save "
                                 "it") from None
        raise _damaged(exc) from None
    except (CompDocError, FormulaError, *_DAMAGED) as exc:  # a damaged file: xlrd raises more than its own error
        raise _damaged(exc) from None
    finally:
        if book is not None:
            book.release_resources()


_DAMAGED = (*OLE_DAMAGE, AssertionError, AttributeError, ZeroDivisionError, LookupError)


def _damaged(exc: Exception) -> UnreadableFile:
    return UnreadableFile(f"not a readable {WHAT} ({exception_line(exc)}){FIX}")


def _workbook_stream(ole: Any) -> bytes:
    """The workbook (BIFF records) an opened OLE file holds; where it holds none, an error naming what it holds
    instead (a Word .doc, an encrypted .xlsx renamed)."""
    name = next((name for name in ("Workbook", "Book") if ole.exists(name)), None)  # Excel 97-2003; 5.0/95
    if name is None:
        raise wrong_ole_file(ole, ".xls")
    return ole.openstream(name).read()


def _other_format(raw: bytes) -> str:
    """A file named .xls that is no Excel 97-2003 file: what Excel would open it as. Reporting tools' "export to
    Excel" often writes a web page's table or tab-separated text under the name."""
    from ragvsft.html_text import read_html
    from ragvsft.xlsx_text import read_xlsx

    if (reader := {"zip": read_xlsx, "html": read_html}.get(content_kind(raw) or "")) is not None:
        return reader(raw)
    try:
        return read_table(raw)
    except UnicodeDecodeError:
        raise UnreadableFile("not an Excel .xls (not an OLE compound file, nor an .xlsx, a web page or UTF-8 text); "
                             "save it as .xlsx or CSV UTF-8") from None


def _text(book: Any) -> str:
    """The visible sheets' text, each under its name where there are several."""
    kinds = {key: number_kind(key, None if key < 164 else fmt.format_str) for key, fmt in book.format_map.items()}
    cell_kinds = [kinds.get(xf.format_key) for xf in book.xf_list]
    # (xlrd keeps each sheet's visibility, from the workbook's sheet list, in a private list)
    visible = [index for index, shown in enumerate(book._sheet_visibility) if shown == 0 and index < book.nsheets]
    budget = [MAX_CELLS]
    texts = []
    for index in visible:
        sheet = book.sheet_by_index(index)
        text = records(_rows(sheet, cell_kinds, book.datemode, budget))
        if text:
            texts.append(f"{sheet.name}\n\n{text}" if len(visible) > 1 else text)
        book.unload_sheet(index)
    return "\n\n".join(texts)


def _rows(sheet: Any, kinds: list[str | None], datemode: int, budget: list[int]) -> Iterator[dict[int, str]]:
    """A sheet's rows, each its filled cells by column."""
    for row in range(sheet.nrows):
        cells: dict[int, str] = {}
        for column in range(sheet.row_len(row)):
            budget[0] -= 1
            if budget[0] < 0:
                raise UnreadableFile(f"its sheets hold over {MAX_CELLS:,} cells, more than this reader reads")
            if text := _cell(sheet, row, column, kinds, datemode):
                cells[column] = text
        if cells:
            yield cells


def _cell(sheet: Any, row: int, column: int, kinds: list[str | None], datemode: int) -> str:
    """A cell's text as Excel shows it."""
    import xlrd

    kind, value = sheet.cell_type(row, column), sheet.cell_value(row, column)
    if kind == xlrd.XL_CELL_TEXT:
        return value
    if kind in (xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_DATE):
        xf = sheet.cell_xf_index(row, column)
        shown = kinds[xf] if 0 <= xf < len(kinds) else None
        return number_text(value, shown, date1904=datemode == 1) or f"{value:.15g}"
    if kind == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if value else "FALSE"
    if kind == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(value, "#ERROR")
    return ""  # empty, or blank (formatted, no value)

"""Spreadsheets saved as CSV or TSV (what Excel, Google Sheets and a help desk's export write): their rows, each
with the line it starts on, whatever the delimiter. Documents (``.csv``/``.tsv`` in ``docs/``) and question files
(``qa.csv``) both read them here; a sheet read as a document (CSV or ``.xlsx``) is written out by :func:`records`,
and a table inside a document (HTML, Word, slides) a line per row by :func:`row_line`.

A sheet people made often starts with a title and a note or two above the row that names its columns ("Leave
allowances 2026", "Prepared by HR"): of Apache POI's 938 test sheets of two rows or more, 414 have a first row
narrower than the table below it. Taken as the column names, the title labelled every value of the sheet.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterable, Iterator

from ragvsft.errors import UnreadableFile
from ragvsft.textforms import decode

# comma; semicolon, as Excel writes CSV where the decimal mark is a comma; tab; bar
DELIMITERS = ",;\t|"
# The most text a sheet is read to, as the gzip and zip readers bound what they unpack: a workbook stores a string
# once and lets any number of cells name it, so a 500 KB .xls or .xlsx can stand for gigabytes of text.
MAX_TEXT = 100 * 2**20
# The rows a sheet's column names are looked for in: titles and notes above a table take a few.
HEADER_ROWS = 20


class TableProblem(ValueError):
    """A row that cannot be read, and the line it starts on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def table_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    r"""(line the row starts on, its cells) for each row of ``text``; the delimiter is the one of
    :data:`DELIMITERS` the first line holding any holds most of (a title line above a TSV export's table holds
    none). A row that cannot be read raises :class:`TableProblem`.

    Example:
        >>> list(table_rows('question;answer\n"Who signs\ntravel?";Your manager\n'))
        [(1, ['question', 'answer']), (2, ['Who signs\ntravel?', 'Your manager'])]
    """
    first_line = next((line for line in text.split("\n", HEADER_ROWS)[:HEADER_ROWS]
                       if any(delimiter in line for delimiter in DELIMITERS)), "")
    reader = csv.reader(io.StringIO(text), delimiter=max(DELIMITERS, key=first_line.count))
    start = 1
    try:
        for row in reader:
            yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        if "field limit" in str(exc):  # a quote left open swallows the rest of the file into one cell
            raise TableProblem(start, f"a cell from line {start} on holds over {csv.field_size_limit():,} characters "
                                      "(a quote left open?)") from None
        raise TableProblem(start, f"not readable as CSV at line {start}: {exc}") from None


def records(rows: Iterable[dict[int, str]]) -> str:
    r"""A sheet as a document's text: a paragraph per row, a ``column: value`` line per filled cell, the row naming
    the columns (:func:`header_row`; an unnamed column by its position) giving each value what it is. A row is its
    filled cells by column (0 is the first), so a sheet's far-off cell costs nothing for the columns between. Rows
    above the column names (a title, a note) come first, a ``cell | cell`` line each; a sheet with no row below its
    column names is read as those lines (a sheet holding one note, an export with no records).

    Example:
        >>> sheet = [["Travel FAQ"], ["question", "answer"], ["Who signs travel?", "Your manager"], ["", ""],
        ...          ["Who books?"]]
        >>> print(records(dict(enumerate(row)) for row in sheet))
        Travel FAQ
        <BLANKLINE>
        question: Who signs travel?
        answer: Your manager
        <BLANKLINE>
        question: Who books?
    """
    rows = (row for row in rows if any(cell.strip() for cell in row.values()))
    first = list(itertools.islice(rows, HEADER_ROWS))
    if not first:
        return ""
    header = header_row(first)
    names = {column: " ".join(name.split()) for column, name in first[header].items()}
    above = [_line(row) for row in first[:header]]
    paragraphs, size = [], sum(map(len, above))
    for row in itertools.chain(first[header + 1:], rows):
        paragraphs.append("\n".join(f"{names.get(column) or f'column {column + 1}'}: {' '.join(row[column].split())}"
                                    for column in sorted(row) if row[column].strip()))
        size += len(paragraphs[-1])
        if size > MAX_TEXT:
            raise UnreadableFile(f"its rows hold over {MAX_TEXT:,} characters of text (a text repeated in many "
                                 "cells?), more than this reader reads; split it into smaller files")
    if not paragraphs:  # no row below the column names: they are the sheet's text
        above.append(_line(first[header]))
    return "\n\n".join((["\n".join(above)] if above else []) + paragraphs)


def header_row(rows: list[dict[int, str]]) -> int:
    """Which of a sheet's first filled ``rows`` names its columns: the first as wide as the table, that is holding
    at least half as many filled cells as the widest (a header may leave a column unnamed, an index say) and at
    least two where the table is two or more wide (a one-cell title above two columns is no header).

    Example:
        >>> header_row([{0: "Leave allowances 2026"}, {0: "Prepared by HR, 5 January"},
        ...             {1: "Role", 2: "Days", 3: "Notes"}, {0: "1", 1: "Engineer", 2: "27", 3: "plus 2 on call"}])
        2
    """
    widths = [sum(1 for cell in row.values() if cell.strip()) for row in rows]
    widest = max(widths)
    wide = min(widest, max(2, math.ceil(widest / 2)))
    return next(index for index, width in enumerate(widths) if width >= wide)


def _line(row: dict[int, str]) -> str:
    """A row above a sheet's column names as one line of its filled cells."""
    return row_line(row[column] for column in sorted(row) if row[column].strip())


def row_line(cells: Iterable[str]) -> str:
    r"""A table row inside a document as one line, ``cell | cell`` (as Markdown writes one), each cell's white space
    made single spaces: with a line per cell, a figure would stand apart from the label it answers. ``""`` for a
    row whose cells are all empty (a layout table's spacer says nothing).

    Example:
        >>> row_line(["Maximum pressure", " 4\nbar "]), row_line([" ", ""])
        ('Maximum pressure | 4 bar', '')
    """
    cells = [" ".join(cell.split()) for cell in cells]
    return " | ".join(cells) if any(cells) else ""


def read_table(raw: bytes) -> str:
    r"""A spreadsheet saved as CSV or TSV (an FAQ sheet, a help desk's ticket export) as a document's text
    (:func:`records` of :func:`table_rows`).

    Example:
        >>> print(read_table(b"question;answer\nWho signs travel?;Your manager\nWho books it?;\n"))
        question: Who signs travel?
        answer: Your manager
        <BLANKLINE>
        question: Who books it?
    """
    try:
        return records(dict(enumerate(row)) for _, row in table_rows(decode(raw)))
    except TableProblem as exc:
        raise UnreadableFile(str(exc)) from None

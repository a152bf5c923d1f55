"""Spreadsheets saved as CSV or TSV (what Excel, Google Sheets and a help desk's export write): their rows, each
with the line it starts on, whatever the delimiter. Documents (``.csv``/``.tsv`` in ``docs/``) and question files
(``qa.csv``) both read them here; a sheet read as a document (CSV or ``.xlsx``) is written out by :func:`records`,
and a table inside a document (HTML, Word, slides) a line per row by :func:`row_line`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from ragvsft.errors import UnreadableFile

# comma; semicolon, as Excel writes CSV where the decimal mark is a comma; tab; bar
DELIMITERS = ",;\t|"
# The most text a sheet is read to, as the gzip and zip readers bound what they unpack: a workbook stores a string
# once and lets any number of cells name it, so a 500 KB .xls or .xlsx can stand for gigabytes of text.
MAX_TEXT = 100 * 2**20


class TableProblem(ValueError):
    """A row that cannot be read, and the line it starts on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


def table_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    r"""(line the row starts on, its cells) for each row of ``text``; the delimiter is the one of
    :data:`DELIMITERS` the first line holds most of. A row that cannot be read raises :class:`TableProblem`.

    Example:
        >>> list(table_rows('question;answer\n"Who signs\ntravel?";Your manager\n'))
        [(1, ['question', 'answer']), (2, ['Who signs\ntravel?', 'Your manager'])]
    """
    first_line = text.partition("\n")[0]
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
    r"""A sheet as a document's text: a paragraph per row, a ``column: value`` line per filled cell, the first row
    naming the columns (an unnamed one by its position), so each value stays beside what it is. A row is its filled
    cells by column (0 is the first), so a sheet's far-off cell costs nothing for the columns between.

    Example:
        >>> sheet = [["question", "answer"], ["Who signs travel?", "Your manager"], ["", ""], ["Who books?"]]
        >>> print(records(dict(enumerate(row)) for row in sheet))
        question: Who signs travel?
        answer: Your manager
        <BLANKLINE>
        question: Who books?
    """
    rows = iter(rows)
    names = {column: " ".join(name.split()) for column, name in next(rows, {}).items()}
    paragraphs, size = [], 0
    for row in rows:
        lines = [f"{names.get(column) or f'column {column + 1}'}: {' '.join(row[column].split())}"
                 for column in sorted(row) if row[column].strip()]
        if lines:
            paragraphs.append("\n".join(lines))
            size += len(paragraphs[-1])
            if size > MAX_TEXT:
                raise UnreadableFile(f"its rows hold over {MAX_TEXT:,} characters of text (a text repeated in many "
                                     "cells?), more than this reader reads; split it into smaller files")
    return "\n\n".join(paragraphs)


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

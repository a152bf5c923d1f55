"""Spreadsheets saved as CSV or TSV (what Excel, Google Sheets and a help desk's export write): their rows, each
with the line it starts on, whatever the delimiter. Documents (``.csv``/``.tsv`` in ``docs/``) and question files
(``qa.csv``) both read them here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

# comma; semicolon, as Excel writes CSV where the decimal mark is a comma; tab; bar
DELIMITERS = ",;\t|"


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

"""Errors a user can act on: each names the file (and line) at fault and what to do."""

from __future__ import annotations

import json
from pathlib import Path


class RagvsftError(Exception):
    """Base class for errors caused by user input; the CLI prints them without a traceback."""


class InputError(RagvsftError):
    """Bad input in a file the user supplied.

    Example:
        >>> str(InputError("corpora/x/qa.jsonl", "missing 'answer'", line=3))
        "corpora/x/qa.jsonl:3: missing 'answer'"
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


# Python's JSON and TOML parsers recurse once per level of nesting: a line of 100,000 "[" (a hostile or broken file;
# no real one nests a thousand deep) raises RecursionError, which is said as this.
TOO_DEEP = "nested too deep to read (a hostile or broken file)"


class UnreadableFile(ValueError):
    """A document reader's own account of why a file is not a document of its type (shown to the user as is)."""


def exception_line(exc: BaseException) -> str:
    r"""An exception a parser raised, as one line for a user's warning: its type, and its message if it has one.

    Example:
        >>> exception_line(OSError("incomplete\n  sector")), exception_line(AssertionError())
        ('OSError: incomplete sector', 'AssertionError')
    """
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


class CorpusError(InputError):
    """A corpus folder, document or qa.jsonl line is unusable."""


class ConfigError(InputError):
    """An experiment file or a command-line override is invalid."""


def json_problem(exc: json.JSONDecodeError) -> str:
    """What is wrong with a JSON text and where, for messages that already name the file and line.

    Python's own messages sometimes end in "at" ("Invalid control character at"), so the column is joined to suit.

    Example:
        >>> try:
        ...     json.loads('{"a": "b\x01"}')
        ... except json.JSONDecodeError as exc:
        ...     json_problem(exc)
        'malformed JSON (Invalid control character at column 9)'
    """
    joint = " " if exc.msg.endswith(" at") else " at "
    return f"malformed JSON ({exc.msg}{joint}column {exc.colno})"

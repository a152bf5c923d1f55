"""Reading JSON files back with one-line errors: object files ragvsft wrote, and JSON Lines files a user wrote.

An object file (manifest, adapter record, results) can be missing, cut short by a full disk, emptied,
overwritten with other bytes or edited into another JSON type; each case is a :class:`RagvsftError` naming the
file, what is wrong and ``fix`` (what to do), never a traceback. A JSON Lines file's problems name the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ragvsft.errors import TOO_DEEP, InputError, RagvsftError, json_problem
from ragvsft.textforms import decode, decode_problem


def read_json_object(path: Path, *, fix: str, missing: str = "file missing") -> dict[str, Any]:
    """The JSON object in ``path``; ``missing`` says what an absent file means.

    Example:
        >>> import tempfile
        >>> bad = Path(tempfile.mkdtemp()) / "manifest.json"
        >>> _ = bad.write_text("[1, 2]")
        >>> read_json_object(bad, fix="rebuild it")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ragvsft.errors.RagvsftError: .../manifest.json: expected a JSON object, got list; rebuild it
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise RagvsftError(f"{path}: {missing}; {fix}") from None
    except OSError as exc:
        raise RagvsftError(f"{path}: cannot be read ({exc.strerror}); {fix}") from None
    except UnicodeDecodeError as exc:
        raise RagvsftError(f"{path}: not valid UTF-8 (byte {exc.start}), so not a file ragvsft wrote; {fix}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RagvsftError(f"{path}:{exc.lineno}: {json_problem(exc)}; {fix}") from None
    except RecursionError:
        raise RagvsftError(f"{path}: {TOO_DEEP}; {fix}") from None
    if not isinstance(data, dict):
        raise RagvsftError(f"{path}: expected a JSON object, got {type(data).__name__}; {fix}")
    return data


def jsonl_objects(path: Path, error: type[InputError] = InputError) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of a JSON Lines file; a line that is not a JSON object,
    or a file that is not UTF-8, raises ``error`` naming the file and line. The caller handles a missing file.

    Example:
        >>> import tempfile
        >>> lines = Path(tempfile.mkdtemp()) / "qa.jsonl"
        >>> _ = lines.write_text('{"a": 1}\\n\\n[2]\\n')
        >>> list(jsonl_objects(lines))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ragvsft.errors.InputError: .../qa.jsonl:3: expected a JSON object, got list
    """
    try:
        # Lines end at "\n" only, as in every editor and JSON writer: splitlines() would also split at U+2028,
        # form feeds and the like, which JSON strings may hold unescaped, and number lines unlike the editor.
        # (read_text would also turn a lone "\r" into a line end.)
        lines = [line.removesuffix("\r") for line in decode(path.read_bytes()).split("\n")]
    except UnicodeDecodeError as exc:
        raise error(path, decode_problem(exc)) from None
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise error(path, json_problem(exc), line=number) from None
        except RecursionError:
            raise error(path, TOO_DEEP, line=number) from None
        if not isinstance(obj, dict):
            raise error(path, f"expected a JSON object, got {type(obj).__name__}", line=number)
        yield number, obj

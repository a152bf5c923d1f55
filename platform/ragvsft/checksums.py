"""Sizes and checksums of the files an artifact is made of, recorded when it is written and checked when it is read.

A truncated ``index.faiss`` or an edited ``chunks.jsonl`` can still parse, or fail deep inside a library with a
traceback; comparing against what the writer recorded catches both in one line that names the file. Artifacts
written before checksums were recorded carry none and are read as before.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ragvsft.hashing import sha256_file


def describe_files(folder: Path, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``{name: {"bytes": size, "sha256": hex}}`` for the named files in ``folder``.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("abc")
        >>> describe_files(folder, ["a.txt"])["a.txt"]["bytes"]
        3
    """
    return {name: {"bytes": (folder / name).stat().st_size, "sha256": sha256_file(folder / name)} for name in names}


def damaged_file(folder: Path, recorded: Any, names: Sequence[str]) -> str | None:
    """The first of ``names`` that does not match its record in ``recorded`` (what ``describe_files`` gave when
    the artifact was written), as ``"<path>: <what is wrong>"``; ``None`` when all match or nothing was recorded.
    Only ``names`` are looked at, so a tampered record cannot send the check to other files.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "a.txt").write_text("abc")
        >>> record = describe_files(folder, ["a.txt"])
        >>> _ = (folder / "a.txt").write_text("ab")
        >>> damaged_file(folder, record, ["a.txt"]).split(": ", 1)[1]
        'holds 2 bytes where 3 were written (truncated or replaced)'
    """
    if recorded is None:
        return None
    if not isinstance(recorded, dict):
        return f"{folder}: the record of its files is not an object (damaged)"
    for name in names:
        path, expected = folder / name, recorded.get(name)
        if not isinstance(expected, dict) or not isinstance(expected.get("bytes"), int):
            return f"{path}: no size or checksum recorded for it (damaged record)"
        if not path.is_file():
            return f"{path}: file missing"
        size = path.stat().st_size
        if size != expected["bytes"]:
            return f"{path}: holds {size} bytes where {expected['bytes']} were written (truncated or replaced)"
        if sha256_file(path) != expected.get("sha256"):
            return f"{path}: contents differ from the checksum recorded when it was written (damaged or edited)"
    return None


def set_aside(folder: Path) -> None:
    """Remove a damaged artifact folder: one rename first (to a ``.tmp-<pid>-*`` name, which the index treats as a
    dead build), so no reader ever finds it half deleted, then the delete.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp()) / "v-1"
        >>> folder.mkdir()
        >>> set_aside(folder)
        >>> folder.exists()
        False
    """
    dead = folder.with_name(f".tmp-{os.getpid()}-{secrets.token_hex(4)}")
    os.rename(folder, dead)
    shutil.rmtree(dead, ignore_errors=True)

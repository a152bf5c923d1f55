"""SQLite files ragvsft keeps for itself and can start again: the answer cache (``<output_dir>/cache.sqlite``) and
the schedule's job store (``<output_dir>/schedule.sqlite``). A damaged one never stops a command: it is kept as
``<name>.damaged`` for a look, with a warning, and a new one starts (what it held is computed again, or in the job
store's case, the next due time is worked out again from the cron expression)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def check_pages(db: sqlite3.Connection) -> None:
    """Raise ``sqlite3.DatabaseError`` unless every page reads back: a file cut short or overwritten fails here,
    not at some later lookup."""
    if (verdict := db.execute("PRAGMA quick_check").fetchone()[0]) != "ok":
        raise sqlite3.DatabaseError(verdict)


def set_aside(path: Path, why: Exception, what: str) -> str:
    """Rename the damaged ``path`` to ``<name>.damaged``; returns the warning to show."""
    os.replace(path, path.with_name(path.name + ".damaged"))
    return f"{path}: not a usable {what} ({why}); kept as {path.name}.damaged, starting anew"

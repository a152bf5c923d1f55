"""One retrain pass at a time: an exclusive lock on a file, released by the kernel when its holder dies.

``fcntl.flock`` is tied to the open file, so a pass killed with SIGKILL (or a
machine that lost power) leaves no lock behind to clean up: the next pass takes
it over and says whose it was. The file holds the holder's pid, host and start
time, so a second pass that finds the lock taken names who holds it. (flock is
per machine: passes on several machines sharing one output folder over NFS need
a lock in the shared store instead.)
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import psutil

from ragvsft.errors import RagvsftError


class LockedError(RagvsftError):
    """Another pass holds the lock (the CLI exits with status 3)."""


class PassLock:
    """Context manager holding ``path`` exclusively; :attr:`previous` describes a holder that died holding it.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "retrain.lock"
        >>> with PassLock(path) as lock:
        ...     with PassLock(path):  # doctest: +ELLIPSIS
        ...         pass
        Traceback (most recent call last):
        ragvsft.lock.LockedError: ...retrain.lock: another retrain pass holds the lock (pid ...
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.previous: dict[str, Any] | None = None  # the holder recorded in the file, if it is gone
        self._file: IO[str] | None = None

    def __enter__(self) -> PassLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(handle)
            handle.close()
            raise LockedError(f"{self.path}: another retrain pass holds the lock ({_describe(holder)}); it will "
                              "release it when it ends — try again later") from None
        recorded = _read(handle)
        if recorded and not _alive(recorded):
            self.previous = recorded  # its holder died without unlocking: the kernel released it, we take over
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "started_at": datetime.now(UTC).isoformat(timespec="seconds")}))
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()  # an empty file: nobody holds it, nobody died holding it
            self._file.flush()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    @property
    def takeover_note(self) -> str:
        """A sentence about the dead holder whose lock this pass took over; empty when there was none."""
        return "" if self.previous is None else f"took over the lock left by a pass that died ({_describe(self.previous)})"


def _read(handle: IO[str]) -> dict[str, Any]:
    handle.seek(0)
    try:
        data = json.loads(handle.read() or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def _alive(holder: dict[str, Any]) -> bool:
    pid = holder.get("pid")
    return holder.get("host") != socket.gethostname() or (isinstance(pid, int) and psutil.pid_exists(pid))


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "holder unknown"
    return f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('started_at')}"

"""Reading a JSON object file ragvsft wrote (manifests, adapter records, results) back, with one-line errors.

Such a file can be missing, cut short by a full disk, emptied, overwritten with other bytes or edited into
another JSON type; each case is a :class:`RagvsftError` naming the file, what is wrong and ``fix`` (what to do),
never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ragvsft.errors import RagvsftError, json_problem


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
    if not isinstance(data, dict):
        raise RagvsftError(f"{path}: expected a JSON object, got {type(data).__name__}; {fix}")
    return data

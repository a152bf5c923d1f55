"""Records exported as JSON Lines (``.jsonl``, ``.ndjson``: a help desk's tickets, a knowledge base's articles, an
API's dump, a JSON object per line) as a document: a paragraph per record, a ``key: value`` line per filled field,
nested keys joined with dots (``customer.name: Ines``), so each value stays beside what it is, as a CSV row's do.
Each object in a list inside a record (a ticket's comments) is a record of its own, after it. A list of plain values
reads as one line (``tags: pump, urgent``); ``null`` and empty values are not read. A string holding HTML (an
article's body, as help centres export it) is read as its text (:func:`ragvsft.html_text.read_html`).

A ``.json`` file is not read: a docs folder holds settings files (``_category_.json``, ``package.json``) that are
no one's answer; records in a JSON list become JSON Lines with ``jq -c '.[]' tickets.json > tickets.jsonl``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ragvsft.errors import TOO_DEEP, UnreadableFile
from ragvsft.html_text import page_text
from ragvsft.textforms import decode

_HTML = re.compile(r"<(?:p|div|br|ul|ol|li|h[1-6]|table|tr|td|span|a|strong|em|b|i|pre|code|img)\b[^<>]*>", re.I)


def read_json_lines(raw: bytes) -> str:
    r"""A JSON Lines file's records, one per line (blank lines skipped).

    Example:
        >>> print(read_json_lines(b'{"id": 7, "subject": "Pump stops", "customer": {"name": "Ines"}, "tags": ["pump", 1],'
        ...                       b' "body": "<p>Stops after <b>2</b> min.</p>", "closed": null}\n\n{"id": 8}'))
        id: 7
        subject: Pump stops
        customer.name: Ines
        tags: pump, 1
        body: Stops after 2 min.
        <BLANKLINE>
        id: 8
    """
    records: list[list[str]] = []
    for number, line in enumerate(decode(raw).split("\n"), 1):
        if line.strip():
            _record(_parsed(line, number), "", records)
    return "\n\n".join("\n".join(lines) for lines in records if lines)


def _parsed(line: str, number: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"line {number} is not JSON (column {exc.colno}: {exc.msg}); a .jsonl file holds one "
                             "JSON value per line") from None
    except RecursionError:
        raise UnreadableFile(f"line {number} is {TOO_DEEP}") from None


def _record(value: Any, path: str, records: list[list[str]]) -> None:
    """Adds ``value`` as a new record to ``records`` (and each object listed inside it as one more)."""
    lines: list[str] = []
    records.append(lines)
    try:
        _lines(value, path, lines, records)
    except RecursionError:
        raise UnreadableFile("it is nested too deep to read (a hostile or broken file)") from None


def _lines(value: Any, path: str, lines: list[str], records: list[list[str]]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _lines(item, f"{path}.{key}" if path else str(key), lines, records)
    elif isinstance(value, list):
        plain = [_scalar(item) for item in value if not isinstance(item, (dict, list))]
        if shown := [text for text in plain if text]:
            lines.append(f"{path}: {', '.join(shown)}" if path else ", ".join(shown))
        for item in value:
            if isinstance(item, (dict, list)):
                _record(item, path, records)
    elif text := _scalar(value):
        lines.append(f"{path}: {text}" if path else text)


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = page_text(value) if _HTML.search(value) else value
        return text.strip()
    return json.dumps(value)

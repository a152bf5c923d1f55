"""A Jupyter notebook (``.ipynb``: runbooks, analyses, tutorials) as its rendered page reads: cell after cell,
Markdown cells as a Markdown page is read (:func:`ragvsft.markdown_text.markdown_text`), code as written in a
fenced block, and the text each code cell printed or returned after it, as the saved notebook shows it.

What a notebook holds besides (images as base64, widget state, execution counts, cell ids and metadata) is no
one's answer and stays out. Output is read as a terminal shows it: colour codes dropped, and a progress bar that
rewrote its line with carriage returns only as it was left. Of a result's forms the page shows the richest, and
so this reads Markdown, else plain text, else the HTML's text (a DataFrame has a plain-text form beside its HTML).
nbformat 4 (Jupyter since 2015) and nbformat 3 notebooks (``worksheets``, ``input``, ``pyout``) are read.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ragvsft.errors import TOO_DEEP, UnreadableFile
from ragvsft.html_text import page_text
from ragvsft.markdown_text import markdown_text
from ragvsft.textforms import decode

# Terminal control sequences: CSI (colours, cursor moves: ESC [ params final) and the two-character escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")


def read_notebook(raw: bytes) -> str:
    r"""A notebook's cells as one text, a blank line between cells.

    Example:
        >>> cells = [{"cell_type": "markdown", "source": ["# Restart the pump\n", "Wait <b>2</b> minutes."]},
        ...          {"cell_type": "code", "source": "pump.restart()", "outputs": [
        ...              {"output_type": "stream", "name": "stdout", "text": "\x1b[32mok\x1b[0m\n 10%\r100%\n"},
        ...              {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}}]}]
        >>> print(read_notebook(json.dumps({"cells": cells, "metadata": {"language_info": {"name": "python"}},
        ...                                 "nbformat": 4}).encode()))
        # Restart the pump
        Wait 2 minutes.
        <BLANKLINE>
        ```python
        pump.restart()
        ```
        <BLANKLINE>
        ok
        100%
        <BLANKLINE>
        <Figure>
    """
    try:
        notebook = json.loads(decode(raw))
    except json.JSONDecodeError as exc:
        raise UnreadableFile(f"not a Jupyter notebook: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise UnreadableFile(f"not a Jupyter notebook: {TOO_DEEP}") from None
    cells = _cells(notebook)
    metadata = notebook.get("metadata") if isinstance(notebook.get("metadata"), dict) else {}
    language = _text(_get(metadata, "language_info", "name") or _get(metadata, "kernelspec", "language"))
    language = re.sub(r"[^\w+#.-]", "", language)[:32]  # the fence's info word, never a line break or fence
    parts: list[str] = []
    for cell in cells:
        if isinstance(cell, dict):
            parts += _cell(cell, language)
    return "\n\n".join(part.strip("\n") for part in parts if part.strip())


def _cells(notebook: Any) -> list[Any]:
    if isinstance(notebook, dict):
        if isinstance(notebook.get("cells"), list):  # nbformat 4
            return notebook["cells"]
        if isinstance(notebook.get("worksheets"), list):  # nbformat 3: cells in worksheets
            return [c for ws in notebook["worksheets"] if isinstance(ws, dict) and isinstance(ws.get("cells"), list)
                    for c in ws["cells"]]
    raise UnreadableFile('not a Jupyter notebook: no "cells" list (nbformat 4) or "worksheets" (nbformat 3)')


def _cell(cell: dict[str, Any], language: str) -> list[str]:
    """The parts of one cell as the page shows them."""
    kind = cell.get("cell_type")
    if kind == "markdown":
        return [markdown_text(_text(cell.get("source")))]
    if kind == "heading":  # nbformat 3 kept headings as cells of their own
        level = cell.get("level") if isinstance(cell.get("level"), int) and 1 <= cell["level"] <= 6 else 1
        return [f"{'#' * level} {_text(cell.get('source'))}"]
    if kind == "raw":
        return [_text(cell.get("source"))]
    if kind != "code":
        return []
    code = _text(cell.get("source", cell.get("input"))).strip("\n")
    outputs = cell.get("outputs") if isinstance(cell.get("outputs"), list) else []
    return ([f"```{language}\n{code}\n```"] if code.strip() else []) + [_output(o) for o in outputs if isinstance(o, dict)]


def _output(output: dict[str, Any]) -> str:
    """What one output shows as text ('' for an image alone)."""
    kind = output.get("output_type")
    if kind in ("error", "pyerr"):  # the traceback is colour-coded frames; its last line says what went wrong
        return f"{_text(output.get('ename'))}: {_text(output.get('evalue'))}"
    if kind == "stream":
        return _as_terminal(_text(output.get("text")))
    data = output.get("data") if isinstance(output.get("data"), dict) else output  # nbformat 3: forms on the output
    if markdown := _text(data.get("text/markdown") or data.get("markdown")):
        return markdown_text(markdown)
    if plain := _text(data.get("text/plain") or data.get("text")):
        return _as_terminal(plain)
    if page := _text(data.get("text/html") or data.get("html")):
        return page_text(page)
    return ""


def _as_terminal(text: str) -> str:
    """``text`` as a terminal leaves it: colour codes gone, each line as its last carriage return left it."""
    lines = _ANSI.sub("", text).split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def _text(value: Any) -> str:
    """A notebook string field: a string, or a list of strings (one per line, as Jupyter saves them)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return ""


def _get(mapping: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        mapping = mapping.get(key) if isinstance(mapping, dict) else None
    return mapping

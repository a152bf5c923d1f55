"""A reStructuredText page (what Sphinx documentation is written in) as it renders: its text without the markup
a reader never sees.

A Sphinx project's pages are full of it: ``.. toctree::`` blocks listing other pages (the whole table of contents,
as a docs site's sidebar is), ``.. _label:`` targets, comments, directive options (``:maxdepth: 2``), and roles
around names (``:ref:`Install <install>```, ``:class:`~pkg.Client```). Left in, they are words no answer holds
and the embedder weighs; admonitions keep their kind ("Warning:"), roles their text.
"""

from __future__ import annotations

import re
from itertools import groupby

from ragvsft.textforms import decode, normalize, paragraphs

# ".. name:: argument" at a line start (a substitution's "|name|" before it), and what a directive block drops whole.
_DIRECTIVE = re.compile(r"^\.\.[ \t]+(?:\|[^|\n]+\|[ \t]+)?(?P<name>[\w:+-]+)::(?:[ \t]+(?P<argument>.*))?$")
_EXPLICIT = re.compile(r"^\.\.(?:[ \t]|$)")  # any other explicit markup: a comment, a target, a footnote
_DROPPED = {"toctree", "image", "include", "literalinclude", "raw", "meta", "index", "contents", "highlight",
            "currentmodule", "module", "default-role", "sectionauthor", "moduleauthor", "tabularcolumns"}
_CODE = {"code-block", "code", "sourcecode"}  # their content is shown as written
_ADMONITIONS = {"admonition", "attention", "caution", "danger", "error", "hint", "important", "note", "seealso",
                "tip", "todo", "warning", "versionadded", "versionchanged", "deprecated"}
_TITLED = {"topic", "rubric", "sidebar", "centered"}  # directives whose argument is a title the page shows
_OPTION = re.compile(r"^[ \t]+:[\w -]+:(?:[ \t].*)?$")
_FIELD = re.compile(r"^:[\w -]+:(?:[ \t].*)?$")  # a field; those opening the file are page metadata (":orphan:")
# A role: ":ref:`Install <install>`" shows "Install"; ":class:`~pkg.Client`" shows "Client"; else the text as is.
_ROLE = re.compile(r":[\w:+-]+:`(?P<text>[^`]{1,500})`")  # over line breaks, as rST allows; bounded, so linear


def read_rst(raw: bytes) -> str:
    r"""A reStructuredText file's text as its page shows it: toctrees, images, includes and the like left out with
    their blocks, comments and targets dropped, other directives' lines and options dropped but their content
    kept (an admonition's kind as a label), roles as their text.

    Example:
        >>> print(read_rst(b".. _install:\n\nInstall\n=======\n\n.. toctree::\n   :maxdepth: 2\n\n   linux\n   windows\n\n"
        ...                b".. warning:: Stop the service first.\n\nSee :ref:`Upgrading <upgrade>` and :class:`~pkg.Client`."
        ...                b"\n\n.. a comment,\n   over two lines\n\nDone."))
        Install
        =======
        <BLANKLINE>
        Warning: Stop the service first.
        <BLANKLINE>
        See Upgrading and Client.
        <BLANKLINE>
        Done.
    """
    kept: list[tuple[str, bool]] = []  # (line, shown as written: a literal block's)
    dropping = options = literal = False  # in a block left out; where a directive's options go; in a literal block
    started = False  # whether the page shows anything yet
    for line in normalize(decode(raw)).split("\n"):
        indented, blank = line[:1] in (" ", "\t"), not line.strip()
        if (dropping and (indented or blank)) or (options and indented and _OPTION.match(line)):
            continue
        dropping = options = False
        if literal and (indented or blank):
            kept.append((line, True))
            continue
        literal = False
        if not started and _FIELD.match(line):  # nothing shown yet: the page's metadata
            continue
        started = started or not blank
        if directive := _DIRECTIVE.match(line):
            name, argument = directive["name"].casefold(), (directive["argument"] or "").strip()
            dropping, options, literal = name in _DROPPED, name not in _DROPPED, name in _CODE
            if name in _ADMONITIONS:
                kept.append((f"{name.capitalize()}: {argument}".rstrip() if name != "admonition" else argument, False))
            elif argument and name in _TITLED:
                kept.append((argument, False))
            continue
        if _EXPLICIT.match(line):
            dropping = True  # a comment or a target, with its indented continuation
            continue
        kept.append((line, False))
        literal = line.rstrip().endswith("::")  # "Run::" introduces an indented literal block
    # Roles (which may run over a line break) are read in the text between literal blocks.
    parts = [_ROLE.sub(_role_text, "\n".join(line for line, _ in group)) if not as_written
             else "\n".join(line for line, _ in group) for as_written, group in groupby(kept, key=lambda k: k[1])]
    return paragraphs("\n".join(parts))


def _role_text(match: re.Match[str]) -> str:
    text = match["text"]
    if titled := re.fullmatch(r"(?s)(.+?)\s*<[^<>]+>", text):
        return titled[1]
    return text.removeprefix("~").rpartition(".")[2] if text.startswith("~") else text.removeprefix("!")

"""A reStructuredText page (what Sphinx documentation is written in) as it renders: its text without the markup
a reader never sees.

A Sphinx project's pages are full of it: ``.. toctree::`` blocks listing other pages (the whole table of contents,
as a docs site's sidebar is), ``.. _label:`` targets, comments, directive options (``:maxdepth: 2``), and roles
around names (``:ref:`Install <install>```, ``:class:`~pkg.Client```). Left in, they are words no answer holds
and the embedder weighs; admonitions keep their kind ("Warning:"), roles their text. A substitution the page
defines (``.. |pump| replace:: Pump X-200``, ``.. |copy| unicode:: U+00A9``) reads as its text wherever the page
cites it (``|pump|``); one defined elsewhere (Sphinx's ``|version|``, a ``conf.py``'s ``rst_epilog``) stays as
written.
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
                "tip", "todo", "warning", "versionadded", "versionchanged", "deprecated", "versionremoved"}
# The words Sphinx shows for these: "versionadded:: 3.7" reads "Added in version 3.7" (a question asks that).
_LABELS = {"seealso": "See also", "versionadded": "Added in version", "versionchanged": "Changed in version",
           "deprecated": "Deprecated since version", "versionremoved": "Removed in version"}
_TITLED = {"topic", "rubric", "sidebar", "centered"}  # directives whose argument is a title the page shows
_FIELD = re.compile(r"^:[\w -]+:(?:[ \t].*)?$")  # a field; those opening the file are page metadata (":orphan:")
# A role: ":ref:`Install <install>`" shows "Install"; ":class:`~pkg.Client`" shows "Client"; else the text as is.
_ROLE = re.compile(r":[\w:+-]+:`(?P<text>[^`]{1,500})`")  # over line breaks, as rST allows; bounded, so linear
# A hyperlink reference: "`the site <https://x.org>`_" shows "the site", "`Install`_" and "`here`__" their text.
_LINK = re.compile(r"(?<![\w`])`(?P<text>[^`]{1,500})`__?(?![\w`])")
_DEFINITION = re.compile(r"^\.\.[ \t]+\|(?P<name>[^|\n]+)\|[ \t]+(?P<kind>replace|unicode|image)::(?:[ \t]+(?P<text>.*))?$")
# A reference: no space inside its bars, none of "|" or a word character around them; bounded, so linear.
_REFERENCE = re.compile(r"(?<![\w|])\|(?P<name>[^\s|](?:[^|\n]{0,198}[^\s|])?)\|(?:__?)?(?![\w|])")
_CHARACTER = re.compile(r"(?:U\+|0x|\\x|\\u|\\U|&#x)(?P<hex>[0-9a-f]{1,6});?|&#(?P<dec>[0-9]{1,7});|(?P<num>[0-9]{1,7})$",
                        re.IGNORECASE)


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
    lines = normalize(decode(raw)).split("\n")
    substitutions = _substitutions(lines)
    kept: list[tuple[str, bool]] = []  # (line, shown as written: a literal block's)
    dropping = options = literal = False  # in a block left out; where a directive's options go; in a literal block
    block = 0  # the indentation of the line that opened that block (directives nest in lists and other directives)
    started = False  # whether the page shows anything yet
    for line in lines:
        depth = _indent(line)
        text, blank = line[depth:], not line[depth:]
        inside = blank or depth > block
        if (dropping and inside) or (options and depth > block and _FIELD.match(text)):
            continue
        dropping = options = False
        if literal and inside:
            kept.append((line, True))
            continue
        literal, block = False, depth
        if not started and _FIELD.match(line):  # nothing shown yet: the page's metadata
            continue
        started = started or not blank
        if _DEFINITION.match(text):
            dropping = True  # read where the page cites it
            continue
        if directive := _DIRECTIVE.match(text):
            name, argument = directive["name"].casefold(), (directive["argument"] or "").strip()
            dropping, options, literal = name in _DROPPED, name not in _DROPPED, name in _CODE
            if name in _ADMONITIONS:
                label = _LABELS.get(name, f"{name.capitalize()}:")
                kept.append((f"{label} {argument}".rstrip() if name != "admonition" else argument, False))
            elif argument and name in _TITLED:
                kept.append((argument, False))
            continue
        if _EXPLICIT.match(text):
            dropping = True  # a comment or a target, with its more indented continuation
            continue
        kept.append((line, False))
        literal = text.rstrip().endswith("::")  # "Run::" introduces a more indented literal block
    # Substitutions, then roles and links (which may run over a line break, and a substitution's text may hold), are
    # read in the text between literal blocks.
    parts = [("\n".join(line for line, _ in group), written) for written, group in groupby(kept, key=lambda k: k[1])]
    return paragraphs("\n".join(part if written else _shown(part, substitutions) for part, written in parts))


def _shown(text: str, substitutions: dict[str, str]) -> str:
    """Text outside literal blocks as the page shows it: substitutions read, then roles and links as their text."""
    return _LINK.sub(_role_text, _ROLE.sub(_role_text, _substituted(text, substitutions)))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _substitutions(lines: list[str]) -> dict[str, str]:
    """The text of each substitution the page defines, by its name in the form references are matched in: a
    ``replace`` (its indented lines too), a ``unicode`` (its characters), an ``image`` (its ``:alt:`` text)."""
    found: dict[str, str] = {}
    for at, line in enumerate(lines):
        depth = _indent(line)
        if not (definition := _DEFINITION.match(line[depth:])):
            continue
        body, after = [(definition["text"] or "").strip()], at + 1
        while after < len(lines) and lines[after].strip() and _indent(lines[after]) > depth:
            body.append(lines[after].strip())
            after += 1
        name, kind = " ".join(definition["name"].split()).casefold(), definition["kind"]
        if kind == "image":
            found[name] = next((b.partition(":alt:")[2].strip() for b in body if b.startswith(":alt:")), "")
        elif kind == "unicode":
            found[name] = "".join(_character(word) for word in body[0].partition(" .. ")[0].split())
        else:
            found[name] = " ".join(b for b in body if b)
    return found


def _character(word: str) -> str:
    """One word of a ``unicode`` substitution: a code point as ``U+00A9``, ``0xA9``, ``&#169;`` or ``169``, or itself."""
    if not (code := _CHARACTER.fullmatch(word)):
        return word
    value = int(code["hex"], 16) if code["hex"] else int(code["dec"] or code["num"])
    return chr(value) if value <= 0x10FFFF else word


def _substituted(text: str, substitutions: dict[str, str]) -> str:
    """``text`` with each reference to a defined substitution as its text; others as written."""
    if not substitutions or "|" not in text:
        return text
    return _REFERENCE.sub(lambda m: substitutions.get(" ".join(m["name"].split()).casefold(), m[0]), text)


def _role_text(match: re.Match[str]) -> str:
    """What a role or link shows: its title where it has one ("Install <install>"), a bare target without its
    brackets ("<https://x.org>"), else its text ("~pkg.Client" as "Client")."""
    text = match["text"]
    if titled := re.fullmatch(r"(?s)(.*?)\s*<(?P<target>[^<>]+)>", text):
        return titled[1] or titled["target"]
    return text.removeprefix("~").rpartition(".")[2] if text.startswith("~") else text.removeprefix("!")

"""A web page's text as a browser lays it out, without what is not the page's content.

Inline elements (a link, ``<em>``, ``<code>``, ``<kbd>``) flow within their sentence and block elements (a
paragraph, a heading, a list item) start lines, as on screen: a sentence is not cut into a line per element.
``<pre>`` keeps its lines and indentation (code reads as written); a table row is one line, ``cell | cell``.
Where a page marks its main content (``<main>``, ``role="main"``, as docs and help-centre generators do), only
that and the page's title are read: site headers, footers, search boxes, theme menus and help pop-ups are on every
page, and as chunks they match questions on their words while answering none. Navigation (``<nav>``,
``role="navigation"``: a docs sidebar is the whole table of contents), elements marked ``hidden``, scripts and
styles, and heading permalinks ("¶", "#") are not read either, unless that leaves nothing (a contents page).
A page in a legacy encoding that says so (``<meta charset="windows-1252">``, as Word saves pages) is read in it.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

from ragvsft.errors import UnreadableFile
from ragvsft.textforms import decode, paragraphs

LINE, PARAGRAPH = "\n", "\n\n"
# What a block element starts and ends with; every other element is inline.
_BREAKS = {name: PARAGRAPH for name in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "hr",
                                        "details", "section", "article", "header", "footer", "main", "aside",
                                        "address", "fieldset", "form", "pre", "table")}
_BREAKS |= {name: LINE for name in ("div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "br", "caption", "figcaption",
                                    "summary", "option", "legend", "nav", "center")}
_NOT_TEXT = ["script", "style", "noscript", "template"]
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML's white space (a no-break space is text)
_PERMALINK = {"", "¶", "#", "§", "🔗", "link"}  # what a heading's "link to this section" anchor shows
# A page's own word on its encoding (<meta charset>, or the http-equiv form), where browsers look for it: the first
# 1,024 bytes. Pages saved from Word ("Web Page, Filtered") and older sites declare windows-1252 or ISO-8859-1.
_DECLARED = re.compile(rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*(?P<name>[\w.:-]{1,40})", re.IGNORECASE)
# The encodings a page may declare (the legacy ones of the WHATWG Encoding standard, by Python's codec names); any
# other name (a typo, "unicode_escape") is not an encoding a page is in.
_LEGACY = re.compile(r"cp125\d|cp866|cp874|iso8859-\d+|koi8-[ru]|mac-(?:roman|cyrillic)|shift_jis|euc_jp|euc_kr|gb2312|"
                     r"gbk|gb18030|big5(?:hkscs)?|iso2022_jp|tis-620")
# ISO-8859-1 and ASCII mean windows-1252 to a browser (the Encoding standard), so "€" typed in Word survives.
_AS_BROWSERS_READ = {"iso8859-1": "cp1252", "ascii": "cp1252"}
_PYTHON_NAMES = {"windows-874": "cp874", "x-mac-cyrillic": "mac-cyrillic"}  # labels Python's codecs do not know


def read_html(raw: bytes) -> str:
    r"""The text of a web page (see the module's description).

    Example:
        >>> print(read_html(b"<title>Install</title><header>Docs home | Search</header><main><h1>Install<a "
        ...                 b"class='headerlink' href='#install'>\xc2\xb6</a></h1><p>Press <kbd>Esc</kbd>, then "
        ...                 b"<em>run</em>:</p><pre>if ok:\n    go()</pre><ul><li>one</li><li>two</li></ul></main>"))
        Install
        <BLANKLINE>
        Press Esc, then run:
        <BLANKLINE>
        if ok:
            go()
        <BLANKLINE>
        one
        two
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decoded(raw), "html.parser")
    for tag in soup(_NOT_TEXT):
        tag.decompose()
    _tables_as_rows(soup)
    title = " ".join(soup.title.get_text(" ").split()) if soup.title else ""
    mains = [t for t in soup.find_all(_is_main) if t.find_parent(_is_main) is None]
    for drop_navigation in (True, False):
        for roots in (mains, [soup]):
            body = "\n\n".join(filter(None, (_text(root, drop_navigation) for root in roots)))
            if body:  # the title first, unless the page opens with it ("Install" under "Install - ACME Docs")
                first = body.partition("\n")[0].strip()
                return paragraphs(body if first and first.casefold() in title.casefold() else f"{title}\n\n{body}")
    return title


def _decoded(raw: bytes) -> str:
    """The page's text: in the legacy encoding it declares, if it declares one (a byte-order mark overrides, as in a
    browser), else as :func:`ragvsft.textforms.decode` reads any file (UTF-8, or UTF-16 by its byte-order mark)."""
    declared = _DECLARED.search(raw[:1024])
    if declared is None or raw.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return decode(raw)
    try:
        label = declared["name"].decode("ascii").lower()
        name = codecs.lookup(_PYTHON_NAMES.get(label, label)).name
    except (LookupError, UnicodeDecodeError):
        return decode(raw)
    name = _AS_BROWSERS_READ.get(name, name)
    if not _LEGACY.fullmatch(name):
        return decode(raw)
    try:
        return raw.decode(name)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"not valid {label}, the encoding its <meta charset> declares "
                             f"(byte {exc.start}); re-save it as UTF-8") from None


def _is_main(tag: Any) -> bool:
    return tag.name == "main" or tag.get("role") == "main"


def _tables_as_rows(soup: Any) -> None:
    """Each table as its rows, ``cell | cell`` a line (as a Word table's and a Markdown table's): with a line per
    cell, a figure would stand apart from the label it answers. Innermost tables first, so a nested one reads in
    place; the rows stand in a ``<pre>``, so they keep their lines."""
    for table in reversed(soup.find_all("table")):
        rows = ([" ".join(cell.get_text(" ").split()) for cell in row.find_all(["td", "th"], recursive=False)]
                for row in table.find_all("tr"))
        pre = soup.new_tag("pre")
        pre.string = "\n".join(" | ".join(cells) for cells in rows if any(cells))
        table.replace_with(pre)


def _text(root: Any, drop_navigation: bool) -> str:
    """The text under ``root``, laid out: walked with a stack, not recursion, so a page nested 100,000 deep reads."""
    from bs4 import NavigableString

    parts: list[str] = []
    pending = ""  # the break owed before the next text: none, a line or a paragraph
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            pending = max(pending, _BREAKS[node.name], key=len)
            continue
        if isinstance(node, NavigableString):
            if type(node).__name__ not in ("NavigableString", "CData"):  # a comment, a doctype
                continue
            text = _SPACE.sub(" ", str(node))
            if pending or not parts:
                text = text.lstrip(" ")
            if text:
                if pending and parts:
                    parts[-1] = parts[-1].rstrip(" ")
                    parts.append(pending)
                parts.append(text)
                pending = ""
            continue
        if node.name in ("head", "title") or _is_hidden(node) or _is_permalink(node) or (
                drop_navigation and (node.name == "nav" or node.get("role") == "navigation")):
            continue
        if node.name == "pre":  # as written: its lines and indentation are the code's
            if code := node.get_text().strip("\n"):
                if parts:
                    parts[-1] = parts[-1].rstrip(" ")
                parts += [PARAGRAPH, code] if parts else [code]
                pending = PARAGRAPH
            continue
        if breaks := _BREAKS.get(node.name):
            pending = max(pending, breaks, key=len)
            stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    return "".join(parts).strip()


def _is_hidden(tag: Any) -> bool:
    """Marked as not shown: the ``hidden`` attribute, or an inline style that hides it."""
    return tag.has_attr("hidden") or bool(_HIDDEN_STYLE.search(str(tag.get("style", ""))))


def _is_permalink(tag: Any) -> bool:
    """A heading's "link to this section" anchor (Sphinx's "¶", GitHub's and Hugo's "#")."""
    return tag.name == "a" and str(tag.get("href", "")).startswith("#") and tag.get_text().strip() in _PERMALINK

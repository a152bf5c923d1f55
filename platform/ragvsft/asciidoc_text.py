"""An AsciiDoc page (what Antora and Asciidoctor sites are written in) as it renders: its text without the markup
a reader never sees: attribute entries (``:toc: left``), comments, block attribute lines (``[source,python]``),
delimiter lines (``----``), ``include::`` and ``toc::`` directives, and the targets of cross references and links
(``xref:install.adoc[Installing]`` reads "Installing"). An admonition block keeps its kind ("Note:").
"""

from __future__ import annotations

import re

from ragvsft.textforms import decode, normalize, paragraphs

_ATTRIBUTE_ENTRY = re.compile(r"^:!?[\w-]+!?:(?:[ \t].*)?$")
_BLOCK_ATTRIBUTES = re.compile(r"^\[\[?(?P<style>[^\]\n]*)\]\]?[ \t]*$")  # [source,python], [NOTE], [[anchor]], [#id]
_ADMONITIONS = {"NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"}
_LISTING = re.compile(r"^(?:-{4,}|\.{4,})[ \t]*$")  # a listing or literal block's delimiter: its lines are code
_DELIMITER = re.compile(r"^(?:={4,}|\*{4,}|_{4,}|\+{4,}|--)[ \t]*$")  # example, sidebar, quote, passthrough, open
_COMMENT_BLOCK = re.compile(r"^/{4,}[ \t]*$")
_DROPPED_MACRO = re.compile(r"^(?:include|toc|ifdef|ifndef|ifeval|endif)::[^\n]*\[[^\]\n]*\][ \t]*$")
_IMAGE = re.compile(r"^image::[^\[\n]*\[(?P<alt>[^,\]\n]*)[^\]\n]*\][ \t]*$")
# xref:page.adoc[Title], link:https://x[Text], https://x[Text], kbd:[Ctrl+C], btn:[Save]: the text in brackets.
# Found as a word (a run without spaces or brackets, tried once from its start: a line of 200,000 "(xref:" is one
# pass, not 200,000 scans to its end) followed by a bracketed text, whose word holds a macro's name.
_BRACKETED = re.compile(r"(?<![^\s\[\]])(?P<word>[^\s\[\]]*)\[(?P<text>[^\[\]\n]*)\]")
_MACRO_NAME = re.compile(r"(?:^|(?<=[(\"'*_{]))(?:xref|link|mailto|kbd|btn|menu|footnote|https?|ftp):")
# <<anchor,Text>> reads as its text, <<anchor>> as the anchor's name; "<" ends an anchor, so a run of "<<" is linear.
_CROSS_REFERENCE = re.compile(r"<<(?P<anchor>[^,<>\n]+)(?:,\s*(?P<text>[^<>\n]+))?>>")


def read_asciidoc(raw: bytes) -> str:
    r"""An AsciiDoc file's text as its page shows it.

    Example:
        >>> print(read_asciidoc(b"= Install\n:toc: left\n\n// TODO: macOS\n[NOTE]\n====\nStop the service.\n====\n\n"
        ...                     b"[source,c]\n----\nrun(); // xref:a[b]\n----\n\nSee xref:upgrade.adoc[Upgrading] and "
        ...                     b"<<checks,the checklist>>; press kbd:[Ctrl+C]."))
        = Install
        <BLANKLINE>
        Note:
        Stop the service.
        <BLANKLINE>
        run(); // xref:a[b]
        <BLANKLINE>
        See Upgrading and the checklist; press Ctrl+C.
    """
    kept: list[str] = []
    in_comment = in_listing = False
    for line in normalize(decode(raw)).split("\n"):
        if not in_comment and _LISTING.match(line):
            in_listing = not in_listing
            continue
        if in_listing:  # code, shown as written
            kept.append(line)
            continue
        if _COMMENT_BLOCK.match(line):
            in_comment = not in_comment
            continue
        if in_comment or line.startswith("//") or _ATTRIBUTE_ENTRY.match(line) or _DELIMITER.match(line) \
                or _DROPPED_MACRO.match(line):
            continue
        if attributes := _BLOCK_ATTRIBUTES.match(line):
            style = attributes["style"].split(",")[0].strip()
            if style in _ADMONITIONS:
                kept.append(f"{style.capitalize()}:")
            continue
        if image := _IMAGE.match(line):
            if image["alt"].strip():
                kept.append(image["alt"].strip())
            continue
        line = _BRACKETED.sub(_macro_text, line)
        kept.append(_CROSS_REFERENCE.sub(lambda m: m["text"] or m["anchor"].replace("_", " ").replace("-", " "), line))
    return paragraphs("\n".join(kept))


def _macro_text(match: re.Match[str]) -> str:
    """A bracketed text after a word: the text alone where the word ends in an inline macro ("see (xref:a.adoc"),
    as written otherwise."""
    word = match["word"]
    if name := _MACRO_NAME.search(word):
        return word[:name.start()] + match["text"]
    return match[0]

"""An AsciiDoc page (what Antora and Asciidoctor sites are written in) as it renders: its text without the markup
a reader never sees: attribute entries (``:toc: left``), comments, block attribute lines (``[source,python]``),
delimiter lines (``----``), ``include::`` and ``toc::`` directives, and the targets of cross references and links
(``xref:install.adoc[Installing]`` reads "Installing"). An admonition block keeps its kind ("Note:").

Attribute references read as the values the page sets (``:product: Pump X-200`` then ``{product}`` reads "Pump
X-200"; docs name products and versions this way, and a question names the product, not ``{product}``), and the
built-in ones as their characters (``{nbsp}``, ``{plus}``); a reference the page does not set stays as written, as
Asciidoctor leaves it. ``ifdef::``/``ifndef::`` keep or leave out their lines by the attributes the page sets (a site
build is not ``env-github``); ``ifeval::`` blocks are kept. Attributes an Antora component's ``antora.yml`` sets
come in as ``defined`` (:mod:`ragvsft.antora`); those of a playbook or the command line are not known here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from ragvsft.textforms import decode, normalize, paragraphs

_ATTRIBUTE_ENTRY = re.compile(r"^:(?P<unset>!?)(?P<name>\w[\w-]*)(?P<unset_after>!?):(?:[ \t]+(?P<value>.*))?$")
# A reference; "\{name}" is one written out. A name runs to "}" or to a character no name holds, so a line of
# 1 MB of "{" or of "{a" is one pass.
_REFERENCE = re.compile(r"(?P<escape>\\?)\{(?P<name>\w[\w-]*)\}")
# Asciidoctor's character replacement attributes (what it defines before a page sets any).
_BUILT_IN = {"blank": "", "empty": "", "sp": " ", "nbsp": "\u00a0", "zwsp": "", "wj": "", "apos": "'", "quot": '"',
             "lsquo": "\u2018", "rsquo": "\u2019", "ldquo": "\u201c", "rdquo": "\u201d", "deg": "\u00b0", "plus": "+",
             "brvbar": "\u00a6", "vbar": "|", "amp": "&", "lt": "<", "gt": ">", "startsb": "[", "endsb": "]",
             "caret": "^", "asterisk": "*", "tilde": "~", "backslash": "\\", "backtick": "`", "two-colons": "::",
             "two-semicolons": ";;", "cpp": "C++", "cxx": "C++", "pp": "++"}
# ifdef::a,b[] (any set), ifdef::a+b[] (all set), ifndef (the reverse); with text in the brackets, one line.
_CONDITIONAL = re.compile(r"^(?P<kind>ifdef|ifndef)::(?P<names>[\w,+-]+)\[(?P<text>[^\n]*)\][ \t]*$")
_END_CONDITIONAL = re.compile(r"^endif::[\w,+-]*\[\][ \t]*$")
_SUBS = re.compile(r"\bsubs\s*=")  # [source,sh,subs="attributes+"]: the listing's references are replaced
_ATTRIBUTES_ADDED = re.compile(r"(?<!-)\battributes\b")
_BLOCK_ATTRIBUTES = re.compile(r"^\[\[?(?P<style>[^\]\n]*)\]\]?[ \t]*$")  # [source,python], [NOTE], [[anchor]], [#id]
_ADMONITIONS = {"NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"}
_LISTING = re.compile(r"^(?:-{4,}|\.{4,})[ \t]*$")  # a listing or literal block's delimiter: its lines are code
_DELIMITER = re.compile(r"^(?:={4,}|\*{4,}|_{4,}|\+{4,}|--)[ \t]*$")  # example, sidebar, quote, passthrough, open
_COMMENT_BLOCK = re.compile(r"^/{4,}[ \t]*$")
_DROPPED_MACRO = re.compile(r"^(?:include|toc)::[^\n]*\[[^\]\n]*\][ \t]*$")
_EVAL = re.compile(r"^ifeval::\[[^\n]*\][ \t]*$")
_IMAGE = re.compile(r"^image::[^\[\n]*\[(?P<alt>[^,\]\n]*)[^\]\n]*\][ \t]*$")
# xref:page.adoc[Title], link:https://x[Text], https://x[Text], kbd:[Ctrl+C], btn:[Save]: the text in brackets.
# Found as a word (a run without spaces or brackets, tried once from its start: a line of 200,000 "(xref:" is one
# pass, not 200,000 scans to its end) followed by a bracketed text, whose word holds a macro's name.
_BRACKETED = re.compile(r"(?<![^\s\[\]])(?P<word>[^\s\[\]]*)\[(?P<text>[^\[\]\n]*)\]")
_MACRO_NAME = re.compile(r"(?:^|(?<=[(\"'*_{]))(?:xref|link|mailto|kbd|btn|menu|footnote|https?|ftp):")
# <<anchor,Text>> reads as its text, <<anchor>> as the anchor's name; "<" ends an anchor, so a run of "<<" is linear.
_CROSS_REFERENCE = re.compile(r"<<(?P<anchor>[^,<>\n]+)(?:,\s*(?P<text>[^<>\n]+))?>>")


def read_asciidoc(raw: bytes, defined: Mapping[str, str] | None = None) -> str:
    r"""An AsciiDoc file's text as its page shows it; ``defined`` are attributes set before its first line (what
    an Antora site's ``antora.yml`` sets: :mod:`ragvsft.antora`).

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
    text = normalize(decode(raw))
    attributes = _Attributes(budget=len(text) + 1_000_000, defined=defined or {})
    skipping = [False]  # per open ifdef/ifndef/ifeval block (and the page): are its lines left out
    in_comment = in_listing = listing_subs = False
    style_line = ""  # the block attribute line just read: its subs= decide a listing's references
    title: int | None = None  # where the page's title is in ``kept`` until the header (which may set what it cites) ends
    lines = iter(text.split("\n"))
    for line in lines:
        # Conditionals are read before any block (Asciidoctor's preprocessor), so inside listings too.
        if _END_CONDITIONAL.match(line):
            if len(skipping) > 1:
                skipping.pop()
            continue
        if _EVAL.match(line):  # not evaluated here: its lines are kept
            skipping.append(skipping[-1])
            continue
        if conditional := _CONDITIONAL.match(line):
            shown = attributes.hold(conditional["names"]) == (conditional["kind"] == "ifdef")
            if conditional["text"]:  # ifdef::name[text]: one line, no endif
                if shown and not skipping[-1]:
                    kept.append(attributes.replace(conditional["text"]))
            else:
                skipping.append(skipping[-1] or not shown)
            continue
        if skipping[-1]:
            continue
        if title is not None and not line.strip():
            kept[title], title = _inline(attributes.replace(kept[title])), None
        if not in_comment and _LISTING.match(line):
            in_listing = not in_listing
            listing_subs = in_listing and _substitutes_attributes(style_line)
            continue
        if in_listing:  # code, shown as written
            kept.append(attributes.replace(line) if listing_subs else line)
            continue
        if _COMMENT_BLOCK.match(line):
            in_comment = not in_comment
            continue
        if in_comment or line.startswith("//") or _DELIMITER.match(line) or _DROPPED_MACRO.match(line):
            continue
        if entry := _ATTRIBUTE_ENTRY.match(line):
            attributes.set(entry, lines)
            continue
        if block := _BLOCK_ATTRIBUTES.match(line):
            style_line = line
            style = block["style"].split(",")[0].strip()
            if style in _ADMONITIONS:
                kept.append(f"{style.capitalize()}:")
            continue
        style_line = ""
        if not kept and line.startswith("= "):
            title = 0
            kept.append(line)
            continue
        line = attributes.replace(line)
        if image := _IMAGE.match(line):
            if image["alt"].strip():
                kept.append(image["alt"].strip())
            continue
        kept.append(_inline(line))
    if title is not None:
        kept[title] = _inline(attributes.replace(kept[title]))
    return paragraphs("\n".join(kept))


def _inline(line: str) -> str:
    """A line's macros and cross references as their text."""
    line = _BRACKETED.sub(_macro_text, line)
    return _CROSS_REFERENCE.sub(lambda m: m["text"] or m["anchor"].replace("_", " ").replace("-", " "), line)


class _Attributes:
    """The attributes a page has set so far, and what its references read as. The text they add is bounded (a
    hostile page doubling a value line after line, then citing it, would otherwise need exabytes): past
    ``budget`` added characters, references stay as written."""

    def __init__(self, budget: int, defined: Mapping[str, str]) -> None:
        self.values = _BUILT_IN | {name.lower(): value for name, value in defined.items()}
        self.budget = budget

    def set(self, entry: re.Match[str], rest: Iterator[str]) -> None:
        """Sets (or, with "!", unsets) the attribute an entry line names; a value ending in " \\" goes on over the
        next lines (read from ``rest``). References in the value read as the values set before it."""
        name = entry["name"].lower()
        if entry["unset"] or entry["unset_after"]:
            self.values.pop(name, None)
            return
        parts = [(entry["value"] or "").strip()]
        while parts[-1].endswith(" \\"):
            parts[-1] = parts[-1][:-2].rstrip()
            parts.append(next(rest, "").strip())
        self.values[name] = self.replace(" ".join(p for p in parts if p))

    def replace(self, text: str) -> str:
        """``text`` with each reference as its value; unknown and escaped ones as written."""
        def value(match: re.Match[str]) -> str:
            if match["escape"]:
                return match[0][1:]
            found = self.values.get(match["name"].lower())
            if found is None or len(found) > self.budget:
                return match[0]
            self.budget -= len(found)
            return found
        return _REFERENCE.sub(value, text) if "{" in text else text

    def hold(self, names: str) -> bool:
        """Whether an ``ifdef``'s condition holds: any of "a,b" set, all of "a+b" set."""
        if "+" in names:
            return all(n.lower() in self.values for n in names.split("+") if n)
        return any(n.lower() in self.values for n in names.split(",") if n)


def _substitutes_attributes(style_line: str) -> bool:
    """Whether a listing's block attribute line adds attribute references to its substitutions."""
    subs = _SUBS.search(style_line)
    return subs is not None and _ATTRIBUTES_ADDED.search(style_line, subs.end()) is not None


def _macro_text(match: re.Match[str]) -> str:
    """A bracketed text after a word: the text alone where the word ends in an inline macro ("see (xref:a.adoc"),
    as written otherwise. A link's text drops its attributes (``Docs,window=_blank``, ``Docs^``); a link or cross
    reference without text shows its target, as Asciidoctor does (``link:https://x.org/[]`` reads the address)."""
    word = match["word"]
    if not (name := _MACRO_NAME.search(word)):
        return match[0]
    text, target = match["text"], word[name.end():]
    kind = name[0].rstrip(":")
    if kind not in ("kbd", "btn", "menu", "footnote"):
        first, comma, rest = text.partition(",")
        text = (first if comma and "=" in rest else text).removesuffix("^")
        if not text.strip():
            text = target if kind in ("xref", "link", "mailto") else f"{kind}:{target}"
    return word[:name.start()] + text

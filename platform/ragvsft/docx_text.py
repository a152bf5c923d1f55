"""A Word (2007 and later) ``.docx`` as Word shows its body: paragraphs one per line, a table's rows as
``cell | cell`` lines, and the numbers Word puts before numbered paragraphs (:mod:`ragvsft.list_numbers`);
headers, footers, footnotes and comments are left out.

A .docx is a zip archive: ``word/document.xml`` holds the body, ``word/numbering.xml`` its lists and
``word/styles.xml`` its styles (a heading style may number the headings); ``ragvsft.office_zip`` opens them.
"""

from __future__ import annotations

from xml.etree import ElementTree

from ragvsft.list_numbers import Level, ListCounters
from ragvsft.office_zip import OLE_MAGIC, main_part, opened, parsed, part, read_renamed, whole_number
from ragvsft.tables import row_line
from ragvsft.textforms import paragraphs

BREAKS = {"tab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"}
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def read_docx(raw: bytes) -> str:
    """The text of a Word document's body (see the module's description)."""
    if raw.startswith(OLE_MAGIC):  # a 97-2003 .doc renamed .docx (or a password-protected .docx)
        from ragvsft.doc_text import read_doc

        return read_renamed(raw, ".docx", ("WordDocument",), read_doc)
    with opened(raw, app="Word", suffix=".docx", main="word/document.xml") as archive:
        body = main_part(archive, "word/document.xml", what="text")
        numbering = Numbering(part(archive, "word/numbering.xml", optional=True),
                              part(archive, "word/styles.xml", optional=True))
    return paragraphs(_text(body, numbering))


def _text(element: ElementTree.Element, numbering: Numbering) -> str:
    parts = []
    for child in element:
        tag = child.tag.rpartition("}")[2]
        if tag.endswith("Pr") or tag == "Fallback":
            continue  # properties (a tab stop is a <w:tab> too); an AlternateContent's fallback repeats its choice
        if tag == "t":
            parts.append(child.text or "")
        elif tag in BREAKS:
            parts.append(BREAKS[tag])
        elif tag == "tr":
            if line := row_line(_text(cell, numbering) for cell in child if cell.tag.endswith("}tc")):
                parts.append(line + "\n")
        elif tag == "p":
            label = numbering.label(child)
            parts.append((f"{label} " if label else "") + _text(child, numbering) + "\n")
        else:  # runs, hyperlinks, content controls, text boxes: their text in document order
            parts.append(_text(child, numbering))
    return "".join(parts)


class Numbering:
    """The numbers Word shows before numbered paragraphs, counted in document order as Word counts them: each
    level from its start value, deeper levels starting again when a shallower one counts on, a list restarted
    where the document restarts it (a start override) and continued where two lists share one definition.

    Example:
        >>> xml = (f'<w:numbering xmlns:w="{W[1:-1]}"><w:abstractNum w:abstractNumId="7">'
        ...        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        ...        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%2)"/></w:lvl>'
        ...        '</w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="7"/></w:num></w:numbering>').encode()
        >>> numbering = Numbering(xml, b"")
        >>> def item(level):
        ...     return ElementTree.fromstring(f'<w:p xmlns:w="{W[1:-1]}"><w:pPr><w:numPr><w:ilvl w:val="{level}"/>'
        ...                                   '<w:numId w:val="1"/></w:numPr></w:pPr></w:p>')
        >>> [numbering.label(item(level)) for level in (0, 1, 1, 0, 1)]
        ['1.', '(a)', '(b)', '2.', '(a)']
    """

    def __init__(self, numbering_xml: bytes, styles_xml: bytes) -> None:
        self.levels: dict[str, dict[int, Level]] = {}  # abstract list -> its levels
        self.lists: dict[str, tuple[str, dict[int, int]]] = {}  # list -> (its abstract list, level -> start override)
        self.counters = ListCounters()
        styled_levels: dict[tuple[str, str], int] = {}  # (abstract list, paragraph style) -> the level it numbers
        numbering = parsed(numbering_xml)
        for definition in numbering.iter(f"{W}abstractNum"):
            abstract = definition.get(f"{W}abstractNumId", "")
            levels = self.levels.setdefault(abstract, {})
            for lvl in definition.iter(f"{W}lvl"):
                level = whole_number(lvl.get(f"{W}ilvl"), 0)
                levels[level] = Level(whole_number(_val(lvl, "start"), 1), _val(lvl, "numFmt") or "decimal",
                                      _val(lvl, "lvlText") or "", lvl.find(f"{W}isLgl") is not None)
                if style := _val(lvl, "pStyle"):
                    styled_levels[(abstract, style)] = level
        for instance in numbering.iter(f"{W}num"):
            overrides = {whole_number(o.get(f"{W}ilvl"), 0): whole_number(_val(o, "startOverride"), 1)
                         for o in instance.iter(f"{W}lvlOverride") if _val(o, "startOverride") is not None}
            self.lists[instance.get(f"{W}numId", "")] = (_val(instance, "abstractNumId") or "", overrides)
        self.styles = self._style_numbers(parsed(styles_xml), styled_levels)

    def label(self, paragraph: ElementTree.Element) -> str:
        """The number Word shows before ``paragraph`` ("" for none, or a bullet), counting it."""
        properties = paragraph.find(f"{W}pPr")
        numbered = properties.find(f"{W}numPr") if properties is not None else None
        style = _val(properties, "pStyle") if properties is not None else None
        list_id, level = self.styles.get(style or "", (None, 0))
        if numbered is not None:
            list_id = _val(numbered, "numId") or list_id
            level = whole_number(_val(numbered, "ilvl"), level)
        if list_id is None or list_id not in self.lists:  # numId 0 switches a style's numbering off
            return ""
        abstract, overrides = self.lists[list_id]
        # Two lists sharing a definition count on together, unless one restarts it.
        return self.counters.label(list_id if overrides else abstract, self.levels.get(abstract, {}), level, overrides)

    def _style_numbers(self, styles: ElementTree.Element,
                       styled_levels: dict[tuple[str, str], int]) -> dict[str, tuple[str, int]]:
        """Paragraph style -> (list, level) for the styles that number their paragraphs (headings, most often),
        directly or through the style they are based on."""
        own: dict[str, tuple[str | None, int | None]] = {}
        based_on: dict[str, str] = {}
        for style in styles.iter(f"{W}style"):
            style_id = style.get(f"{W}styleId", "")
            if (parent := _val(style, "basedOn")) is not None:
                based_on[style_id] = parent
            if (numbered := style.find(f"{W}pPr/{W}numPr")) is not None:
                level = _val(numbered, "ilvl")
                own[style_id] = (_val(numbered, "numId"), None if level is None else whole_number(level, 0))
        found = {}
        for style_id in {*own, *based_on}:
            at, seen = style_id, set()
            while at not in own and at in based_on and at not in seen:  # a loop in a broken file ends here
                seen.add(at)
                at = based_on[at]
            list_id, level = own.get(at, (None, None))
            if list_id:
                abstract = self.lists.get(list_id, ("", {}))[0]
                found[style_id] = (list_id, level if level is not None else styled_levels.get((abstract, style_id), 0))
        return found


def _val(element: ElementTree.Element, child: str) -> str | None:
    found = element.find(f"{W}{child}")
    return None if found is None else found.get(f"{W}val")

"""The numbers a Word 97-2003 ``.doc`` shows before its numbered paragraphs, read from its list tables and
stylesheet ([MS-DOC]) and counted by :class:`ragvsft.list_numbers.ListCounters`, as a .docx's are.

A paragraph points at a list use (its ``ilfo``, 1-based, in the PlfLfo) and a level (``ilvl``), itself or through
its style (a heading style numbers its headings), a style inheriting from the style it is based on. A list use
names a list definition (by its ``lsid``, in the PlfLst) and may restart levels. A definition has nine levels (one
for a simple list), each an LVL record after the PlfLst: start, number format, flags (legal numbering) and a text
whose placeholder characters (their positions in ``rgbxchNums``) stand for the numbers of levels 0-8.
"""

from __future__ import annotations

import struct

from ragvsft.doc_format import sprms, stream_slice
from ragvsft.list_numbers import Level, ListCounters

LIST_USE, LIST_LEVEL = 0x460B, 0x260A  # paragraph properties sprmPIlfo and sprmPIlvl
NO_STYLE = 0xFFF  # istdBase of a style based on none
# Word 97's number formats (nfc) by the names a .docx gives them; others are written in digits.
FORMATS = {0: "decimal", 1: "upperRoman", 2: "lowerRoman", 3: "upperLetter", 4: "lowerLetter", 5: "ordinal",
           22: "decimalZero", 23: "bullet", 255: "none"}
LEGAL = 0x04  # LVLF flag fLegal: every number in the level's text written in digits


class DocLists:
    """A document's lists and the styles that number paragraphs; :meth:`label` counts as the paragraphs come.

    A damaged list table or stylesheet numbers nothing rather than stopping the document's text from being read.
    """

    def __init__(self, table: bytes, *, lists: tuple[int, int], uses: tuple[int, int], styles: tuple[int, int]) -> None:
        self.definitions: dict[int, dict[int, Level]] = {}  # lsid -> level -> Level
        self.uses: list[tuple[int, dict[int, int]]] = []  # by ilfo - 1: (lsid, level -> start override)
        self.styles: dict[int, tuple[int | None, int | None, int]] = {}  # istd -> (ilfo, ilvl, istd based on)
        self.counters = ListCounters()
        self.restarted: set[tuple[int, int]] = set()  # (ilfo, ilvl) pairs whose restart has been counted
        try:
            self._read_definitions(table, *lists)
            self._read_uses(table, *uses)
            self._read_styles(stream_slice(table, styles))
        except (struct.error, IndexError, ValueError):
            pass  # what was read before the damage stays

    def label(self, style: int, own: dict[int, bytes]) -> str:
        """The number shown before a paragraph of ``style`` whose own properties are ``own`` ("" for none or a
        bullet), counting it."""
        inherited_use, inherited_level = self._style_numbering(style)
        own_use, own_level = _numbering(own)
        use = inherited_use if own_use is None else own_use
        level = inherited_level if own_level is None else own_level
        if use is None or not 0 < use <= len(self.uses):  # 0 switches a style's numbering off
            return ""
        definition, starts = self.uses[use - 1]
        level = level or 0
        # Every use of a definition counts on one count; a use that restarts a level restarts it where it is first
        # used, and the paragraphs after count on from there, whichever use they name (as Word 97 counts).
        restart = level in starts and (use, level) not in self.restarted
        self.restarted.add((use, level))
        return self.counters.label(definition, self.definitions.get(definition, {}), level, starts, restart=restart)

    def _style_numbering(self, style: int) -> tuple[int | None, int | None]:
        """(ilfo, ilvl) a style gives its paragraphs, itself or through the styles it is based on."""
        use = level = None
        seen = set()
        while style in self.styles and style not in seen and (use is None or level is None):
            seen.add(style)  # a loop in a damaged stylesheet ends here
            own_use, own_level, style = self.styles[style]
            use = own_use if use is None else use
            level = own_level if level is None else level
        return use, level

    def _read_definitions(self, table: bytes, offset: int, size: int) -> None:
        """The PlfLst (a count, then 28-byte LSTFs), and after it every definition's LVLs in order."""
        if size < 2:
            return
        (count,) = struct.unpack_from("<h", table, offset)
        headers = []
        for index in range(min(max(count, 0), (size - 2) // 28)):
            at = offset + 2 + 28 * index
            (lsid,) = struct.unpack_from("<i", table, at)
            headers.append((lsid, 1 if table[at + 26] & 0x01 else 9))  # fSimpleList: one level
        at = offset + size
        for lsid, count in headers:
            levels = {}
            for level in range(count):
                levels[level], at = _level(table, at)
            self.definitions[lsid] = levels

    def _read_uses(self, table: bytes, offset: int, size: int) -> None:
        """The PlfLfo: a count, 16-byte LFOs, then each one's LFOData (a cp and its level overrides)."""
        if size < 4:
            return
        (count,) = struct.unpack_from("<I", table, offset)
        count = min(count, (size - 4) // 16)
        headers = [(struct.unpack_from("<i", table, offset + 4 + 16 * i)[0], table[offset + 4 + 16 * i + 12])
                   for i in range(count)]
        at = offset + 4 + 16 * count
        for lsid, overrides in headers:
            starts = {}
            at += 4  # the LFOData's cp
            for _ in range(overrides):
                start, flags = struct.unpack_from("<iI", table, at)
                at += 8
                if flags & 0x10:  # fStartAt: the level restarts at start
                    starts[flags & 0x0F] = start
                if flags & 0x20:  # fFormatting: a whole LVL follows (its formats are not read here)
                    _, at = _level(table, at)
            self.uses.append((lsid, starts))

    def _read_styles(self, stsh: bytes) -> None:
        """Each paragraph style's own ilfo and ilvl, and the style it is based on (the STSH: a header, then each
        style as a length and an STD: a base part, its name, then its paragraph properties first)."""
        if len(stsh) < 6:
            return
        header_size, count, base_size = struct.unpack_from("<HHH", stsh, 0)
        at = 2 + header_size
        for istd in range(count):
            if at + 2 > len(stsh):
                return
            (size,) = struct.unpack_from("<H", stsh, at)
            std, at = stsh[at + 2:at + 2 + size], at + 2 + size
            if size < max(base_size, 10) + 2:
                continue  # an empty slot
            (kind_and_base,) = struct.unpack_from("<H", std, 2)
            if kind_and_base & 0x0F != 1:
                continue  # not a paragraph style
            (name_length,) = struct.unpack_from("<H", std, base_size)
            upx = base_size + 2 + 2 * name_length + 2
            upx += upx % 2  # properties start at an even offset
            (upx_size,) = struct.unpack_from("<H", std, upx)
            own = dict(sprms(std[upx + 4:upx + 2 + upx_size]))  # after the style's own istd
            self.styles[istd] = (*_numbering(own), kind_and_base >> 4)


def _numbering(properties: dict[int, bytes]) -> tuple[int | None, int | None]:
    """The (ilfo, ilvl) paragraph properties set (None for one they leave to the style)."""
    use = int.from_bytes(properties[LIST_USE], "little", signed=True) if LIST_USE in properties else None
    return use, properties[LIST_LEVEL][0] if LIST_LEVEL in properties else None


def _level(table: bytes, at: int) -> tuple[Level, int]:
    """The LVL at ``at`` and where the next one starts: its 28-byte LVLF, its paragraph and character properties
    (skipped), then its text (a 16-bit count and UTF-16 characters), placeholders made ``%1``-``%9``."""
    start, number_format, flags = struct.unpack_from("<iBB", table, at)
    places = table[at + 6:at + 15]
    text_at = at + 28 + table[at + 25] + table[at + 24]
    (length,) = struct.unpack_from("<H", table, text_at)
    characters = list(table[text_at + 2:text_at + 2 + 2 * length].decode("utf-16-le", "replace"))
    for place in places:
        if not place:
            break
        if place <= len(characters) and ord(characters[place - 1]) < 9:
            characters[place - 1] = f"%{ord(characters[place - 1]) + 1}"
    level = Level(start, FORMATS.get(number_format, "decimal"), "".join(characters), bool(flags & LEGAL))
    return level, text_at + 2 + 2 * length

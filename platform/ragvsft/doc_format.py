"""The records of a Word 97-2003 ``.doc`` that :mod:`ragvsft.doc_text` reads, as Microsoft's published
specification of the format, [MS-DOC], lays them out: the File Information Block (FIB) at the start of the
``WordDocument`` stream, which says where the rest is; the piece table listing where each stretch of the text
lies; the 512-byte pages of character and paragraph properties (FKPs), each property a "sprm" and its operand.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ragvsft.errors import UnreadableFile

WORD_IDENT, WORD_6_IDENT = 0xA5EC, 0xA5DC  # the FIB's first two bytes (Word 97 and later; Word 6.0 and 95)
WORD_97 = 0xC0  # nFib below this: Word 6.0 (0x65) or 95 (0x68), whose FIB has another layout
ENCRYPTED, TABLE_1 = 0x0100, 0x0200  # FIB flags: fEncrypted, fWhichTblStm
COMPRESSED = 0x40000000  # a piece's fc with this bit set: 8-bit text at (fc without it) / 2
# The size of a property's operand by its kind (the sprm's top three bits); 6 is variable, its first byte says.
OPERAND_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 2, 5: 2, 7: 3}
TABLE_DEFINITION, CHANGE_TABS = 0xD608, 0xC615  # variable-size sprms whose size is not in their first byte
OLD_WORD = ("a Word 2.0, 6.0 or 95 document (1991-95), a layout this reader does not read: open it in Word or "
            "LibreOffice and save it as .docx")


@dataclass(frozen=True)
class Fib:
    """What the reader needs from the File Information Block: flags, where the stories read lie in the text,
    and where these are in the table stream: the piece table, the character and paragraph property tables, the
    stylesheet and the list tables ((0, 0) where a file has none)."""

    flags: int
    # (first character, character after the last) of the main document, then of its text boxes (read after it:
    # a .docx's are read where they are anchored, which a .doc keeps elsewhere)
    stories: tuple[tuple[int, int], tuple[int, int]]
    pieces: tuple[int, int]  # (offset, length) of the Clx
    characters: tuple[int, int]  # PlcBteChpx
    paragraphs: tuple[int, int]  # PlcBtePapx
    styles: tuple[int, int]  # STSH
    lists: tuple[int, int]  # PlfLst (the list definitions; their levels follow it)
    list_uses: tuple[int, int]  # PlfLfo (the lists paragraphs point at, each a definition and its overrides)

    @classmethod
    def of(cls, word: bytes) -> Fib:
        ident, version = struct.unpack_from("<HH", word, 0)
        if ident == WORD_6_IDENT or (ident == WORD_IDENT and version < WORD_97):
            raise UnreadableFile(OLD_WORD)
        if ident != WORD_IDENT:
            raise UnreadableFile("its WordDocument stream does not start as a Word document's does: not a Word .doc "
                                 "(or damaged); open it in Word and save it as .docx")
        (flags,) = struct.unpack_from("<H", word, 10)
        if flags & ENCRYPTED:
            raise UnreadableFile("password-protected (encrypted): open it in Word, remove the password and save it")
        # The FIB's parts are counted: 16-bit words (csw), then 32-bit ones (cslw) whose fourth is ccpText, then
        # (offset, length) pairs in the table stream: the 2nd the STSH, the 13th the PlcBteChpx, the 14th the
        # PlcBtePapx, the 34th the Clx (piece table), the 74th and 75th the PlfLst and PlfLfo.
        (words,) = struct.unpack_from("<H", word, 32)
        longs_at = 34 + 2 * words
        (longs,) = struct.unpack_from("<H", word, longs_at)
        pairs_at = longs_at + 2 + 4 * longs
        (pairs,) = struct.unpack_from("<H", word, pairs_at)
        if longs < 10 or pairs < 34:
            raise UnreadableFile("its File Information Block is too short for Word 97-2003: damaged; open it in "
                                 "Word and save it as .docx")
        # The stories' lengths in text order: main document, footnotes, headers, (macros), comments, endnotes,
        # text boxes.
        lengths = [max(n, 0) for n in struct.unpack_from("<7i", word, longs_at + 2 + 12)]
        boxes = sum(lengths[:6])

        def pair(index: int) -> tuple[int, int]:
            return struct.unpack_from("<II", word, pairs_at + 2 + 8 * index) if index < pairs else (0, 0)

        return cls(flags, ((0, lengths[0]), (boxes, boxes + lengths[6])), pieces=pair(33), characters=pair(12),
                   paragraphs=pair(13), styles=pair(1), lists=pair(73), list_uses=pair(74))


def stream_slice(stream: bytes, where: tuple[int, int]) -> bytes:
    """The bytes at (offset, length) ``where`` in ``stream`` (fewer where it ends first)."""
    offset, length = where
    return stream[offset:offset + length]


class Runs:
    """Stretches of the WordDocument stream (by fc) whose properties ``test`` picks out, and what it said of them."""

    def __init__(self, runs: Iterator[tuple[int, int, bytes]], test: Callable[[bytes], Any]) -> None:
        found = sorted((start, end, value) for start, end, properties in runs if end > start
                       and (value := test(properties)))
        self.starts = [start for start, _, _ in found]
        self.found = found

    def at(self, fc: int) -> Any:
        """What the test said of the run holding ``fc``; None where none it picked holds it."""
        index = bisect.bisect_right(self.starts, fc) - 1
        return self.found[index][2] if index >= 0 and fc < self.found[index][1] else None

    def outside(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """The parts of ``[start, end)`` no picked run covers."""
        index = max(bisect.bisect_right(self.starts, start) - 1, 0)
        for run_start, run_end, _ in self.found[index:]:
            if run_start >= end:
                break
            if run_end <= start:
                continue
            if run_start > start:
                yield start, run_start
            start = max(start, run_end)
        if start < end:
            yield start, end


def piece_table(clx: bytes) -> Iterator[tuple[int, int, int]]:
    """The piece table: (first character, character after the last, fc) of each piece, in text order."""
    at = 0
    while at < len(clx) and clx[at] == 1:  # property modifiers of fast-saved pieces: not needed here
        at += 3 + struct.unpack_from("<H", clx, at + 1)[0]
    if at >= len(clx) or clx[at] != 2:
        raise UnreadableFile("damaged: its piece table is missing; open it in Word and save it as .docx")
    (size,) = struct.unpack_from("<I", clx, at + 1)
    table = clx[at + 5:at + 5 + size]
    count = (len(table) - 4) // 12
    positions = struct.unpack_from(f"<{count + 1}i", table, 0)
    for index in range(count):
        (fc,) = struct.unpack_from("<I", table, 4 * (count + 1) + 8 * index + 2)
        if positions[index + 1] > positions[index] >= 0:
            yield positions[index], positions[index + 1], fc


def property_runs(word: bytes, plc: bytes, *, paragraphs: bool) -> Iterator[tuple[int, int, bytes]]:
    """(fc, fc after, properties) of each run in the property pages (FKPs) a PlcBteChpx or PlcBtePapx lists: a
    list of sprms, for a paragraph after its style's number (two bytes, its istd)."""
    count = (len(plc) - 4) // 8
    for index in range(count):
        page_number = struct.unpack_from("<I", plc, 4 * (count + 1) + 4 * index)[0] & 0x3FFFFF
        page = word[page_number * 512:page_number * 512 + 512]
        if len(page) < 512:
            continue
        runs = page[511]
        entry = 13 if paragraphs else 1  # a paragraph run's entry is its offset and 12 bytes of layout data
        if 4 * (runs + 1) + entry * runs > 511:
            continue  # not a property page: damaged
        fcs = struct.unpack_from(f"<{runs + 1}I", page, 0)
        for run in range(runs):
            offset = 2 * page[4 * (runs + 1) + entry * run]
            grpprl = b""
            if offset and paragraphs:
                size = page[offset]
                grpprl = page[offset + 2:offset + 2 + 2 * page[offset + 1]] if size == 0 else page[offset + 1:offset + 2 * size]
            elif offset:
                grpprl = page[offset + 1:offset + 1 + page[offset]]
            yield fcs[run], fcs[run + 1], grpprl


def sprms(grpprl: bytes) -> Iterator[tuple[int, bytes]]:
    """The (property, operand) pairs of a list of properties (a grpprl)."""
    at = 0
    while at + 2 < len(grpprl):
        (sprm,) = struct.unpack_from("<H", grpprl, at)
        kind = sprm >> 13
        if kind != 6:
            size = OPERAND_SIZE[kind]
        elif sprm == TABLE_DEFINITION:
            size = 1 + struct.unpack_from("<H", grpprl, at + 2)[0] if at + 4 <= len(grpprl) else len(grpprl)
        elif sprm == CHANGE_TABS and grpprl[at + 2] == 255:
            return  # a tab change with deletions of its own layout: no property read here follows it
        else:
            size = 1 + grpprl[at + 2]
        if at + 2 + size > len(grpprl):
            return  # cut short: no operand is read in part
        yield sprm, grpprl[at + 2:at + 2 + size]
        at += 2 + size

"""A Word 97-2003 document (``.doc``: the policies, contracts and manuals of a records system older than .docx) as
Word shows its body, written as :mod:`ragvsft.docx_text` writes a .docx: paragraphs one per line (numbered ones
after their numbers), a table's rows as ``cell | cell`` lines, a field's result (a hyperlink's shown text, a
date) without its code, text deleted with changes tracked left out; text boxes after the body. Headers, footers,
footnotes and comments are not read.

A .doc is an OLE compound file (read with ``olefile``); :mod:`ragvsft.doc_format` reads its records. The text
lies in pieces (a fast-saved document keeps its edits in pieces appended at the end), listed in order by the piece
table, each 8-bit Windows-1252 or UTF-16. Of the paragraph and character properties only the few this reader
needs are read: which paragraph mark ends a table row, which is inside a table cell, which list and level number a
paragraph (:mod:`ragvsft.doc_lists` writes the numbers Word shows, as for a .docx), and which characters a tracked
change deleted. Word 6.0/95 files, another layout, are refused with what to do, as encrypted ones are.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

from ragvsft.doc_format import COMPRESSED, OLD_WORD, TABLE_1, Fib, Runs, piece_table, property_runs, sprms, stream_slice
from ragvsft.doc_lists import DocLists
from ragvsft.errors import UnreadableFile
from ragvsft.office_zip import content_kind, read_ole, wrong_ole_file
from ragvsft.tables import row_line
from ragvsft.textforms import paragraphs

WORD_2_MAGIC = b"\xdb\xa5"  # a Word for Windows 2.0 file: no OLE container
# Paragraph properties (sprms) read: in a table, a row's end mark (fTtp), and the depth of tables (itap).
IN_TABLE, ROW_END, DEPTH = 0x2416, 0x2417, 0x6649
DELETED = 0x0800  # character property sprmCFRMarkDel: text a tracked change deleted
# Characters that mark something in Word's text: paragraph and cell ends, breaks, fields, anchors of pictures
# and notes. Text between them is copied in one slice.
_MARKS = re.compile("[\x00-\x08\x0b-\x1f]")
_LINE_BREAK, _PAGE_BREAK, _COLUMN_BREAK = "\x0b", "\x0c", "\x0e"
_FIELD_START, _FIELD_RESULT, _FIELD_END, _CELL_END = "\x13", "\x14", "\x15", "\x07"
_HYPHENS = {"\x1e": "-", "\x1f": ""}  # a non-breaking hyphen shows as one; an optional one only at a line end


def read_doc(raw: bytes) -> str:
    r"""A Word 97-2003 document's text (see the module's description). A .docx, RTF or web page saved with a
    ``.doc`` name, which Word opens as what it is, is read as what it is.

    Example:
        >>> read_doc(rb"{\rtf1\ansi Leave is 27 days.\par}")  # an RTF letter a records system named .doc
        'Leave is 27 days.'
    """
    if content_kind(raw) != "ole":
        return _other_format(raw)
    return read_ole(raw, _read, what="Word .doc", fix="; open it in Word and save it as .docx")


def _other_format(raw: bytes) -> str:
    """A file named .doc that is no OLE file: what Word would open it as."""
    from ragvsft.docx_text import read_docx
    from ragvsft.email_text import read_web_archive
    from ragvsft.html_text import read_html
    from ragvsft.rtf_text import read_rtf

    if raw.startswith(WORD_2_MAGIC):
        raise UnreadableFile(OLD_WORD)
    readers = {"zip": read_docx, "rtf": read_rtf, "html": read_html, "mime": read_web_archive}  # mime: Word's .mht
    if (reader := readers.get(content_kind(raw) or "")) is not None:
        return reader(raw)
    raise UnreadableFile("not a Word .doc (not an OLE compound file, nor a .docx, RTF or web page); "
                         "save it from Word as .docx")


def _read(ole: Any) -> str:
    """The document's body text, from its opened compound file."""
    if not ole.exists("WordDocument"):
        raise wrong_ole_file(ole, ".doc")
    word = ole.openstream("WordDocument").read()
    fib = Fib.of(word)
    table_stream = "1Table" if fib.flags & TABLE_1 else "0Table"
    if not ole.exists(table_stream):
        raise UnreadableFile(f"damaged: its {table_stream} stream is missing; open it in Word and save it as .docx")
    table = ole.openstream(table_stream).read()
    deleted = Runs(property_runs(word, stream_slice(table, fib.characters), paragraphs=False), _deleted)
    marks = Runs(property_runs(word, stream_slice(table, fib.paragraphs), paragraphs=True), _Paragraph.of)
    lists = DocLists(table, lists=fib.lists, uses=fib.list_uses, styles=fib.styles)
    pieces = list(piece_table(stream_slice(table, fib.pieces)))
    return paragraphs("\n".join(_body(_Text(word, pieces, story, deleted), marks, lists) for story in fib.stories))


class _Text:
    """A story's text (the characters ``story`` spans), assembled from its pieces, with the file offset (fc) of
    each character: the properties are keyed by fc, the text by character position."""

    def __init__(self, word: bytes, pieces: list[tuple[int, int, int]], story: tuple[int, int],
                 deleted: Runs) -> None:
        self.starts: list[int] = []  # where each kept stretch starts in the text
        self.spans: list[tuple[int, int]] = []  # its first character's fc, and bytes per character
        parts: list[str] = []
        done = used = 0
        for cp_start, cp_end, fc in pieces:
            first, end = max(cp_start, story[0]), min(cp_end, story[1])
            if first >= end:
                continue
            count = end - first
            width = 1 if fc & COMPRESSED else 2
            start = ((fc & ~COMPRESSED) // 2 if width == 1 else fc) + (first - cp_start) * width
            for kept_start, kept_end in deleted.outside(start, start + count * width):
                raw = word[kept_start:kept_end - (kept_end - kept_start) % width]
                used += len(raw)
                if used > len(word):  # each byte of text is in the stream once: pieces that reuse it are damage
                    raise UnreadableFile("damaged: its pieces hold more text than its WordDocument stream does (the "
                                         "same bytes used again); open it in Word and save it as .docx")
                if not raw:
                    continue
                self.starts.append(done)
                self.spans.append((kept_start, width))
                part = raw.decode("cp1252", "replace") if width == 1 else raw.decode("utf-16-le", "replace")
                parts.append(part)
                done += len(part)
        self.text = "".join(parts)

    def fc(self, position: int) -> int:
        """The file offset of the character at ``position``."""
        at = bisect.bisect_right(self.starts, position) - 1
        start, width = self.spans[at]
        return start + (position - self.starts[at]) * width


def _deleted(properties: bytes) -> bool:
    """Whether characters' properties mark them deleted by a tracked change (1, or 0x81: the opposite of their
    style, which is not)."""
    return dict(sprms(properties)).get(DELETED, b"\0")[0] in (1, 0x81)


@dataclass(frozen=True)
class _Paragraph:
    """What the reader needs of a paragraph's properties: its style and own properties (for its list number), and
    what they make of its mark: "row" where it ends a table's row, "cell" inside a cell (a table nested in a cell
    is read as its cell's text), None outside tables."""

    style: int
    own: dict[int, bytes]
    place: str | None

    @classmethod
    def of(cls, properties: bytes) -> _Paragraph:
        own = dict(sprms(properties[2:]))
        place = None
        if own.get(IN_TABLE, b"\0")[0]:
            depth = int.from_bytes(own[DEPTH], "little") if DEPTH in own else 1
            place = "row" if depth == 1 and own.get(ROW_END, b"\0")[0] else "cell"
        return cls(int.from_bytes(properties[:2], "little"), own, place)


def _body(text: _Text, marks: Runs, lists: DocLists) -> str:
    """The text with Word's marks made lines and rows: a cell's paragraphs joined, each row one line, fields'
    codes dropped (their results kept), each numbered paragraph after its number."""
    lines: list[str] = []
    line: list[str] = []  # the paragraph (or cell) being read
    starts_at = 0  # where in it the paragraph being read starts (a cell may hold several)
    cells: list[str] = []  # the row being read
    fields: list[bool] = []  # for each open field: still in its code (not yet at its result)
    in_code = 0  # how many of them are: while any is, text is code, not shown
    body, position = text.text, 0

    def end_row() -> None:
        if cells:
            lines.append(row_line(cells))
            cells.clear()

    for mark in _MARKS.finditer(body):
        if not in_code:
            line.append(body[position:mark.start()])
        position = mark.end()
        char = mark.group()
        if char == _FIELD_START:
            fields.append(True)
            in_code += 1
        elif char == _FIELD_RESULT and fields and fields[-1]:
            fields[-1] = False
            in_code -= 1
        elif char == _FIELD_END and fields:
            in_code -= fields.pop()
        elif char in "\r" + _CELL_END + _PAGE_BREAK + _COLUMN_BREAK:
            paragraph = marks.at(text.fc(mark.start()))
            place = paragraph.place if paragraph else None
            if paragraph and (label := lists.label(paragraph.style, paragraph.own)):
                line.insert(starts_at, label + " ")
            if char == _CELL_END and place != "row":
                cells.append("".join(line))
            elif place == "cell":  # a paragraph inside a cell: the cell goes on
                line.append(" ")
                starts_at = len(line)
                continue
            else:
                end_row()
                if char != _CELL_END:
                    lines.append("".join(line))
            line.clear()
            starts_at = 0
        elif char == _LINE_BREAK and not in_code:
            line.append("\n")
        elif char in _HYPHENS and not in_code:
            line.append(_HYPHENS[char])
    if not in_code:
        line.append(body[position:])
    end_row()
    lines.append("".join(line))
    return "\n".join(lines)

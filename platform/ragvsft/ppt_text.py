"""A PowerPoint 97-2003 deck (``.ppt``) read as a ``.pptx`` is (:mod:`ragvsft.pptx_text`): each shown slide in the
deck's order, its title first, then its other text, then its speaker notes as "Notes: …". Hidden slides, masters
and layouts ("Click to edit Master title style") are not read.

A .ppt is an OLE compound file (read with ``olefile``) whose ``PowerPoint Document`` stream is a tree of records
([MS-PPT]: an 8-byte header, its kind, its length; a container holds records). A save appends what changed, so
the stream holds earlier versions of slides too: the ``Current User`` stream points at the last edit, whose
persist directory (with those of the edits before it) says where the current version of each slide is. The
document's slide list (SlideListWithText) gives the slides in order and the text of their placeholders; a slide's
own drawing holds its other text boxes.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from ragvsft.errors import UnreadableFile
from ragvsft.office_zip import content_kind, read_ole, wrong_ole_file
from ragvsft.textforms import paragraphs

DOCUMENT, SLIDE, NOTES, SLIDE_ATOM, SLIDE_SHOW_INFO = 0x03E8, 0x03EE, 0x03F0, 0x03EF, 0x03F9
SLIDE_LIST, SLIDE_PERSIST, TEXT_HEADER, TEXT_CHARS, TEXT_BYTES = 0x0FF0, 0x03F3, 0x0F9F, 0x0FA0, 0x0FA8
USER_EDIT, PERSIST_DIRECTORY = 0x0FF5, 0x1772
# Fields shown in a text box (slide number, dates, header, footer), each marking the "*" that stands for it in the
# text: furniture repeated on every slide, left out as a .pptx's slide number and footer placeholders are.
FIELDS = {0x0FD8, 0x0FF7, 0x0FF8, 0x0FF9, 0x0FFA}
SLIDES, NOTES_PAGES = 0, 2  # the slide lists' instances (1 is the masters')
TITLES, NOTES_TEXT = {0, 6}, 2  # text types: title, centered title; notes
HIDDEN = 0x0004  # SlideShowSlideInfoAtom flag fHidden
MAX_EDITS = 10_000  # a chain of edits longer than any saved file: a loop in a damaged one
OLD_POWERPOINT = ("a PowerPoint 95 or older deck, a layout this reader does not read (or damaged): open it in "
                  "PowerPoint or LibreOffice and save it as .pptx")


def read_ppt(raw: bytes) -> str:
    r"""A deck's text (see the module's description).

    Example:
        >>> read_ppt(b"Leave policy")
        Traceback (most recent call last):
        ...
        ragvsft.errors.UnreadableFile: not a PowerPoint .ppt (not an OLE compound file, nor a .pptx); save it as .pptx
    """
    if (kind := content_kind(raw)) != "ole":
        from ragvsft.pptx_text import read_pptx

        if kind == "zip":  # a .pptx named .ppt, which PowerPoint opens as what it is
            return read_pptx(raw)
        raise UnreadableFile("not a PowerPoint .ppt (not an OLE compound file, nor a .pptx); save it as .pptx")
    return read_ole(raw, _read, what="PowerPoint .ppt", fix="; open it in PowerPoint and save it as .pptx")


def _read(ole: Any) -> str:
    """The deck's text, from its opened compound file."""
    if ole.exists("PP40"):  # PowerPoint 4.0's stream
        raise UnreadableFile(OLD_POWERPOINT)
    if not ole.exists("PowerPoint Document"):
        raise wrong_ole_file(ole, ".ppt")
    if ole.exists("EncryptedSummary"):
        raise UnreadableFile("password-protected (encrypted): open it in PowerPoint, remove the password and save it")
    if not ole.exists("Current User"):
        raise UnreadableFile("damaged: its Current User stream is missing; open it in PowerPoint and save it as .pptx")
    current_user = ole.openstream("Current User").read()
    if len(current_user) < 20:  # PowerPoint 95 wrote a shorter one
        raise UnreadableFile(OLD_POWERPOINT)
    return _Deck(ole.openstream("PowerPoint Document").read(), current_user).text()


class _Deck:
    """The current version of a deck's records: where each persisted object (a slide, a notes page, the document)
    is, from the chain of edits."""

    def __init__(self, stream: bytes, current_user: bytes) -> None:
        self.stream = stream
        # Records read, at most as many as the stream can hold: a saved deck's directories and slides do not
        # overlap, a damaged (or hostile) one's may, and would be read again and again.
        self.budget = len(stream) // 4 + 1_000
        (edit,) = struct.unpack_from("<I", current_user, 16)
        self.where: dict[int, int] = {}  # persist id -> offset of its record
        document, seen = None, set()
        while edit and edit not in seen and len(seen) < MAX_EDITS:
            seen.add(edit)
            kind, _, body, end = _header(stream, edit)
            if kind != USER_EDIT:
                raise UnreadableFile("damaged: its last edit is not where its Current User stream says; open it in "
                                     "PowerPoint and save it as .pptx")
            if end - body > 28:  # an encryption session after the fields every edit has
                raise UnreadableFile("password-protected (encrypted): open it in PowerPoint, remove the password and "
                                     "save it")
            last, directory, document_ref = struct.unpack_from("<III", stream, body + 8)
            document = document_ref if document is None else document
            for persist, offset in _persist_directory(stream, directory):
                self._spend()
                self.where.setdefault(persist, offset)  # the newest edit's wins
            edit = last
        if document is None or document not in self.where:
            raise UnreadableFile("damaged: no document record; open it in PowerPoint and save it as .pptx")
        self.document = self.where[document]

    def text(self) -> str:
        """Each shown slide's text, then its notes."""
        kind, _, body, end = _header(self.stream, self.document)
        if kind != DOCUMENT:
            raise UnreadableFile("damaged: its document record is not one; open it in PowerPoint and save it as .pptx")
        lists = {instance: _slide_list(self.stream, start, stop)
                 for kind, instance, start, stop in _children(self.stream, body, end) if kind == SLIDE_LIST}
        notes_by_id = {slide_id: (persist, texts) for persist, slide_id, texts in lists.get(NOTES_PAGES, [])}
        slides = []
        for persist, _, texts in lists.get(SLIDES, []):
            slide = self._drawing(persist)
            if slide is None or slide.hidden:
                continue
            texts = texts + slide.texts
            text = "\n".join(t for kind, t in texts if kind in TITLES) + "\n" + "\n".join(
                t for kind, t in texts if kind not in TITLES)
            notes_persist, notes = notes_by_id.get(slide.notes, (None, []))
            notes_page = self._drawing(notes_persist) if notes_persist is not None else None
            said = "\n".join(t for kind, t in notes + (notes_page.texts if notes_page else []) if kind == NOTES_TEXT)
            slides.append(text.strip() + (f"\nNotes: {said.strip()}" if said.strip() else ""))
        return paragraphs("\n\n".join(slides))

    def _drawing(self, persist: int) -> _Drawing | None:
        """A slide's or notes page's own text boxes, and its flags; None where the deck lacks it."""
        if persist not in self.where:
            return None
        kind, _, body, end = _header(self.stream, self.where[persist])
        if kind not in (SLIDE, NOTES):
            return None
        drawing = _Drawing()
        text_kind = 4  # "other" until a text header says
        for kind, _, start, stop in _descendants(self.stream, body, end):
            self._spend()
            if kind == TEXT_HEADER and stop - start >= 4:
                (text_kind,) = struct.unpack_from("<I", self.stream, start)
            elif kind in (TEXT_CHARS, TEXT_BYTES):
                drawing.texts.append((text_kind, _text(self.stream[start:stop], kind)))
            elif kind in FIELDS and drawing.texts and stop - start >= 4:
                (at,) = struct.unpack_from("<i", self.stream, start)
                text_kind, text = drawing.texts[-1]
                if 0 <= at < len(text) and text[at] == "*":
                    # marked, not cut yet, so that a later field's position in the same text still holds
                    drawing.texts[-1] = (text_kind, text[:at] + "\0" + text[at + 1:])
            elif kind == SLIDE_ATOM and stop - start >= 20:
                (drawing.notes,) = struct.unpack_from("<I", self.stream, start + 16)
            elif kind == SLIDE_SHOW_INFO and stop - start >= 12:
                drawing.hidden = bool(struct.unpack_from("<H", self.stream, start + 10)[0] & HIDDEN)
        drawing.texts = [(kind, text.replace("\0", "")) for kind, text in drawing.texts]
        return drawing

    def _spend(self) -> None:
        self.budget -= 1
        if self.budget < 0:
            raise UnreadableFile("damaged: its records overlap (read more often than the file could hold them); "
                                 "open it in PowerPoint and save it as .pptx")


class _Drawing:
    """What a slide's or notes page's own records say."""

    def __init__(self) -> None:
        self.texts: list[tuple[int, str]] = []  # (text type, text) of each text box, in the drawing's order
        self.notes = 0  # the id of the slide's notes page (0: none)
        self.hidden = False


def _slide_list(stream: bytes, body: int, end: int) -> list[tuple[int, int, list[tuple[int, str]]]]:
    """A SlideListWithText: (persist id, slide id, [(text type, text)]) of each slide it lists, in order."""
    found: list[tuple[int, int, list[tuple[int, str]]]] = []
    text_kind = 4
    for kind, _, start, stop in _children(stream, body, end):
        if kind == SLIDE_PERSIST and stop - start >= 16:
            persist, _, _, slide_id = struct.unpack_from("<IIII", stream, start)
            found.append((persist, slide_id, []))
        elif kind == TEXT_HEADER and stop - start >= 4:
            (text_kind,) = struct.unpack_from("<I", stream, start)
        elif kind in (TEXT_CHARS, TEXT_BYTES) and found:
            found[-1][2].append((text_kind, _text(stream[start:stop], kind)))
    return found


def _text(raw: bytes, kind: int) -> str:
    """A text atom's text: UTF-16, or 8-bit (each byte a UTF-16 character's low byte); paragraphs end with a
    carriage return, a line break is a vertical tab."""
    text = raw.decode("utf-16-le", "replace") if kind == TEXT_CHARS else raw.decode("latin-1")
    return text.replace("\r", "\n").replace("\x0b", "\n")


def _persist_directory(stream: bytes, offset: int) -> Iterator[tuple[int, int]]:
    """(persist id, offset) of each entry of a PersistDirectoryAtom: runs of consecutive ids, each a start id and
    a count (20 and 12 bits) followed by their offsets."""
    kind, _, at, end = _header(stream, offset)
    if kind != PERSIST_DIRECTORY:
        raise UnreadableFile("damaged: a persist directory is not where its edit says; open it in PowerPoint and "
                             "save it as .pptx")
    while at + 4 <= end:
        (run,) = struct.unpack_from("<I", stream, at)
        first, count = run & 0xFFFFF, run >> 20
        count = min(count, (end - at - 4) // 4)
        yield from zip(range(first, first + count), struct.unpack_from(f"<{count}I", stream, at + 4))
        at += 4 + 4 * count


def _header(stream: bytes, offset: int) -> tuple[int, int, int, int]:
    """(kind, instance, body start, body end) of the record at ``offset``."""
    version_instance, kind, length = struct.unpack_from("<HHI", stream, offset)
    return kind, version_instance >> 4, offset + 8, min(offset + 8 + length, len(stream))


def _children(stream: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(kind, instance, body start, body end) of each record from ``start`` to ``end``, not looking inside."""
    at = start
    while at + 8 <= end:
        kind, instance, body, stop = _header(stream, at)
        yield kind, instance, body, min(stop, end)
        at = body + struct.unpack_from("<I", stream, at + 4)[0]


def _descendants(stream: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Every record from ``start`` to ``end``, containers' records inside them, in the order they are written
    (without recursion: a damaged file may nest thousands deep)."""
    pending = [(start, end)]
    while pending:
        at, stop = pending.pop()
        if at + 8 > stop:
            continue
        kind, instance, body, record_end = _header(stream, at)
        record_end = min(record_end, stop)
        pending.append((body + struct.unpack_from("<I", stream, at + 4)[0], stop))  # what follows it
        if stream[at] & 0x0F == 0x0F:  # a container: its records next
            pending.append((body, record_end))
        yield kind, instance, body, record_end

"""The zip archive an Office 2007+ or OpenDocument file is (``.docx``, ``.xlsx``, ``.odt``): its parts read with
a bound on what they unpack to, and the errors a user meets (a password, a 97-2003 file renamed) worded as what to
do. The standard library parses the XML parts: expat refuses entity expansion bombs, and no external entity is ever fetched.
What an OLE compound file (an Office 97-2003 file, an Outlook message) named otherwise holds is named here too.
"""

from __future__ import annotations

import contextlib
import io
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from xml.etree import ElementTree

from ragvsft.errors import UnreadableFile, exception_line

PACKAGE = "{http://schemas.openxmlformats.org/package/2006/relationships}"
XML_LIMIT = 100 * 2**20  # a part unpacks to at most this: a zip bomb is refused, not expanded
# What zipfile raises for a damaged archive besides BadZipFile: deflate data that does not inflate, a compression
# method or version it lacks (a damaged header names any), a cut stream, a negative offset or an undecodable name,
# a part marked encrypted (zip's own encryption, which Office never uses).
ZIP_DAMAGE = (zlib.error, NotImplementedError, EOFError, ValueError, RuntimeError)
OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")  # the first bytes of a 97-2003 Office file and of an encrypted one
# What olefile (and the struct unpacking of a reader of what it holds) raises for a damaged OLE file.
OLE_DAMAGE = (OSError, ValueError, TypeError, OverflowError, struct.error, IndexError, KeyError)
# The stream each program keeps its content in, and what a file holding it is called.
OLE_KINDS = {"WordDocument": "a Word 97-2003 document (.doc)", "Workbook": "an Excel 97-2003 workbook (.xls)",
             "Book": "an Excel 5.0/95 workbook (.xls)", "PowerPoint Document": "a PowerPoint 97-2003 presentation (.ppt)",
             "__properties_version1.0": "an Outlook message (.msg)",
             "EncryptedPackage": "a password-protected Office 2007+ file"}


@contextlib.contextmanager
def opened(raw: bytes, *, app: str, suffix: str, main: str) -> Iterator[zipfile.ZipFile]:
    """The archive ``raw`` is; :class:`UnreadableFile` saying what to do where it is not one, or lacks its ``main``
    part (``word/document.xml``)."""
    a = "an" if app[0] in "AEIOU" else "a"
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, *ZIP_DAMAGE) as exc:
        message = str(exc) if isinstance(exc, zipfile.BadZipFile) else exception_line(exc)
        raise UnreadableFile(f"not a readable {suffix} ({message})") from None
    with archive:
        if main not in archive.namelist():
            raise UnreadableFile(f"not {a} {app} {suffix} (no {main} in the archive)")
        try:
            yield archive
        except zipfile.BadZipFile as exc:  # a part whose checksum is wrong
            raise UnreadableFile(f"not a readable {suffix} ({exc})") from None


def wrong_ole_file(ole: Any, suffix: str) -> UnreadableFile:
    """The error for an OLE compound file named ``suffix`` that lacks the stream a file of that type holds: what it
    holds instead (:data:`OLE_KINDS`), where that is known.

    Example:
        >>> class Ole:  # what olefile.OleFileIO answers
        ...     def exists(self, name): return name == "Workbook"
        >>> str(wrong_ole_file(Ole(), ".doc"))
        'an Excel 97-2003 workbook (.xls) named .doc: give it back its own extension'
    """
    kind = next((name for stream, name in OLE_KINDS.items() if ole.exists(stream)), None)
    if kind is None:
        return UnreadableFile(f"an OLE compound file of an unknown kind, not a {suffix} (or damaged)")
    return UnreadableFile(f"{kind} named {suffix}: " + (
        "remove the password and save it again" if "password" in kind else "give it back its own extension"))


def read_renamed(raw: bytes, suffix: str, streams: tuple[str, ...], reader: Callable[[bytes], str]) -> str:
    """An OLE compound file saved under ``suffix`` (``.docx``), read by ``reader`` (the 97-2003 format's) where it
    holds one of ``streams`` (that format's content): Office opens a 97-2003 file renamed as what it is. Office also
    keeps a password-protected 2007+ file in an OLE container: that one, or another program's file, is named
    (:func:`wrong_ole_file`)."""

    def check(ole: Any) -> None:
        if not any(ole.exists(stream) for stream in streams):
            raise wrong_ole_file(ole, suffix)

    read_ole(raw, check, what="OLE compound file")
    return reader(raw)


Read = TypeVar("Read")


def read_ole(raw: bytes, read: Callable[[Any], Read], *, what: str, fix: str = "") -> Read:
    """``read`` applied to the OLE compound file ``raw`` opens as (an ``olefile.OleFileIO``); where the file is damaged
    (:data:`OLE_DAMAGE`), one line: ``not a readable <what> (<the error>)<fix>``."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            return read(ole)
    except UnreadableFile:
        raise
    except OLE_DAMAGE as exc:
        raise UnreadableFile(f"not a readable {what} ({exception_line(exc)}){fix}") from None


def content_kind(raw: bytes) -> str | None:
    """What a file holds by its first bytes, for the Office readers that read a file saved under their extension as
    what it is (as Office opens it): ``"ole"``, ``"zip"``, ``"rtf"``, ``"html"``, ``"mime"`` (a web page saved as
    one file, ``.mht``), or None.

    Example:
        >>> content_kind(b"\\xef\\xbb\\xbf<!DOCTYPE html><p>Leave</p>"), content_kind(b"PK\\x03\\x04..."), content_kind(b"Leave")
        ('html', 'zip', None)
    """
    if raw.startswith(OLE_MAGIC):
        return "ole"
    head = raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if head.startswith(b"pk\x03\x04"):
        return "zip"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith(b"<") and (b"<html" in head or b"<!doctype html" in head or b"<table" in head):
        return "html"
    return "mime" if head.startswith(b"mime-version:") else None


def part(archive: zipfile.ZipFile, name: str, *, optional: bool = False, what: str | None = None) -> bytes:
    """The bytes of the part ``name`` (``b""`` where it is missing and ``optional``), refused when it would unpack
    to over :data:`XML_LIMIT`; ``what`` names it in that error (else its file name)."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        if optional:
            return b""
        raise UnreadableFile(f"its archive lacks the part {name}") from None
    if info.file_size > XML_LIMIT:
        what = what or name.rpartition("/")[2].removesuffix(".xml")
        raise UnreadableFile(f"its {what} part unpacks to {info.file_size / 2**20:.0f} MiB, over the "
                             f"{XML_LIMIT / 2**20:.0f} MiB this reader accepts")
    try:
        return archive.read(info)
    except ZIP_DAMAGE as exc:  # a wrong checksum (BadZipFile) is named by opened(); a part lost is never silent
        raise UnreadableFile(f"its part {name} is damaged ({exception_line(exc)})") from None


def main_part(archive: zipfile.ZipFile, name: str, *, what: str) -> ElementTree.Element:
    """The format's main XML part (``word/document.xml``, ``content.xml``), parsed. Where it is not well-formed XML
    (damage, or a DTD naming an entity from outside, which expat never fetches) the file is :class:`UnreadableFile`
    saying so: read as an empty element it would be skipped as "empty", which it is not."""
    xml = part(archive, name, what=what)
    try:
        return ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise UnreadableFile(f"its {what} part is not well-formed XML ({exc})") from None


def parsed(xml: bytes) -> ElementTree.Element:
    """An XML part; an empty element where it is missing or broken (what it adds is then left out, the rest read)."""
    try:
        return ElementTree.fromstring(xml) if xml else ElementTree.Element("none")
    except ElementTree.ParseError:
        return ElementTree.Element("none")


def related(archive: zipfile.ZipFile, name: str) -> dict[str, tuple[str, str]]:
    """The parts the part ``name`` points to, by relationship id: (its kind, e.g. ``"worksheet"``, ``"notesSlide"``;
    its path in the archive). Targets are relative to the part's folder, or absolute from the archive's root; one
    pointing outside the archive (a hyperlink) is left out."""
    folder, file = posixpath.split(name)
    relationships = parsed(part(archive, posixpath.join(folder, "_rels", f"{file}.rels"), optional=True))
    found = {}
    for relationship in relationships.iter(f"{PACKAGE}Relationship"):
        target = relationship.get("Target", "")
        if relationship.get("TargetMode") == "External" or not target:
            continue
        path = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
        found[relationship.get("Id", "")] = (relationship.get("Type", "").rpartition("/")[2], path)
    return found


def whole_number(text: str | None, default: int, *, digits: int = 9) -> int:
    """An XML attribute's whole number (a level, a style index, a repeat count); ``default`` where it is missing,
    not one, or longer than ``digits`` digits (a hostile "1" followed by a million zeros is not parsed).

    Example:
        >>> whole_number(" 3 ", 0), whole_number("x", 1), whole_number("9" * 12, -1)
        (3, 1, -1)
    """
    text = (text or "").strip()
    return int(text) if text.isdigit() and len(text) <= digits else default

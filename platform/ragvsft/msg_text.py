"""An Outlook message saved as ``.msg`` (a mail dragged out of Outlook into a folder, a ticket system's export) read
as an ``.eml`` is (:func:`ragvsft.email_text.read_email`): ``Subject``/``From``/``To``/``Cc``/``Date`` lines, the
names of its attachments, then its body, the plain text where the message has it, else its HTML's text.

A ``.msg`` is an OLE compound file (read with ``olefile``) of MAPI properties: strings in streams named
``__substg1.0_<id><type>`` (type ``001F`` UTF-16, ``001E`` 8-bit in the message's code page, ``0102`` bytes), fixed
values such as the sent time in ``__properties_version1.0``, each attachment in a storage of its own. A message
whose body Outlook kept only as compressed RTF reads as its heading lines alone.
"""

from __future__ import annotations

import datetime
import email.utils
import struct
from typing import Any

from ragvsft.email_text import heading_lines, message_text
from ragvsft.errors import UnreadableFile
from ragvsft.html_text import page_text, read_html
from ragvsft.office_zip import OLE_MAGIC, read_ole, wrong_ole_file
from ragvsft.textforms import code_page

PROPERTIES = "__properties_version1.0"
SUBJECT, SENDER_NAME, SENDER_ADDRESS, SENDER_SMTP = 0x0037, 0x0C1A, 0x0C1F, 0x5D01
DISPLAY_TO, DISPLAY_CC, BODY, HTML_BODY = 0x0E04, 0x0E03, 0x1000, 0x1013
SENT, DELIVERED, CODE_PAGE, INTERNET_CODE_PAGE = 0x0039, 0x0E06, 0x3FFD, 0x3FDE
ATTACHMENT_LONG_NAME, ATTACHMENT_NAME, DISPLAY_NAME = 0x3707, 0x3704, 0x3001
_FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)


def read_msg(raw: bytes) -> str:
    r"""An Outlook message's heading lines, attachment names and body.

    Example:
        >>> read_msg(b"Subject: X-200 stops\n\nIt stops.")  # an .eml named .msg
        Traceback (most recent call last):
        ...
        ragvsft.errors.UnreadableFile: not an Outlook .msg (not an OLE compound file); save the message from Outlook again
    """
    if not raw.startswith(OLE_MAGIC):
        raise UnreadableFile("not an Outlook .msg (not an OLE compound file); save the message from Outlook again")
    return read_ole(raw, _read, what="Outlook .msg")



def _read(ole: Any) -> str:
    """The message, from its opened compound file."""
    if not ole.exists(PROPERTIES):
        raise wrong_ole_file(ole, ".msg")
    fixed = _fixed_properties(_stream(ole, PROPERTIES), header=32)
    page = code_page((fixed.get(CODE_PAGE) or fixed.get(INTERNET_CODE_PAGE) or 0) & 0xFFFF)
    text = _Strings(ole, page)
    sender = text.get(SENDER_NAME)
    address = text.get(SENDER_SMTP) or text.get(SENDER_ADDRESS)
    if "@" in address and address not in sender:  # an Exchange address ("/O=EXCHANGELABS/...") is no one's name
        sender = f"{sender} <{address}>" if sender else address
    heading = heading_lines({"Subject": text.get(SUBJECT), "From": sender, "To": text.get(DISPLAY_TO),
                             "Cc": text.get(DISPLAY_CC), "Date": _date(fixed.get(SENT) or fixed.get(DELIVERED))},
                            _attachments(ole, text))
    body = text.get(BODY).strip()
    if not body and (html := text.raw(HTML_BODY)):
        try:
            body = read_html(html)
        except UnicodeDecodeError:  # no charset declared and not UTF-8: the message's code page
            body = page_text(html.decode(page, "replace"))
    return message_text(heading, body)


class _Strings:
    """String properties of the message, or of one of its storages (``prefix``)."""

    def __init__(self, ole: Any, code_page: str, prefix: str = "") -> None:
        self.ole, self.code_page, self.prefix = ole, code_page, prefix

    def get(self, prop: int) -> str:
        for kind, encoding in (("001F", "utf-16-le"), ("001E", self.code_page)):
            name = f"{self.prefix}__substg1.0_{prop:04X}{kind}"
            if self.ole.exists(name):
                return _stream(self.ole, name).decode(encoding, "replace").split("\x00", 1)[0]
        return ""

    def raw(self, prop: int) -> bytes:
        """A property kept as bytes (the HTML body), or a string one as UTF-8."""
        name = f"{self.prefix}__substg1.0_{prop:04X}0102"
        return _stream(self.ole, name) if self.ole.exists(name) else self.get(prop).encode("utf-8", "replace")

    def of(self, storage: str) -> _Strings:
        return _Strings(self.ole, self.code_page, f"{storage}/")


def _attachments(ole: Any, text: _Strings) -> list[str]:
    storages = sorted({path[0] for path in ole.listdir(streams=True, storages=True)
                       if path[0].startswith("__attach_version1.0_#")})
    names = []
    for storage in storages:
        strings = text.of(storage)
        names.append(strings.get(ATTACHMENT_LONG_NAME) or strings.get(ATTACHMENT_NAME) or strings.get(DISPLAY_NAME)
                     or "attachment")
    return names


def _stream(ole: Any, name: str) -> bytes:
    size = ole.get_size(name)
    if size > 100 * 2**20:
        raise UnreadableFile(f"its {name} stream is {size / 2**20:.0f} MiB, over the 100 MiB this reader accepts")
    return ole.openstream(name).read()


def _fixed_properties(data: bytes, *, header: int) -> dict[int, int]:
    """Property id -> its 8-byte value as an integer, from a properties stream (16-byte entries after the header)."""
    values = {}
    for offset in range(header, len(data) - 15, 16):
        tag, _flags, value = struct.unpack_from("<IIQ", data, offset)
        values[tag >> 16] = value
    return values


def _date(filetime: int | None) -> str:
    """A FILETIME (100 ns since 1601) as an e-mail's Date header writes it; '' where it is missing or absurd."""
    if not filetime:
        return ""
    try:
        return email.utils.format_datetime(_FILETIME_EPOCH + datetime.timedelta(microseconds=filetime // 10))
    except OverflowError:
        return ""

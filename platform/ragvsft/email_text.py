"""E-mail: one message saved as ``.eml``, or a mailbox of them (``.mbox``: Gmail's export through Google Takeout,
Thunderbird's and Apple Mail's exports, a mailing list's archive).

A message reads as its ``Subject``/``From``/``To``/``Cc``/``Date`` lines, the names of its attachments, and its body
(the plain text part, else the HTML part's text). In a mailbox most replies end by quoting the message they answer,
so a thread of ten replies would hold its first message ten times, and those copies would crowd the chunks a
question retrieves. Where the message a reply answers (its ``In-Reply-To``) is in the same file and the quote is that
message's text, the quote is left out with the line introducing it ("On Tue, … Jane wrote:", Outlook's "From: /
Sent: / To: / Subject:" block): the thread is read once. A quote of a message the file does not hold stays, since
it is the only copy.
"""

from __future__ import annotations

import email
import email.errors
import email.policy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import EmailMessage

from ragvsft.errors import TOO_DEEP, UnreadableFile
from ragvsft.html_text import page_text, read_html
from ragvsft.office_zip import content_kind

EMAIL_HEADERS = ("Subject", "From", "To", "Cc", "Date")  # who wrote, to whom and when: what a ticket's questions ask


@dataclass(frozen=True)
class _Message:
    heading: tuple[str, ...]  # "Name: value" lines, then the attachments' names
    body: str
    message_id: str
    parent_id: str  # the message it answers: In-Reply-To, else the last of References


def read_email(raw: bytes) -> str:
    r"""An e-mail saved as ``.eml`` (Outlook, Thunderbird, Apple Mail; a help desk's ticket export): its subject,
    sender, recipients and date as ``Name: value`` lines, the names of its attachments, then its body, the plain
    text part where there is one, else the HTML part's text (:func:`read_html`). Attachments are not read.

    Example:
        >>> print(read_email(b"Subject: =?utf-8?q?Pumpe_l=C3=A4uft_nicht?=\nFrom: Jane <jane@example.com>\n\n"
        ...                  b"It stops after 2 minutes."))
        Subject: Pumpe läuft nicht
        From: Jane <jane@example.com>
        <BLANKLINE>
        It stops after 2 minutes.
    """
    message = _parse(raw)
    return _render(message, message.body)


def _parse(raw: bytes) -> _Message:
    try:  # the parser and the body search recurse into nested parts; no mail client nests thousands deep
        message = email.message_from_bytes(raw, policy=email.policy.default)
        attached = [part.get_filename() or part.get_content_type() for part in message.iter_attachments()]
        body = message.get_body(preferencelist=("plain", "html"))
    except RecursionError:
        raise UnreadableFile(f"its parts are {TOO_DEEP}") from None
    heading = heading_lines({name: _header(message, name) for name in EMAIL_HEADERS}, attached)
    text = ""
    if body is not None:
        text = _html_text(body) if body.get_content_type() == "text/html" else _part_text(body).strip()
    references = _MESSAGE_IDS.findall(_header(message, "References"))
    parent = _MESSAGE_IDS.findall(_header(message, "In-Reply-To")) or references[-1:]
    own = _MESSAGE_IDS.findall(_header(message, "Message-ID"))
    return _Message(heading, text, own[0] if own else "", parent[0] if parent else "")


def _header(message: EmailMessage, name: str) -> str:
    """A header's text as the sender wrote it, encoded words decoded, on one line: "jane at example.com (Jane Roe)"
    stays so (the parsed address form would be '"jane at example.com"'), and no address parser runs (it was most of
    the time a mailbox took to read)."""
    raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), "")
    try:
        text = str(make_header(decode_header(raw)))
    except (LookupError, UnicodeError, ValueError, email.errors.HeaderParseError, email.errors.CharsetError):
        # a charset Python lacks or whose name is not ASCII (damage), bad bytes
        text = raw
    return " ".join(_text(text).split())


def _text(decoded: str) -> str:
    r"""Decoded mail text made valid: bytes the parser kept as surrogates (an 8-bit header) read as UTF-8, and
    surrogates a charset such as UTF-7 made from nothing (``+2AA-``) replaced, so nothing later fails to encode it.

    Example:
        >>> _text("Pumpe \udcc3\udca4 \ud800")
        'Pumpe ä �'
    """
    if not any("\ud800" <= c <= "\udfff" for c in decoded):
        return decoded
    kept = "".join(c if not "\ud800" <= c <= "\udfff" or "\udc80" <= c <= "\udcff" else "\ufffd" for c in decoded)
    return kept.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


_MESSAGE_IDS = re.compile(r"<[^<>\s]{1,998}>")


def _part_text(part: EmailMessage) -> str:
    """A text part's content, decoded by its charset (UTF-8 where it names none or one Python does not know)."""
    payload = part.get_payload(decode=True) or b""
    try:
        return _text(payload.decode(part.get_content_charset() or "utf-8", errors="replace"))
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _html_text(part: EmailMessage) -> str:
    """An HTML part's text, decoded as a browser decodes it: by the charset the part names (the page's own ``<meta
    charset>`` then not applied again), else by that ``<meta charset>``, else as UTF-8 (a byte that is not UTF-8
    replaced, as mail clients show it)."""
    if part.get_content_charset():
        return page_text(_part_text(part))
    payload = part.get_payload(decode=True) or b""
    try:
        return read_html(payload)
    except (UnicodeDecodeError, UnreadableFile):
        return page_text(payload.decode("utf-8", "replace"))


def read_web_archive(raw: bytes) -> str:
    r"""A web page saved as one file (``.mhtml``, ``.mht``: a browser's "Webpage, Single File", Word's "Single File
    Web Page"): a MIME message whose HTML part is the page, read as a web page is (:func:`ragvsft.html_text.read_html`).
    The pictures and styles saved beside it are not read, nor the headers the browser wrote ("From: <Saved by
    Blink>"); a plain web page under the name is read as one.

    Example:
        >>> read_web_archive(b"MIME-Version: 1.0\nContent-Type: multipart/related; boundary=B\n\n--B\n"
        ...                  b"Content-Type: text/html; charset=utf-8\n\n<title>Leave</title><p>27 days</p>\n--B--\n")
        'Leave\n\n27 days'
    """
    if content_kind(raw) == "html":
        return read_html(raw)
    try:
        page = email.message_from_bytes(raw, policy=email.policy.default).get_body(preferencelist=("html",))
    except RecursionError:
        raise UnreadableFile(f"its parts are {TOO_DEEP}") from None
    if page is None:
        raise UnreadableFile("holds no web page (no text/html part); open it in a browser and save it as a web page "
                             "(.html)")
    return _html_text(page)


def heading_lines(headers: Mapping[str, str], attachments: Sequence[str]) -> tuple[str, ...]:
    """What a message reads as before its body (an ``.eml``'s, an Outlook ``.msg``'s): a ``Name: value`` line for
    each of :data:`EMAIL_HEADERS` it has, on one line, then its attachments' names.

    Example:
        >>> heading_lines({"From": "Jane", "Subject": "X-200  stops", "Cc": ""}, ["log.txt"])
        ('Subject: X-200 stops', 'From: Jane', 'Attachments: log.txt')
    """
    lines = [f"{name}: {' '.join(value.split())}" for name in EMAIL_HEADERS if (value := headers.get(name, "")).strip()]
    return tuple(lines + ([f"Attachments: {', '.join(attachments)}"] if attachments else []))


def message_text(heading: Sequence[str], body: str) -> str:
    """A message as a document: its heading lines, a blank line, its body."""
    return "\n".join([*heading, *(["", body] if body else [])]).strip()


def _render(message: _Message, body: str) -> str:
    return message_text(message.heading, body)


# An mbox "From " line: "From <sender> <asctime date>", as mutt, Thunderbird ("From - …"), Google Takeout and
# mailing-list archives write it (pipermail: "From jane at example.com  Tue Mar  4 …"). A body line that merely
# begins with "From " ("From 9:00 the desk is open") is no separator: writers escape those as ">From ", but not
# every one does, and the date form never occurs in prose.
_FROM_LINE = re.compile(rb"^From [^\n]{0,300}? (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) +(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
                        rb"|Sep|Oct|Nov|Dec) +\d{1,2} +\d{1,2}:\d\d[^\n]*\n", re.M)
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.M)
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}:")  # a header's name: printable, no colon or space (RFC 5322)


def looks_like_mbox(raw: bytes) -> bool:
    r"""Whether ``raw`` starts as a mailbox does: a "From " line, then a message's first header. A mailing list's
    archive is one under another name (pipermail's ``2024-January.txt``).

    Example:
        >>> looks_like_mbox(b"From jane at example.com  Tue Mar  4 09:12:00 2025\nFrom: jane at example.com\n")
        True
        >>> looks_like_mbox(b"From 9:00 to 17:00 the desk answers.\n")
        False
    """
    return (first := _FROM_LINE.match(raw)) is not None and _HEADER_LINE.match(raw, first.end()) is not None


def read_mbox(raw: bytes) -> str:
    r"""A mailbox: each message read as :func:`read_email` reads one, in the order the file holds them, a blank line
    between them; a message stored twice (the same ``Message-ID``) read once; a reply's quote of a message in the
    same file left out (the module's docstring says when).

    Example:
        >>> print(read_mbox(b"From jane@example.com Tue Mar  4 09:12:00 2025\nMessage-ID: <1@x>\nSubject: X-200\n\n"
        ...                 b"It stops.\n\nFrom desk@example.com Tue Mar  4 10:00:00 2025\nIn-Reply-To: <1@x>\n"
        ...                 b"Subject: Re: X-200\n\nClean the filter.\n\nOn Tue, Jane wrote:\n> It stops.\n"))
        Subject: X-200
        <BLANKLINE>
        It stops.
        <BLANKLINE>
        Subject: Re: X-200
        <BLANKLINE>
        Clean the filter.
    """
    starts = [match.start() for match in _FROM_LINE.finditer(raw)]
    if not starts or raw[:starts[0]].strip():  # (a .txt reaches here only if looks_like_mbox)
        raise UnreadableFile("not a mailbox: an .mbox file starts each message with a line like "
                             "'From jane@example.com Tue Mar  4 09:12:00 2025'")
    messages, line = [], 1
    for start, end in zip(starts, [*starts[1:], len(raw)], strict=True):
        data = _ESCAPED_FROM.sub(rb"\1", raw[raw.index(b"\n", start) + 1:end])
        try:
            messages.append(_parse(data))
        except UnreadableFile as exc:
            raise UnreadableFile(f"the message at line {line}: {exc}") from None
        line += raw.count(b"\n", start, end)
    by_id = {m.message_id: m for m in reversed(messages) if m.message_id}  # the first copy of each
    budget = _Budget(4 * len(raw) + 1_000_000)
    flats: dict[str, str] = {}  # a parent's flattened body, made once however many replies it has
    texts = []
    for message in messages:
        if message.message_id and by_id[message.message_id] is not message:
            continue  # a second copy: one message filed in two folders, exported from both
        body = message.body
        # A message naming itself as its parent (a broken or hostile header) would find its own quote in itself.
        if (parent := by_id.get(message.parent_id)) is not None and parent is not message:
            if parent.message_id not in flats:
                flats[parent.message_id] = _flat(parent.body)
            body = _without_quote_of(body, flats[parent.message_id], budget)
        if text := _render(message, body):
            texts.append(text)
    return "\n\n".join(texts)


class _Budget:
    """Characters the quote checks may compare in one file: a hostile mailbox (100,000 replies to one huge
    message) would otherwise cost replies × parent; past the budget, quotes are kept."""

    def __init__(self, chars: int) -> None:
        self.left = chars

    def spend(self, chars: int) -> bool:
        self.left -= chars
        return self.left >= 0


_QUOTE_MARKS = re.compile(r"^(?:[ \t]*>)+", re.M)


def _flat(text: str) -> str:
    """Text without quote marks and white space: a quote re-wrapped (even inside an address wrapped as "<" and
    "jane@…>") or quoted again compares equal.

    Example:
        >>> _flat("> > It stops\\n> > after 2 min.\\n")
        'Itstopsafter2min.'
    """
    return "".join(_QUOTE_MARKS.sub("", text).split())


# A header line of a quoted message, in any language: "From: Jane", "Von: Jane", "De : Jane", "*Sent:* Tuesday".
_HEADER_LIKE = re.compile(r"^\*?[^\W\d_][^\W_]*(?: [^\W\d_]+){0,2}\*? ?:\*?[ \t]")


def _without_quote_of(body: str, parent: str, budget: _Budget) -> str:
    """``body`` without its quote of ``parent`` (flattened), as Outlook quotes (a block of three or more header
    lines and everything after it, with a separator line above it: "-----Original Message-----", "____") or as
    most other clients do (the last run of "> " lines and the line introducing it, ending in ":"). Unchanged
    unless the quoted text is in the parent."""
    lines = body.split("\n")
    cut = _header_block_cut(lines, parent, budget)
    return body if (cut := cut if cut is not None else _quote_cut(lines, parent, budget)) is None else (
        "\n".join(lines[:cut]).rstrip())


def _header_block_cut(lines: list[str], parent: str, budget: _Budget) -> int | None:
    tried = 0
    for i in range(len(lines) - 2):
        if not all(_HEADER_LIKE.match(lines[j]) for j in range(i, i + 3)) or (i and _HEADER_LIKE.match(lines[i - 1])):
            continue
        after = i + 3
        while after < len(lines) and _HEADER_LIKE.match(lines[after]):
            after += 1
        if (rest := _flat("\n".join(lines[after:]))) and budget.spend(len(parent)) and rest in parent:
            cut = _above_blank(lines, i)
            if cut and len(above := lines[cut - 1].strip()) <= 60 and (
                    not any(c.isalnum() for c in above) or above[:3] in ("---", "___")):
                cut -= 1
            return cut
        tried += 1
        if tried == 3:  # a body is not a list of header blocks; bounded for one that looks like it
            break
    return None


def _quote_cut(lines: list[str], parent: str, budget: _Budget) -> int | None:
    end = _above_blank(lines, len(lines))
    start = end
    while start and (lines[start - 1].lstrip().startswith(">") or not lines[start - 1].strip()):
        start -= 1
    if not (quoted := _flat("\n".join(lines[start:end]))) or not budget.spend(len(parent)) or quoted not in parent:
        return None
    cut = _above_blank(lines, start)
    if cut and lines[cut - 1].rstrip().endswith(":"):  # "On Tue, 4 Mar 2025, Jane <jane@example.com> wrote:"
        cut -= 1
        if cut and lines[cut - 1].count("<") > lines[cut - 1].count(">"):  # the address wrapped over two lines
            cut -= 1
    return cut


def _above_blank(lines: list[str], index: int) -> int:
    """The index just past the last non-blank line before ``index``."""
    while index and not lines[index - 1].strip():
        index -= 1
    return index

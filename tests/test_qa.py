from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import make_xlsx
from ragvsft.errors import CorpusError
from ragvsft.qa import load_qa, seeded_split

DOCS = {"a.md", "b.md"}
GOOD = '{"question": "Q?", "answer": "A"}'

# (qa.jsonl text, line the error must name, words the message must contain)
BAD_INPUTS = [
    pytest.param(GOOD + "\n{not json\n", 2, "malformed JSON", id="malformed-json"),
    pytest.param('{"question": "Q\x01?", "answer": "A"}\n', 1, "malformed JSON (Invalid control character at column 16)",
                 id="control-character"),
    pytest.param('["a list"]\n', 1, "expected a JSON object", id="not-an-object"),
    pytest.param(GOOD + '\n{"question": "Q?", "answer": "A", "tags": ' + "[" * 100_000 + "]" * 100_000 + "}\n", 2,
                 "nested too deep to read", id="nested-too-deep"),  # Python's parser recurses per level
    pytest.param('{"answer": "A"}\n', 1, "'question' missing", id="missing-question"),
    pytest.param('{"question": "Q?"}\n', 1, "'answer' missing", id="missing-answer"),
    pytest.param('{"question": "Q?", "answer": "  "}\n', 1, "'answer' must be a non-empty string", id="blank-answer"),
    pytest.param('{"question": 3, "answer": "A"}\n', 1, "'question' must be a non-empty string", id="question-not-str"),
    pytest.param('{"question": "\\u200b\\u00ad", "answer": "A"}\n', 1, "'question' must be a non-empty string",
                 id="invisible-question"),
    pytest.param('{"question": "Q?", "answer": "A", "sources": ["c.md"]}\n', 1, "source 'c.md' names no document",
                 id="unknown-source"),
    pytest.param('{"question": "Q?", "answer": "A", "sources": "a.md"}\n', 1, "'sources' must be a list", id="sources-str"),
    pytest.param('{"id": "x", "question": "Q1", "answer": "A"}\n\n{"id": "x", "question": "Q2", "answer": "B"}\n', 3,
                 "duplicate id 'x' (first used on line 1)", id="duplicate-id"),
    pytest.param('{"question": "Q?", "answer": "A", "split": "test"}\n', 1, "'split' must be", id="bad-split"),
    pytest.param('{"question": "Q?", "answer": "A", "tags": [1]}\n', 1, "'tags' must be a list", id="bad-tags"),
    pytest.param('{"question": "Q?", "answer": "A", "also_accept": "B"}\n', 1,
                 "'also_accept' must be a list of non-empty strings, got 'B'", id="also-accept-str"),
    pytest.param('{"question": "Q?", "answer": "A", "also_accept": [" "]}\n', 1, "'also_accept' must be a list",
                 id="also-accept-blank"),
    pytest.param('{"question": "Q?", "answer": "A", "anwser": "typo"}\n', 1, "unknown field(s) ['anwser']", id="unknown-field"),
    pytest.param('{"question": "Same  question", "answer": "A", "split": "train"}\n'
                 '{"question": "same question", "answer": "A", "split": "eval"}\n', 2,
                 "also a train question (line 1)", id="train-eval-leak"),
    pytest.param('{"question": "What is the X-200 limit?", "answer": "A", "split": "train"}\n'
                 '{"question": "what is the X-200 limit", "answer": "A", "split": "eval"}\n', 2,
                 "also a train question (line 1)", id="train-eval-leak-punctuation"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_INPUTS)
def test_bad_lines_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as info:
        load_qa(path, document_ids=DOCS)
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


@pytest.mark.parametrize(("source", "hint"), [
    ("docs/manuals/x200.pdf", "did you mean 'manuals/x200.pdf'?"),  # written from the corpus folder
    ("/home/ana/kb/docs/manuals/x200.pdf", "did you mean 'manuals/x200.pdf'?"),
    ("manuals\\X200.PDF", "did you mean 'manuals/x200.pdf'?"),  # Windows path, another case
    ("manuals/x200.docx", "did you mean 'manuals/x200.pdf'?"),  # the Word original's name
    ("travel.md", "did you mean 'policies/travel.md'?"),  # no folder
    ("README.md", "did you mean one of 'faq/README.md', 'manuals/README.md'?"),
    ("policies/travle.md", "did you mean 'policies/travel.md'?"),  # a typo
])
def test_an_unknown_source_names_the_document_most_likely_meant(tmp_path: Path, source: str, hint: str) -> None:
    path = tmp_path / "qa.jsonl"
    path.write_text(json.dumps({"question": "Q?", "answer": "A", "sources": [source]}) + "\n", encoding="utf-8")
    known = {"manuals/x200.pdf", "policies/travel.md", "faq/README.md", "manuals/README.md"}
    with pytest.raises(CorpusError) as info:
        load_qa(path, document_ids=known)
    assert str(info.value) == (f"{path}:1: source '{source}' names no document in docs/ (ids are paths relative to "
                               f"docs/); {hint}")


def test_a_source_that_was_skipped_says_why(tmp_path: Path) -> None:
    from ragvsft.corpus import load_corpus

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("Some text.")
    (tmp_path / "docs" / "scan.txt").write_bytes(b"caf\xe9")
    (tmp_path / "qa.jsonl").write_text('{"question": "Q?", "answer": "A", "sources": ["scan.txt"]}\n')
    with pytest.raises(CorpusError, match=r"source 'scan.txt' is a file in docs/ that was skipped \(not valid UTF-8"):
        load_corpus(tmp_path)


def test_missing_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="qa.jsonl: file not found"):
        load_qa(tmp_path / "qa.jsonl", document_ids=DOCS)
    (tmp_path / "qa.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no question/answer lines"):
        load_qa(tmp_path / "qa.jsonl", document_ids=DOCS)


def test_a_question_file_that_is_no_file_is_named_not_opened(tmp_path: Path) -> None:
    # A named pipe would wait for a writer forever, and a link to /dev/zero never end: neither is opened.
    from ragvsft.corpus import load_corpus

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.md").write_text("Some text.")
    os.mkfifo(tmp_path / "qa.jsonl")
    with pytest.raises(CorpusError, match=r"qa.jsonl: not a file \(a folder, a named pipe or a device\)"):
        load_corpus(tmp_path)
    (tmp_path / "qa.jsonl").unlink()
    (tmp_path / "qa.csv").symlink_to("/dev/zero")
    with pytest.raises(CorpusError, match=r"qa.csv: not a file"):
        load_corpus(tmp_path)


def test_fields_are_read(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    row = {"id": "q7", "question": " Who? ", "answer": "Zoë", "sources": ["a.md", "b.md"], "split": "eval",
           "tags": ["name", "multi_doc"], "also_accept": ["Zoë Ångström ", "Dr. Ångström"]}
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    (qa,) = load_qa(path, document_ids=DOCS)
    assert (qa.id, qa.question, qa.answer, qa.sources, qa.split, qa.tags, qa.also_accept, qa.line) == (
        "q7", "Who?", "Zoë", ("a.md", "b.md"), "eval", ("name", "multi_doc"), ("Zoë Ångström", "Dr. Ångström"), 1)
    assert qa.split_from_file


def test_seeded_split_is_deterministic_proportional_and_groups_duplicates(tmp_path: Path) -> None:
    questions = [f"What is fact number {i}?" for i in range(2000)]
    path = tmp_path / "qa.jsonl"
    path.write_text("".join(json.dumps({"question": q, "answer": "x"}) + "\n" for q in questions), encoding="utf-8")
    first = load_qa(path, document_ids=DOCS, seed=1, eval_fraction=0.25)
    again = load_qa(path, document_ids=DOCS, seed=1, eval_fraction=0.25)
    assert [p.split for p in first] == [p.split for p in again]
    share = sum(p.split == "eval" for p in first) / len(first)
    assert 0.22 < share < 0.28
    assert not any(p.split_from_file for p in first)
    other_seed = load_qa(path, document_ids=DOCS, seed=2, eval_fraction=0.25)
    assert [p.split for p in other_seed] != [p.split for p in first]
    # Reordering lines does not move any question to the other side.
    path.write_text("".join(json.dumps({"question": q, "answer": "x"}) + "\n" for q in reversed(questions)),
                    encoding="utf-8")
    reordered = {p.question: p.split for p in load_qa(path, document_ids=DOCS, seed=1, eval_fraction=0.25)}
    assert reordered == {p.question: p.split for p in first}
    # The same question, differently spaced or cased, always gets the same split: no leak.
    assert seeded_split("Who  is X?", seed=3, eval_fraction=0.5) == seeded_split("who is x?", seed=3, eval_fraction=0.5)


def test_unicode_line_separators_inside_strings_are_text_and_line_numbers_count_newlines_only(tmp_path: Path) -> None:
    path = tmp_path / "qa.jsonl"
    rows = ['{"question": "Line\u2028separated\u0085question?", "answer": "A", "sources": ["cafe\u0301.md"]}',
            '{"question": "Q2?", "answer": "22\\u0007 weeks"}']
    path.write_bytes("\r\n".join(rows).encode())
    with pytest.raises(CorpusError) as info:
        load_qa(path, document_ids={"caf\u00e9.md"})  # the first line loads: its source matches once composed
    assert str(info.value) == f"{path}:2: 'answer' holds the character U+0007, which is not text; remove it"
    path.write_bytes(rows[0].encode())
    (pair,) = load_qa(path, document_ids={"caf\u00e9.md"})
    assert pair.question == "Line\u2028separated\nquestion?" and pair.sources == ("caf\u00e9.md",)


def test_a_question_sheet_saved_as_csv_reads_as_qa_jsonl_would(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" on a European machine: a BOM, semicolons, capitalised headings, a question over two
    # lines, two sources in one cell, an empty cell, a spacer row, trailing empty cells and an unnamed notes column.
    sheet = tmp_path / "qa.csv"
    sheet.write_text('\ufeffID;Question;Answer;Sources;Split;Tags;\nq1;"Who signs\ntravel?";Zoë;"a.md; b.md";eval;name\n'
                     ";;;;;\nq2;How long is leave?;27 days;;;;ask HR\nq3;Which form?;HR-7;b.md;train;;;\n", encoding="utf-8")
    pairs = load_qa(sheet, document_ids=DOCS)
    assert [(q.id, q.question, q.answer, q.sources, q.split, q.tags, q.line) for q in pairs] == [
        ("q1", "Who signs\ntravel?", "Zoë", ("a.md", "b.md"), "eval", ("name",), 2),
        ("q2", "How long is leave?", "27 days", (), pairs[1].split, (), 5),
        ("q3", "Which form?", "HR-7", ("b.md",), "train", (), 6)]
    assert not pairs[1].split_from_file  # no split in its row: the seeded hash chose one


def test_a_sheet_cell_of_other_accepted_answers_holds_one_a_line(tmp_path: Path) -> None:
    # An answer may hold a ";" (a list of days), so only line breaks (Alt+Enter in Excel) part them.
    sheet = tmp_path / "qa.csv"
    sheet.write_text('question,answer,also_accept\nWhen is it open?,Mon; Wed,"Monday; Wednesday\n Mon, Wed "\n'
                     "Who signs?,Zoë,\n", encoding="utf-8")
    pairs = load_qa(sheet, document_ids=DOCS)
    assert [q.also_accept for q in pairs] == [("Monday; Wednesday", "Mon, Wed"), ()]


def test_a_question_sheet_under_a_title_reads_from_its_column_names(tmp_path: Path) -> None:
    # As people keep them: a title and a note above the row naming the columns, which may come in any order.
    sheet = tmp_path / "qa.csv"
    sheet.write_text("Travel questions 2026;;\nOwner: HR, reviewed in May;;\n;;\nAnswer;Question;Sources\n"
                     "Your manager;Who signs travel?;a.md\nTripdesk;Who books it?;\n", encoding="utf-8")
    pairs = load_qa(sheet, document_ids=DOCS)
    assert [(q.question, q.answer, q.sources, q.line) for q in pairs] == [
        ("Who signs travel?", "Your manager", ("a.md",), 5), ("Who books it?", "Tripdesk", (), 6)]
    sheet.write_text("Travel questions 2026\nquestion,answer\nWho?,Zoë,extra\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="qa.csv:3: 3 cells, and line 2 names 2 columns"):
        load_qa(sheet, document_ids=DOCS)


@pytest.mark.parametrize(("text", "message"), [
    ("question,answer,notes\nWho?,Zoë,x\n", r"qa.csv:1: unknown column\(s\) \['notes'\] in the row naming the columns"),
    ("question,answer,provenance\nWho?,Zoë,x\n", r"qa.csv:1: unknown column\(s\) \['provenance'\]"),
    ("question,answer\nWho?,Zoë,extra\n", "qa.csv:2: 3 cells, and line 1 names 2 columns"),
    ("question,answer,split\nWho?,Zoë,test\n", "qa.csv:2: 'split' must be \"train\" or \"eval\", got 'test'"),
    ("question,answer,sources\n\"Who\nsigns?\",Zoë,c.md\n", "qa.csv:2: source 'c.md' names no document"),
    ("question,answer\n,Zoë\n", "qa.csv:2: 'question' missing"),
    ("Question,answer,question\nWho?,Zoë,Who?\n", r"qa.csv:1: column\(s\) \['question'\] named twice"),
    ("Who signs travel?,Zoë\nWho books?,Tripdesk\n", r"qa.csv:1: unknown column\(s\) \['who signs travel\?', 'zoë'\]"),
    ("question,sources\nWho?,a.md\n", "qa.csv:1: the first row names no 'answer' column, nor does a row below it"),
])
def test_bad_sheet_rows_name_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "qa.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        load_qa(tmp_path / "qa.csv", document_ids=DOCS)


def test_a_corpus_with_both_qa_jsonl_and_qa_csv_asks_which(tmp_path: Path) -> None:
    from ragvsft.corpus import qa_files

    (tmp_path / "qa.csv").write_text("question,answer\nWho?,Zoë\n", encoding="utf-8")
    assert qa_files(tmp_path) == [tmp_path / "qa.csv"]
    (tmp_path / "qa.jsonl").write_text('{"question": "Who?", "answer": "Zoë"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="qa.csv: qa.jsonl is there too: keep one file of written questions"):
        qa_files(tmp_path)
    (tmp_path / "qa.jsonl").unlink()
    (tmp_path / "qa.xlsx").write_bytes(make_xlsx({"Sheet1": _sheet_xml([["question", "answer"], ["Who?", "Zoë"]])}))
    with pytest.raises(CorpusError, match="qa.xlsx: qa.csv is there too"):
        qa_files(tmp_path)


def _sheet_xml(rows: list[list[str | int | None]], numbers: list[int] | None = None) -> str:
    """A worksheet's ``<sheetData>``: a ``<row>`` per row (numbered ``numbers``, else 1, 2, ...), a cell per value
    that is not None, text inline and whole numbers as numbers, as Excel stores them."""
    xml = ""
    for number, row in zip(numbers or range(1, len(rows) + 1), rows):
        cells = "".join(f'<c r="{chr(65 + column)}{number}"><v>{value}</v></c>' if isinstance(value, int) else
                        f'<c r="{chr(65 + column)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
                        for column, value in enumerate(row) if value is not None)
        xml += f'<row r="{number}">{cells}</row>'
    return xml


def test_a_question_workbook_reads_its_sheet_of_questions(tmp_path: Path) -> None:
    # As a team keeps one in Excel: a cover sheet, the questions under a title with a number as an answer, a gap of
    # empty rows, a Windows line break (written _x000D_), a reviewer's remarks in a column with no name, and a hidden
    # sheet of retired questions.
    questions = _sheet_xml([["Travel questions, reviewed by HR"], ["Question", "Answer", "Sources", "Split"],
                            ["Who signs travel?", "Your manager_x000D_\nor HR", "a.md; b.md", "eval", None, "checked"],
                            ["How many days of leave?", 27], ["Who books it?", "Tripdesk", None, "train"]],
                           numbers=[1, 3, 4, 5, 9])
    retired = _sheet_xml([["question", "answer"], ["Old?", "Gone"]])
    workbook = make_xlsx({"About": _sheet_xml([["Owner: HR"]]), "Questions": questions, "Retired": retired},
                         hidden=("Retired",))
    (tmp_path / "qa.xlsx").write_bytes(workbook)
    pairs = load_qa(tmp_path / "qa.xlsx", document_ids=DOCS)
    assert [(q.question, q.answer, q.sources, q.split, q.line) for q in pairs] == [
        ("Who signs travel?", "Your manager\nor HR", ("a.md", "b.md"), "eval", 4),
        ("How many days of leave?", "27", (), pairs[1].split, 5), ("Who books it?", "Tripdesk", (), "train", 9)]


@pytest.mark.parametrize(("workbook", "message"), [
    (make_xlsx({"Q": _sheet_xml([["question", "answer", "split"], ["Who?", "Zoë", "test"]], numbers=[2, 7])}),
     "qa.xlsx:7: 'split' must be \"train\" or \"eval\", got 'test'"),
    (make_xlsx({"Q": _sheet_xml([["question", "answer", "notes"], ["Who?", "Zoë", "x"]])}),
     r"qa.xlsx:1: unknown column\(s\) \['notes'\]"),
    (make_xlsx({"Train": _sheet_xml([["question", "answer"]]), "Eval": _sheet_xml([["Question", "Answer"]])}),
     r"qa.xlsx: sheets \['Train', 'Eval'\] all name question and answer columns: keep the questions in one sheet"),
    (make_xlsx({"Q": _sheet_xml([["Who signs travel?", "Zoë"]])}), r"qa.xlsx:1: unknown column\(s\)"),
    (bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504), "qa.xlsx: an Excel 97-2003 workbook .*save it as"),
    (b"question,answer\nWho?,Zoe\n", r"qa.xlsx: not a readable .xlsx \(File is not a zip file\)"),
])
def test_bad_question_workbooks_name_file_and_row(tmp_path: Path, workbook: bytes, message: str) -> None:
    (tmp_path / "qa.xlsx").write_bytes(workbook)
    with pytest.raises(CorpusError, match=message):
        load_qa(tmp_path / "qa.xlsx", document_ids=DOCS)

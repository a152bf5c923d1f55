"""Reading ``qa.jsonl`` (or ``qa.csv``, ``qa.xlsx``): the corpus' questions, their gold answers and sources.

One JSON object per line: ``question`` and ``answer`` (required strings),
optional ``id``, ``sources`` (document ids), ``split`` ("train" | "eval"),
``tags``, ``also_accept`` (other answers that count as correct) and
``provenance`` (an object of strings; ``ragvsft synthesize`` records its
labeller, prompt version and chunk there). Or a spreadsheet, saved
as ``qa.csv`` or kept as ``qa.xlsx``, the same fields as columns (:func:`sheet_objects`). Lines
without ``split`` are assigned one by a seeded hash of the question text, so
the split is stable when lines are added or reordered and identical questions
always land on the same side (no train/eval leak).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from ragvsft.errors import CorpusError, UnreadableFile
from ragvsft.jsonfile import jsonl_objects
from ragvsft.office_zip import OLE_MAGIC
from ragvsft.tables import HEADER_ROWS, TableProblem, table_rows
from ragvsft.textforms import decode, decode_problem, non_text, normalize
from ragvsft.xlsx_text import visible_sheets

Split = Literal["train", "eval"]
SPLITS: tuple[Split, ...] = ("train", "eval")
_FIELDS = {"id", "question", "answer", "sources", "split", "tags", "also_accept", "provenance"}


@dataclass(frozen=True)
class QAPair:
    """A question with its gold answer.

    Example:
        >>> qa = QAPair(id="q1", question="Who signs off travel?", answer="Ines Marlow",
        ...             sources=("policies/travel.md",), split="eval", tags=("name",))
        >>> qa.split
        'eval'
    """

    id: str
    question: str
    answer: str
    sources: tuple[str, ...]
    split: Split
    tags: tuple[str, ...]
    split_from_file: bool = True  # False when the seeded hash chose the split
    line: int = 0  # 1-based line in its file, for error messages
    file: Path = Path("qa.jsonl")  # the file it was read from (qa.jsonl, or qa.synthetic.jsonl)
    provenance: tuple[tuple[str, str], ...] = ()  # for synthesised pairs: labeller, prompt version, chunk id
    # Other answers that count as correct ("twenty-seven days", "Dr. Ines Marlow"): the correctness metrics score an
    # answer against the best of these and ``answer``; fine-tuning learns ``answer`` alone.
    also_accept: tuple[str, ...] = ()


def normalize_question(text: str) -> str:
    """Case- and whitespace-insensitive form the seeded split hashes (kept as is: changing it would move
    existing corpora's questions between splits)."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def question_key(text: str) -> str:
    """Case-, whitespace- and punctuation-insensitive form: two questions with one key are the same question.

    Example:
        >>> question_key("What is the X-200's limit?") == question_key("what is the X 200 s limit")
        True
    """
    return re.sub(r"\W+", " ", text).strip().casefold()


def seeded_split(question: str, *, seed: int, eval_fraction: float) -> Split:
    """Deterministic split for a question that has none (same input, same answer, any machine)."""
    digest = hashlib.sha256(f"{seed}\0{normalize_question(question)}".encode()).digest()
    return "eval" if int.from_bytes(digest[:8], "big") / 2**64 < eval_fraction else "train"


def _text(value: str, field: str, path: Path, line: int) -> str:
    """A string field in the form documents are read in (:func:`ragvsft.textforms.normalize`); control characters
    and lone surrogates (``"\\ud800"`` is valid JSON, but no text) are refused, naming the field."""
    text = normalize(value)
    if bad := non_text(text):
        raise CorpusError(path, f"'{field}' holds the character U+{ord(bad[0]):04X}, which is not text; remove it",
                          line=line)
    return text


def unknown_source(source: str, known: Collection[str], skipped: Mapping[str, str] = {}) -> str:
    """Why ``source`` names no document, with the id most likely meant: a path written from the corpus folder or
    the filesystem, with backslashes, in another case, with another extension (a PDF exported to Word) or
    without its folder, or a typo; or the reason the file it names was skipped.

    Example:
        >>> unknown_source("docs\\Policies\\travel.md", {"policies/travel.md"}).split("; ")[-1]
        "did you mean 'policies/travel.md'?"
    """
    if source in skipped:
        return f"source '{source}' is a file in docs/ that was skipped ({skipped[source]})"
    plain = source.replace("\\", "/").lstrip("/").removeprefix("./")
    plain = plain.split("docs/", 1)[1] if "docs/" in plain else plain  # "docs/a.md", "/home/me/corpus/docs/a.md"
    path = PurePosixPath(plain)

    def stem(doc_id: str) -> str:
        return str(PurePosixPath(doc_id).with_suffix("")).casefold() if PurePosixPath(doc_id).name else doc_id

    guesses = sorted(k for k in known if k.casefold() == plain.casefold()) \
        or sorted(k for k in known if stem(k) == stem(plain)) \
        or sorted(k for k in known if PurePosixPath(k).name.casefold() == path.name.casefold()) \
        or difflib.get_close_matches(plain, list(known), n=1, cutoff=0.8)
    hint = ("" if not guesses else f"; did you mean '{guesses[0]}'?" if len(guesses) == 1
            else f"; did you mean one of {', '.join(repr(g) for g in guesses[:3])}?")
    return f"source '{source}' names no document in docs/ (ids are paths relative to docs/){hint}"


def _string_list(value: object, field: str, path: Path, line: int) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and normalize(v).strip() for v in value):
        raise CorpusError(path, f"'{field}' must be a list of non-empty strings, got {value!r}", line=line)
    return tuple(_text(v, field, path, line) for v in value)


def _check_fields(obj: dict, path: Path, line: int) -> dict:
    unknown = sorted(set(obj) - _FIELDS)
    if unknown:
        raise CorpusError(path, f"unknown field(s) {unknown}; allowed: {sorted(_FIELDS)}", line=line)
    for field in ("question", "answer"):
        value = obj.get(field)
        if not isinstance(value, str) or not normalize(value).strip():  # a zero-width space alone is no question
            problem = "missing" if field not in obj else "must be a non-empty string"
            raise CorpusError(path, f"'{field}' {problem}", line=line)
    return obj


def load_qa(
    path: Path,
    *,
    document_ids: Collection[str],
    seed: int = 0,
    eval_fraction: float = 0.3,
    more: Sequence[Path] = (),
    skipped: Mapping[str, str] = {},
) -> tuple[QAPair, ...]:
    """Load and validate ``qa.jsonl`` (then each of ``more``, e.g. ``qa.synthetic.jsonl``, as one set: ids unique
    and no question on both sides of the split across all of them); every problem names the file and line.
    ``skipped``: the ids of files in docs/ that were not read, with why, to name when a source is one of them.

    Example:
        >>> pairs = load_qa(Path("corpora/demo/qa.jsonl"), document_ids=ids)  # doctest: +SKIP
    """
    known = set(document_ids)
    pairs: list[QAPair] = []
    first_use: dict[str, tuple[Path, int]] = {}  # id -> (file, line)
    for file in (path, *more):
        pairs += _read_file(file, known, first_use, seed=seed, eval_fraction=eval_fraction, skipped=skipped)
    _check_no_leak(pairs)
    return tuple(pairs)


def _read_file(path: Path, known: set[str], first_use: dict[str, tuple[Path, int]], *, seed: int,
               eval_fraction: float, skipped: Mapping[str, str]) -> list[QAPair]:
    if path.exists() and not path.is_file():  # a named pipe would wait for a writer, /dev/zero never end
        raise CorpusError(path, "not a file (a folder, a named pipe or a device); put the questions in a file there")
    if not path.is_file():
        raise CorpusError(path, "file not found; a corpus needs qa.jsonl with one question/answer object per line, "
                                "or qa.csv or qa.xlsx with question and answer columns (or run `ragvsft synthesize` to have a "
                                "labeller model write qa.synthetic.jsonl)")
    pairs: list[QAPair] = []
    objects = sheet_objects(path) if path.suffix.lower() in (".csv", ".xlsx") else jsonl_objects(path, CorpusError)
    for number, obj in objects:
        _check_fields(obj, path, number)
        qa_id = obj.get("id", f"line-{number}")
        if not isinstance(qa_id, str) or not qa_id.strip():
            raise CorpusError(path, f"'id' must be a non-empty string, got {qa_id!r}", line=number)
        qa_id = _text(qa_id, "id", path, number)
        if qa_id in first_use:
            raise CorpusError(path, f"duplicate id '{qa_id}' (first used on {_where(*first_use[qa_id], path)})",
                              line=number)
        first_use[qa_id] = (path, number)
        sources = _string_list(obj.get("sources", []), "sources", path, number)
        for source in sources:
            if source not in known:
                raise CorpusError(path, unknown_source(source, known, skipped), line=number)
        tags = _string_list(obj.get("tags", []), "tags", path, number)
        split = obj.get("split")
        if split is not None and split not in SPLITS:
            raise CorpusError(path, f"'split' must be \"train\" or \"eval\", got {split!r}", line=number)
        pairs.append(
            QAPair(
                id=qa_id,
                question=_text(obj["question"], "question", path, number).strip(),
                answer=_text(obj["answer"], "answer", path, number).strip(),
                sources=sources,
                split=split or seeded_split(obj["question"], seed=seed, eval_fraction=eval_fraction),
                tags=tags,
                split_from_file=split is not None,
                line=number,
                file=path,
                provenance=_provenance(obj.get("provenance", {}), path, number),
                also_accept=tuple(a.strip() for a in _string_list(obj.get("also_accept", []), "also_accept", path,
                                                                   number)),
            )
        )
    if not pairs:
        raise CorpusError(path, "no question/answer lines")
    return pairs


_LIST_CELL = re.compile(r"\s*[;\n]\s*")  # several sources or tags in one cell: "a.md; b.md", or a line each
_ANSWERS_CELL = re.compile(r"\s*\n\s*")  # several answers a line each: an answer may hold a ";" ("Mon; Wed")


def sheet_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, object) for each row of a question sheet (``qa.csv``, a spreadsheet saved as CSV, or ``qa.xlsx``, its
    sheet holding the questions): a row names the fields (those of a ``qa.jsonl`` object, in any case): the first,
    or the first naming ``question`` and ``answer`` of the first :data:`HEADER_ROWS`, below a title and notes, which
    are not read. A cell holds a field's value (``sources`` and ``tags`` several, separated by ";" or line breaks;
    ``also_accept`` several, a line each), an empty cell leaves its field out, and a column without a name (notes)
    is not read. Problems name the file and line (in a workbook, the row's number), as ``qa.jsonl``'s do."""
    workbook = path.suffix.lower() == ".xlsx"
    rows = _workbook_rows(path) if workbook else _csv_rows(path)
    try:
        first = list(itertools.islice(rows, HEADER_ROWS)) or [(1, {})]
        at = next((index for index, (_, row) in enumerate(first) if _names_questions(row)), 0)
        header_line, header = first[at]
        names = {column: _column_name(name) for column, name in header.items()}
        named = [name for name in names.values() if name]
        columns = _FIELDS - {"provenance"}  # an object, which a cell does not hold
        if unknown := sorted(set(named) - columns):
            raise CorpusError(path, f"unknown column(s) {unknown} in the row naming the columns; allowed: "
                                    f"{sorted(columns)}", line=header_line)
        if twice := sorted({name for name in named if named.count(name) > 1}):
            raise CorpusError(path, f"column(s) {twice} named twice", line=header_line)
        if missing := [field for field in ("question", "answer") if field not in named]:
            raise CorpusError(path, f"the first row names no {' or '.join(map(repr, missing))} column, nor does a row "
                                    f"below it (of the first {HEADER_ROWS}); one row names the columns (question, "
                                    "answer, and any of id, sources, split, tags, also_accept), the first or the one "
                                    "under a title",
                              line=header_line)
        for line, row in itertools.chain(first[at + 1:], rows):
            # In CSV, a cell past the named ones is a delimiter inside an unquoted cell; a workbook has no such slip.
            if not workbook and any(cell.strip() for column, cell in row.items() if column >= len(header)):
                raise CorpusError(path, f"{len(row)} cells, and line {header_line} names {len(header)} columns",
                                  line=line)
            obj: dict[str, Any] = {names[column]: cell for column, cell in row.items()
                                   if names.get(column) and cell.strip()}
            for field, separator in (("sources", _LIST_CELL), ("tags", _LIST_CELL), ("also_accept", _ANSWERS_CELL)):
                if field in obj:
                    obj[field] = [value for value in separator.split(obj[field].strip()) if value]
            if obj:  # a blank row (a spacer, the sheet's end) is no question
                yield line, obj
    except TableProblem as exc:
        raise CorpusError(path, str(exc), line=exc.line) from None


def _names_questions(row: dict[int, str]) -> bool:
    """Whether a sheet's row names a ``question`` and an ``answer`` column."""
    return {"question", "answer"} <= set(map(_column_name, row.values()))


def _column_name(cell: str) -> str:
    """A column's name as a field: "Question", " question " and "QUESTION" name one."""
    return " ".join(cell.split()).casefold()


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[int, str]]]:
    """``qa.csv``'s rows (:func:`ragvsft.tables.table_rows`), each its cells by column."""
    try:
        text = decode(path.read_bytes())
    except UnicodeDecodeError as exc:
        raise CorpusError(path, decode_problem(exc)) from None
    return ((line, dict(enumerate(row))) for line, row in table_rows(text))


def _workbook_rows(path: Path) -> Iterator[tuple[int, dict[int, str]]]:
    """The filled rows of ``qa.xlsx``'s sheet of questions: its only visible sheet, or the one whose first rows name
    a question and an answer column. Two such sheets is an error: which questions would be left out is not ours to
    guess (a ``split`` column says which are for evaluation)."""
    raw = path.read_bytes()
    if raw.startswith(OLE_MAGIC):
        raise CorpusError(path, "an Excel 97-2003 workbook (or a password-protected one), not an .xlsx: save it as "
                                "\"Excel Workbook (.xlsx)\" without a password, or as CSV UTF-8 (qa.csv)")
    try:
        sheets = visible_sheets(raw, list)
    except UnreadableFile as exc:
        raise CorpusError(path, str(exc)) from None
    holding = [(name, rows) for name, rows in sheets
               if any(_names_questions(row) for _, row in rows[:HEADER_ROWS])]
    if len(holding) > 1:
        raise CorpusError(path, f"sheets {[name for name, _ in holding]} all name question and answer columns: keep "
                                "the questions in one sheet (a split column can say which are for evaluation)")
    return iter(holding[0][1] if holding else sheets[0][1] if sheets else [])


def _provenance(value: object, path: Path, line: int) -> tuple[tuple[str, str], ...]:
    """Where a synthesised pair came from (labeller, prompt version, chunk): an object of strings."""
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise CorpusError(path, f"'provenance' must be an object of strings, got {value!r}", line=line)
    return tuple((k, _text(v, "provenance", path, line)) for k, v in sorted(value.items()))


def _check_no_leak(pairs: list[QAPair]) -> None:
    """An eval question that also appears in training would measure memorisation, not answering."""
    train = {question_key(p.question): p for p in pairs if p.split == "train"}
    for pair in pairs:
        if pair.split == "eval" and (other := train.get(question_key(pair.question))):
            raise CorpusError(pair.file, f"eval question is also a train question "
                                         f"({_where(other.file, other.line, pair.file)}); give both the same split",
                              line=pair.line)


def _where(file: Path, line: int, seen_from: Path) -> str:
    """``line 3`` within the same file, ``qa.jsonl:3`` from another."""
    return f"line {line}" if file == seen_from else f"{file.name}:{line}"

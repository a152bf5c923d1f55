"""Property-based tests of the three readers of user files: any bytes in, either a valid result or one clear error
naming the file (and line) — never a traceback, never a silently wrong document.

Each property states how many examples it runs (``examples(n)``); the README's Reliability section quotes them.
``--hypothesis-show-statistics`` shows how many each one ran and how long they took.
"""

from __future__ import annotations

import codecs
import json
import re
import tempfile
import unicodedata
from pathlib import Path
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import make_docx, make_pdf
from ragvsft.config import ExperimentConfig, load_config
from ragvsft.documents import READERS, load_documents
from ragvsft.errors import ConfigError, CorpusError
from ragvsft.qa import load_qa
from ragvsft.textforms import normalize


def examples(n: int) -> settings:
    """``n`` examples, the same ones on every machine (derandomize: CI stays reproducible; a new finding comes
    from raising ``n`` or the strategies, not from luck), with no example database written into the checkout."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Text a hostile or careless file may hold: every Unicode category, plus the characters that trip line-based
# readers (line and paragraph separators, NEL, form feed, CR), a byte-order mark, decomposed accents, and the
# invisible soft hyphen and zero-width space.
TRICKY = st.sampled_from(["\u2028", "\u2029", "\x85", "\x0c", "\r", "\ufeff", "e\u0301", "\u00e9", "\x00", "\x1b[",
                          "\u00ad", "\u200b"])
TEXT = st.lists(st.one_of(st.text(max_size=8), TRICKY), max_size=12).map("".join)
NASTY_BYTES = st.one_of(
    st.binary(max_size=400),
    TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.tuples(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"]), TEXT).map(
        lambda p: p[0] + p[1].encode("utf-8", "surrogatepass")),
)

# How editors and shells save text: UTF-8 with or without a byte-order mark, UTF-16 with one (Windows PowerShell's
# `>`, Notepad's "Unicode"), in either byte order.
ENCODING = st.sampled_from(["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be"])


def _encoded(text: str, encoding: str) -> bytes:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    return bom + text.encode(encoding, "surrogatepass")


# Thousands of examples each write a file: into one folder removed when the run ends, not left behind in /tmp.
_SCRATCH = tempfile.TemporaryDirectory(prefix="ragvsft-properties-")


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(dir=_SCRATCH.name))


def _is_clean(text: str) -> bool:
    """What every loaded text must be: NFC, and no control characters besides tab and newline."""
    return unicodedata.is_normalized("NFC", text) and not any(
        unicodedata.category(c) == "Cc" and c not in "\t\n" for c in text)


# --- qa.jsonl -------------------------------------------------------------------------------------------------


@examples(1000)
@given(st.sampled_from(["qa.jsonl", "qa.csv"]), NASTY_BYTES)
def test_a_question_file_of_any_bytes_loads_or_names_file_and_line(name: str, raw: bytes) -> None:
    path = _tmp() / name
    path.write_bytes(raw)
    try:
        pairs = load_qa(path, document_ids={"a.md"})
    except CorpusError as exc:
        assert str(exc).startswith(f"{path}") and "\n" not in str(exc)
        if exc.line is not None:
            assert 1 <= exc.line <= raw.count(b"\n") + 1
    else:
        assert pairs and all(_is_clean(p.question) and _is_clean(p.answer) for p in pairs)


# What is read leaves out the invisible hints that split words: soft hyphen, zero-width space, word joiner, BOM.
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
# ... and writes every line break (CR LF, CR, vertical tab, form feed, NEL) as "\n".
LINE_BREAKS = re.compile("\r\n?|[\x0b\x0c\x85]")
ROW = st.fixed_dictionaries(
    {"question": TEXT, "answer": TEXT},
    optional={"id": TEXT, "tags": st.lists(TEXT, max_size=2), "split": st.sampled_from(["train", "eval"])})


@examples(1000)
@given(st.lists(ROW, min_size=1, max_size=6), st.booleans(), st.booleans(), ENCODING)
@example([{"question": "0\x850", "answer": "0"}], False, False, "utf-8")  # NEL, a line break, as hypothesis once drew
def test_qa_jsonl_written_by_any_json_writer_reads_back_line_for_line(
    rows: list[dict], ascii_only: bool, crlf: bool, encoding: str
) -> None:
    path = _tmp() / "qa.jsonl"
    text = ("\r\n" if crlf else "\n").join(json.dumps(r, ensure_ascii=ascii_only) for r in rows)
    path.write_bytes(_encoded(text, encoding))
    try:
        pairs = load_qa(path, document_ids=set())
    except CorpusError as exc:
        # Refusals are for content (blank or control characters, duplicate ids, a leak), never for the encoding
        # of a valid JSON line: the error names the line of the row at fault.
        assert exc.line is not None and 1 <= exc.line <= len(rows), str(exc)
        assert "malformed JSON" not in str(exc), str(exc)
    else:
        assert [p.line for p in pairs] == list(range(1, len(rows) + 1))
        assert [p.question for p in pairs] == [unicodedata.normalize("NFC", LINE_BREAKS.sub("\n", r["question"]))
                                               .translate(INVISIBLE).strip() for r in rows]


# --- documents ------------------------------------------------------------------------------------------------


@examples(1000)
@given(st.sampled_from(sorted(READERS)), NASTY_BYTES)  # every format read
def test_a_document_of_any_bytes_is_read_clean_or_skipped_with_a_reason(suffix: str, raw: bytes) -> None:
    docs = _tmp() / "docs"
    docs.mkdir()
    (docs / f"d{suffix}").write_bytes(raw)
    (docs / "ok.md").write_bytes(b"A known good document.")
    loaded = load_documents(docs)  # never raises: one readable document is always there
    assert [d.id for d in loaded.documents if d.id == "ok.md"] == ["ok.md"]
    assert all(_is_clean(d.text) and d.text.strip() for d in loaded.documents)
    skipped = [s for s in loaded.skipped if s.path.endswith(f"d{suffix}")]
    assert len(skipped) + sum(d.id == f"d{suffix}" for d in loaded.documents) == 1
    assert all(s.reason and "\n" not in s.reason for s in skipped)


@examples(500)
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=200), ENCODING)
def test_plain_text_reads_back_as_written_in_composed_form(text: str, encoding: str) -> None:
    docs = _tmp() / "docs"
    docs.mkdir()
    (docs / "d.txt").write_bytes(_encoded(text, encoding))
    # As written, composed, without the invisible hints that split words.
    expected = unicodedata.normalize("NFC", text).translate(INVISIBLE)
    try:
        loaded = load_documents(docs)
    except CorpusError as exc:
        assert "no readable documents" in str(exc) and not expected.strip()
    else:
        assert [d.text for d in loaded.documents] == [expected]


@examples(100)
@given(st.text(st.characters(min_codepoint=32, max_codepoint=126, blacklist_characters="()\\`'"), min_size=1,
               max_size=60).filter(str.strip))
def test_pdf_text_is_extracted(text: str) -> None:
    # (` and ' are left out: the test's PDF uses the standard font encoding, which maps them to curly quotes.)
    docs = _tmp() / "docs"
    docs.mkdir()
    (docs / "d.pdf").write_bytes(make_pdf(text))
    (loaded,) = load_documents(docs).documents
    assert " ".join(loaded.text.split()) == " ".join(text.split())


@examples(200)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufffe\uffff"),
                        max_size=40), min_size=1, max_size=5))
def test_a_word_paragraph_reads_back_as_its_runs_joined(runs: list[str]) -> None:
    # Any text XML can hold, cut into runs anywhere (as Word does), reads back whole.
    docs = _tmp() / "docs"
    docs.mkdir()
    xml_runs = "".join(f'<w:r><w:t xml:space="preserve">{escape(run)}</w:t></w:r>' for run in runs)
    (docs / "d.docx").write_bytes(make_docx(f"<w:p>{xml_runs}</w:p>"))
    expected = normalize("".join(runs).strip())
    try:
        loaded = load_documents(docs)
    except CorpusError:
        assert not expected
    else:
        assert [d.text for d in loaded.documents] == [expected]


# --- the experiment file --------------------------------------------------------------------------------------

PLACEHOLDERS = st.lists(st.one_of(TEXT, st.sampled_from(
    ["{question}", "{context}", "{x}", "{", "}", "{{", "{question.__class__}", "{question!r}", "{0}", "{}"])),
    min_size=1, max_size=4).map("".join)
TOML_VALUE = st.recursive(
    st.one_of(st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(), TEXT, PLACEHOLDERS,
              st.sampled_from(["flat", "cpu", "0 3 * * *", "nope"])),
    lambda inner: st.lists(inner, max_size=3), max_leaves=6)
KEYS = st.sampled_from([
    "corpus", "output_dir", "seed", "eval_fraction", "name", "index.chunk_chars", "index.top_k", "index.embedder",
    "index.index_type", "model.base_model", "model.device", "model.max_new_tokens", "finetune.epochs",
    "finetune.learning_rate", "finetune.max_length", "finetune.recipe", "evaluate.arms", "evaluate.metrics",
    "prompt.closed_book", "prompt.with_context", "prompt.few_shot", "report.alpha", "serve.port", "retrain.schedule",
    "unknown.key", "index.nope"])


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)  # a JSON string is a TOML basic string


@examples(1000)
@given(st.dictionaries(KEYS, TOML_VALUE, max_size=3))
@example({"finetune.learning_rate": float("inf")})
@example({"prompt.closed_book": "{question} {x}"})
@example({"corpus": "a\x00b"})
def test_an_experiment_file_of_any_values_loads_or_names_the_problem(values: dict) -> None:
    path = _tmp() / "exp.toml"
    tables: dict[str, list[str]] = {}
    for key, value in ({"corpus": "corpora/x"} | values).items():  # the one required key, unless replaced
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append(f"{name} = {_toml(value)}")
    path.write_text("\n".join(tables.pop("", [])) + "".join(
        f"\n[{t}]\n" + "\n".join(lines) for t, lines in tables.items()) + "\n", encoding="utf-8",
        errors="surrogatepass")
    _load_or_explain(path)


@examples(1000)
@given(NASTY_BYTES)
def test_an_experiment_file_of_any_bytes_loads_or_names_the_problem(raw: bytes) -> None:
    path = _tmp() / "exp.toml"
    path.write_bytes(raw)
    _load_or_explain(path)


def _load_or_explain(path: Path) -> None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path)) and exc.message
        return
    assert isinstance(config, ExperimentConfig)
    # What loads must also be usable: both prompt templates render with their placeholders only.
    config.prompt.closed_book.format(question="q")
    config.prompt.with_context.format(question="q", context="c")
    floats = [config.eval_fraction, config.finetune.learning_rate, config.report.alpha]
    assert all(f == f and abs(f) != float("inf") for f in floats)

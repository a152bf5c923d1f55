"""`ragvsft synthesize`: a labeller writes QA pairs from chunks; filters counted; splits leak-free; the corpus
loader reads qa.synthetic.jsonl beside qa.jsonl; `check` counts near-duplicate leaks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SMALL_DOCS, write_corpus
from openai_stub import Stub
from ragvsft.cli import app
from ragvsft.corpus import load_corpus, qa_where
from ragvsft.errors import CorpusError
from ragvsft.synthesis import adds_to_question, parse_reply

runner = CliRunner()

# What the stub labeller answers per chunk (matched on a word of the chunk): a good pair, its paraphrase, a pair
# the question gives away, an unsupported answer, a malformed object, and for the pump manual no JSON at all.
REPLIES = {
    "Parental": ['{"question": "How long is parental leave at Orvane Instruments?", "answer": "22 weeks"}',
                 '{"question": "How long does parental leave at Orvane Instruments last?", "answer": "22 weeks"}',
                 '{"question": "Is parental leave 22 weeks?", "answer": "22 weeks"}',
                 '{"question": "Who receives leave requests?", "answer": "Ines Marlow"}'],
    "Tripdesk": ['{"question": "Through which tool is travel booked?", "answer": "Tripdesk"}',
                 '{"question": "Which airline is used?", "answer": "Lufthansa"}',
                 '{"question": "Which class for flights under 6 hours?"}',
                 '{"question": "What class are flights under 6 hours?", "answer": "economy class"}'],
    "X-200": ["I am sorry, I cannot write questions about this."],
}


def labeller_reply(message: str) -> str:
    return "\n".join(next(lines for word, lines in REPLIES.items() if word in message))


def experiment(tmp_path: Path, corpus: Path, embedder: Path, labeller_url: str, extra: str = "") -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(
        f'corpus = "{corpus}"\noutput_dir = "{tmp_path / "out"}"\neval_fraction = 0.5\n{extra}'
        f'[index]\nembedder = "{embedder}"\nchunk_chars = 400\nchunk_overlap_chars = 20\n'
        f'[synthesize]\nper_chunk = 4\nmin_chunk_chars = 10\n'
        f'[synthesize.labeller]\nbase_url = "{labeller_url}"\nmodel = "big-labeller"\napi_key_env = ""\n',
        encoding="utf-8")
    return path


def test_parse_reply_reads_only_well_formed_pairs() -> None:
    text = ('Here you go:\n```json\n{"question": "Q1?", "answer": "A1"}\n```\n{"question": "Q2?", "answer": ""}\n'
            '{"question": "Q3?", "answer": 3}\n{not json}')
    assert parse_reply(text) == [("Q1?", "A1")]
    assert parse_reply("no objects here") == []
    assert parse_reply('{"question": "Q\\u0007?", "answer": "A"}') == []  # control characters are not text


def test_an_answer_the_question_already_holds_is_given_away() -> None:
    assert not adds_to_question("Is the X-200 limit 14 bar?", "14 bar")
    assert adds_to_question("What is the X-200 limit?", "14 bar")
    assert not adds_to_question("Who approves travel, Ines Marlow?", "Ines Marlow approves")  # stems match


def test_synthesize_writes_filtered_tagged_pairs_the_corpus_loads(
    tmp_path: Path, tiny_embedder_dir: Path, stub: Stub, mlflow_uri: str
) -> None:
    stub.respond = labeller_reply
    corpus = write_corpus(tmp_path / "corpus", qa=[])
    (corpus / "qa.jsonl").unlink()  # documents only
    exp = experiment(tmp_path, corpus, tiny_embedder_dir, stub.url)
    before = runner.invoke(app, ["check", str(exp)])
    assert before.exit_code == 2 and "or run `ragvsft synthesize`" in " ".join(before.output.split())

    result = runner.invoke(app, ["synthesize", str(exp)])
    assert result.exit_code == 0, result.output
    table = {line.split("│")[1].strip(): int(line.split("│")[2]) for line in result.output.splitlines()
             if line.count("│") == 3 and line.split("│")[2].strip().isdigit()}
    assert table == {"questions asked": 12, "not returned as a well-formed pair": 5, "answer given away by the question": 1,
                     "answer not supported by its chunk": 1, "near-duplicate question": 1, "kept": 4}, result.output

    rows = [json.loads(line) for line in (corpus / "qa.synthetic.jsonl").read_text().splitlines()]
    assert sorted(r["question"] for r in rows) == ["How long is parental leave at Orvane Instruments?",
                                                   "Through which tool is travel booked?",
                                                   "What class are flights under 6 hours?",
                                                   "Who receives leave requests?"]
    for row in rows:
        assert row["tags"][:2] == ["synthetic", "labeller=openai:big-labeller"]
        assert row["provenance"]["prompt"] == "qa-v1" and row["provenance"]["chunk"].startswith(row["sources"][0])
        assert row["split"] in ("train", "eval") and (("seen_fact" in row["tags"]) or ("unseen_fact" in row["tags"])
                                                     or row["split"] == "train")
    loaded = load_corpus(corpus, eval_fraction=0.5)
    assert [q.id for q in loaded.qa] == [r["id"] for r in rows] and loaded.qa[0].provenance

    again = runner.invoke(app, ["synthesize", str(exp)])
    assert again.exit_code == 2 and "exists already; pass --overwrite" in again.output
    assert runner.invoke(app, ["synthesize", str(exp), "--overwrite", "--max-questions", "1"]).exit_code == 0
    assert len((corpus / "qa.synthetic.jsonl").read_text().splitlines()) == 1


def test_replies_are_cached_so_a_rerun_asks_the_labeller_nothing_twice(
    tmp_path: Path, tiny_embedder_dir: Path, stub: Stub, mlflow_uri: str
) -> None:
    stub.respond = labeller_reply
    corpus = write_corpus(tmp_path / "corpus", qa=[])
    (corpus / "qa.jsonl").unlink()
    exp = experiment(tmp_path, corpus, tiny_embedder_dir, stub.url)
    exp.write_text(exp.read_text() + "max_concurrency = 1\ntimeout_s = 30\n")  # one at a time, like llama.cpp
    assert runner.invoke(app, ["synthesize", str(exp)]).exit_code == 0
    asked, first = len(stub.requests), (corpus / "qa.synthetic.jsonl").read_text()
    assert asked == 3 and stub.max_in_flight == 1

    again = runner.invoke(app, ["synthesize", str(exp), "--overwrite"])
    assert again.exit_code == 0, again.output
    assert len(stub.requests) == asked and (corpus / "qa.synthetic.jsonl").read_text() == first
    assert "3 replies came from" in " ".join(again.output.split())


@pytest.mark.parametrize("setting", ["max_concurrency = 0", "timeout_s = 0"])
def test_bad_endpoint_settings_are_refused(tmp_path: Path, tiny_embedder_dir: Path, setting: str) -> None:
    exp = experiment(tmp_path, write_corpus(tmp_path / "corpus"), tiny_embedder_dir, "http://127.0.0.1:9/v1")
    exp.write_text(exp.read_text() + setting + "\n")
    result = runner.invoke(app, ["check", str(exp)])
    assert result.exit_code == 2
    assert "synthesize.labeller: timeout_s must be positive and max_concurrency at least 1" in " ".join(result.output.split())


def test_a_labeller_that_writes_nothing_usable_is_an_error_with_the_counts(
    tmp_path: Path, tiny_embedder_dir: Path, stub: Stub, mlflow_uri: str
) -> None:
    stub.respond = lambda message: "Sorry."
    corpus = write_corpus(tmp_path / "corpus")
    result = runner.invoke(app, ["synthesize", str(experiment(tmp_path, corpus, tiny_embedder_dir, stub.url))])
    assert result.exit_code == 2 and "gave no usable pair" in result.output
    assert "not returned as a well-formed pair: 12" in " ".join(result.output.split())
    assert not (corpus / "qa.synthetic.jsonl").exists()


def test_a_missing_corpus_folder_is_named_before_the_labeller_is_asked(
    tmp_path: Path, tiny_embedder_dir: Path, stub: Stub, mlflow_uri: str
) -> None:
    result = runner.invoke(app, ["synthesize", str(experiment(tmp_path, tmp_path / "nope", tiny_embedder_dir, stub.url))])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope'}: corpus folder not found; a corpus folder holds docs/" in " ".join(result.output.split())
    assert stub.requests == []


def test_both_question_files_load_as_one_set(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", qa=[{"id": "a", "question": "How long is leave?", "answer": "22 weeks",
                                                    "split": "train"}])
    synthetic = corpus / "qa.synthetic.jsonl"
    synthetic.write_text('{"id": "a", "question": "Who books travel?", "answer": "Tripdesk"}\n')
    with pytest.raises(CorpusError, match=r"qa.synthetic.jsonl:1: duplicate id 'a' \(first used on qa.jsonl:1\)"):
        load_corpus(corpus)
    synthetic.write_text('{"id": "s1", "question": "How long is leave?", "answer": "22 weeks", "split": "eval"}\n')
    with pytest.raises(CorpusError, match=r"qa.synthetic.jsonl:1: eval question is also a train question \(qa.jsonl:1\)"):
        load_corpus(corpus)
    synthetic.write_text('{"id": "s1", "question": "Who books travel?", "answer": "Tripdesk", "provenance": '
                         '{"chunk": "policies/travel.txt#0"}}\n')
    both = load_corpus(corpus)
    assert qa_where(corpus) == f"{corpus / 'qa.jsonl'} + qa.synthetic.jsonl"  # how preflight errors name them
    assert [q.id for q in both.qa] == ["a", "s1"] and both.qa[1].provenance == (("chunk", "policies/travel.txt#0"),)
    alone = load_corpus(write_corpus(tmp_path / "other", qa=[{"question": "Q?", "answer": "A"}]))
    assert both.qa_sha256 != alone.qa_sha256


def test_check_counts_eval_questions_that_repeat_a_training_question(tmp_path: Path, stub: Stub) -> None:
    qa = [{"id": "t1", "question": "How long is parental leave?", "answer": "22 weeks", "split": "train"},
          {"id": "e1", "question": "How long is the parental leave?", "answer": "22 weeks", "split": "eval"},
          {"id": "e2", "question": "How long is parental leave, in weeks?", "answer": "22 weeks", "split": "eval",
           "tags": ["seen_fact"]},
          {"id": "e3", "question": "Where is travel booked?", "answer": "Tripdesk", "split": "eval"}]
    corpus = write_corpus(tmp_path / "corpus", SMALL_DOCS, qa)
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n[evaluate]\narms = ["rag"]\n', encoding="utf-8")
    result = runner.invoke(app, ["check", str(exp)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "warning: 1 of 3 eval questions have a near-duplicate in train (cosine ≥ 0.8): e1 ~ t1 (0." in text
    assert "1 more are tagged seen_fact, on purpose" in text


def test_the_packaged_model_as_labeller_runs_the_whole_path(tmp_path: Path, mlflow_uri: str,
                                                           request: pytest.FixtureRequest) -> None:
    """The real default labeller, on the three small documents: it writes something, and every filter counts it
    (how well it does on a real corpus is in the README)."""
    corpus = write_corpus(tmp_path / "corpus")
    cache = Path(request.config.cache.mkdir("ragvsft-models"))
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n[model]\ncache_dir = "{cache}"\n[synthesize]\nmin_chunk_chars = 10\n'
                   "max_new_tokens = 64\n",
                   encoding="utf-8")
    result = runner.invoke(app, ["synthesize", str(exp)])
    text = " ".join(result.output.split())
    assert "asking SmolLM2-135M-Instruct@sha256:" in text and "about 3 chunks, 2 question(s) each" in text
    if result.exit_code == 0:  # kept at least one pair: it loads with the corpus
        assert load_corpus(corpus).qa and "questions asked │ 6" in result.output.replace("  ", "").replace(" │", "│")
    else:
        assert result.exit_code == 2 and "questions asked: 6" in text, result.output

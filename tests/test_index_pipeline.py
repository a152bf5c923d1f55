"""The `ragvsft index` / `search` / `check` commands end to end: files on disk, MLflow runs, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_corpus
from ragvsft import tracking
from ragvsft.cli import app
from ragvsft.corpus import load_corpus

runner = CliRunner()


def experiment(tmp_path: Path, corpus: Path, embedder: Path | None = None, extra: str = "") -> Path:
    path = tmp_path / "exp.toml"
    index = f'[index]\nembedder = "{embedder}"\nchunk_chars = 120\nchunk_overlap_chars = 20\n' if embedder else ""
    path.write_text(f'corpus = "{corpus}"\noutput_dir = "{tmp_path / "out"}"\n{extra}{index}', encoding="utf-8")
    return path


def test_index_logs_a_run_and_rebuild_is_a_no_op(
    small_corpus: Path, tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    exp = experiment(tmp_path, small_corpus, tiny_embedder_dir)
    first = runner.invoke(app, ["index", str(exp)])
    assert first.exit_code == 0, first.output
    assert "built " in first.output and "chunks/s" in first.output
    assert "mlflow ui --backend-store-uri " + mlflow_uri in first.output

    run_id = first.output.split("logged run ")[1].split(";")[0]
    run = tracking.get_run(mlflow_uri, run_id)
    metrics, params = run.data.metrics, run.data.params
    assert metrics["documents"] == 3 and metrics["chunks"] >= 3 and metrics["index_reused"] == 0
    assert metrics["build_s"] > 0 and metrics["chunks_per_s"] > 0 and metrics["peak_rss_mb"] > 50
    assert metrics["retrieval_questions"] == 2  # the two eval questions with sources
    assert 0 <= metrics["hit_at_1"] <= metrics["hit_at_5"] <= 1 and 0 <= metrics["mrr"] <= 1
    # Three small documents: a random ranking finds most sources, and the run says so beside the scores.
    chance = (metrics["hit_at_1_chance"], metrics["hit_at_5_chance"], metrics["mrr_chance"])
    assert 0 < chance[0] < chance[1] <= 1 and chance[0] < chance[2] < 1
    assert f"(a random ranking: {chance[0]:.3f} / {chance[1]:.3f} / {chance[2]:.3f})" in first.output
    assert chance[1] >= 0.5 and "a random ranking would find the source in the first 5 for" in first.output, first.output
    assert params["index.chunk_chars"] == "120" and params["corpus"] == str(small_corpus)
    assert run.data.tags["mlflow.runName"].startswith("index-exp · corpus · ")
    experiment_ = tracking.mlflow.get_experiment(run.info.experiment_id)
    assert experiment_.name == "ragvsft/corpus"

    artifacts = Path(run.info.artifact_uri.removeprefix("file://"))
    manifest = json.loads((artifacts / "index" / "manifest.json").read_text())
    assert manifest["counts"]["chunks"] == metrics["chunks"]
    split = json.loads((artifacts / "corpus" / "split.json").read_text())
    assert split["splits"] == {"train": ["q3"], "eval": ["q1", "q2"]}
    assert (artifacts / "retrieval" / "per_question.json").is_file()

    second = runner.invoke(app, ["index", str(exp)])
    assert second.exit_code == 0, second.output
    assert "index unchanged, reusing" in second.output
    run2 = tracking.get_run(mlflow_uri, second.output.split("logged run ")[1].split(";")[0])
    assert run2.data.metrics["index_reused"] == 1 and "build_s" not in run2.data.metrics


def test_index_builds_a_damaged_live_version_again_instead_of_reusing_it(
    small_corpus: Path, tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    exp = experiment(tmp_path, small_corpus, tiny_embedder_dir)
    assert runner.invoke(app, ["index", str(exp)]).exit_code == 0
    live = tmp_path / "out" / "index" / (tmp_path / "out" / "index" / "CURRENT").read_text().strip()
    faiss_file = live / "index.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:100])  # truncated, as a full disk or a killed copy leaves it
    assert runner.invoke(app, ["search", str(exp), "pressure"]).exit_code == 2
    again = runner.invoke(app, ["index", str(exp)])
    assert again.exit_code == 0, again.output
    assert "damaged index version set aside and built again" in again.output and "unchanged" not in again.output
    assert runner.invoke(app, ["search", str(exp), "pressure"]).exit_code == 0


def test_search_prints_ranked_chunks(small_corpus: Path, tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str) -> None:
    exp = experiment(tmp_path, small_corpus, tiny_embedder_dir)
    before = runner.invoke(app, ["search", str(exp), "pressure"])
    assert before.exit_code == 2 and "no index built yet" in before.output
    assert runner.invoke(app, ["index", str(exp)]).exit_code == 0
    result = runner.invoke(app, ["search", str(exp), "What is the X-200 maximum pressure?", "-k", "2"])
    assert result.exit_code == 0, result.output
    assert "top 2 chunks" in result.output and result.output.count("#0") >= 1
    # Changing the embedder without re-indexing would silently rank nonsense: refused.
    other = runner.invoke(app, ["search", str(exp), "pressure", "--set", "index.embedder=all-MiniLM-L6-v2"])
    assert other.exit_code == 2 and "Traceback" not in other.output
    assert "the experiment's embedder is all-MiniLM-L6-v2" in other.output
    assert "run `ragvsft index <experiment>` again" in other.output


def test_index_checks_the_version_it_built_and_search_names_settings_that_differ(
    small_corpus: Path, tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pipelines.index

    build = pipelines.index.build_index

    def then_another_run_publishes(*args, **kwargs):  # CURRENT moves between this build and its retrieval check
        built = build(*args, **kwargs)
        (tmp_path / "out" / "index" / "CURRENT").write_text("v-00000000000000000000\n", encoding="utf-8")
        return built

    monkeypatch.setattr(pipelines.index, "build_index", then_another_run_publishes)
    exp = experiment(tmp_path, small_corpus, tiny_embedder_dir)
    result = runner.invoke(app, ["index", str(exp)])
    assert result.exit_code == 0 and "retrieval on 2 eval questions" in result.output, result.output
    monkeypatch.setattr(pipelines.index, "build_index", build)
    assert runner.invoke(app, ["index", str(exp)]).exit_code == 0

    drifted = runner.invoke(app, ["search", str(exp), "pressure", "--set", "index.chunk_chars=300"])
    assert drifted.exit_code == 0, drifted.output
    assert "built with other settings than the experiment's (chunk_chars: built 120, configured 300)" in " ".join(
        drifted.output.split())
    same = runner.invoke(app, ["search", str(exp), "[bold]pressure[/] :closed_book:"])
    assert "other settings" not in same.output and "[bold]pressure[/] :closed_book:" in same.output, same.output
    assert "note:" not in same.output
    long = runner.invoke(app, ["search", str(exp), "pressure " * 10_000])
    assert long.exit_code == 0 and "(90,000 characters)" in long.output and long.output.count("pressure") < 100
    assert "note: the question has 10,002 tokens; the embedder reads the first" in long.output, long.output


@pytest.mark.parametrize(("file", "damage", "problem"), [
    # The manifest records each file's size and checksum: a changed file is named before anything parses it.
    ("index.faiss", b"half an index", "holds 13 bytes where"),
    ("chunks.jsonl", b'{"id": "a", "doc_id": "a", "text": "t", "start_char": 0}\nnot json\n', "holds 66 bytes where"),
    ("manifest.json", b"{", "malformed JSON"),
])
def test_search_on_a_damaged_index_prints_one_error_line(
    small_corpus: Path, tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str, file: str, damage: bytes, problem: str
) -> None:
    exp = experiment(tmp_path, small_corpus, tiny_embedder_dir)
    assert runner.invoke(app, ["index", str(exp)]).exit_code == 0
    root = tmp_path / "out" / "index"
    version = root / (root / "CURRENT").read_text(encoding="utf-8").strip()
    (version / file).write_bytes(damage)
    result = runner.invoke(app, ["search", str(exp), "pressure"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is not None  # SystemExit from typer.Exit
    lines = result.output.strip().splitlines()
    where = {"index.faiss": f"{version / file}:", "chunks.jsonl": f"{version / file}:",
             "manifest.json": f"{version / file}:1:"}[file]
    assert len(lines) == 1 and lines[0].startswith(f"error: {where} {problem}"), result.output


@pytest.mark.parametrize(("docs", "qa", "message"), [
    ({}, None, "docs: folder not found"),
    ({"a.md": ""}, None, "no readable documents"),
    (None, '{"question": "Q", "answer": "A"}\n{"question": "Q2"\n', "qa.jsonl:2: malformed JSON"),
    (None, '{"question": "Q"}\n', "qa.jsonl:1: 'answer' missing"),
    (None, '{"question": "Q", "answer": "A", "sources": ["nope.md"]}\n', "qa.jsonl:1: source 'nope.md' names no document"),
    (None, '{"id": "a", "question": "Q", "answer": "A"}\n{"id": "a", "question": "R", "answer": "B"}\n',
     "qa.jsonl:2: duplicate id 'a'"),
])
def test_bad_corpora_fail_before_any_model_loads(
    tmp_path: Path, mlflow_uri: str, docs: dict | None, qa: str | None, message: str
) -> None:
    corpus = tmp_path / "bad"
    if docs == {}:
        corpus.mkdir()
        (corpus / "qa.jsonl").write_text('{"question": "Q", "answer": "A"}\n', encoding="utf-8")
    else:
        write_corpus(corpus, docs, qa)
    # A non-existent embedder proves the error comes before any model is loaded.
    exp = experiment(tmp_path, corpus, Path("/no/such/model"))
    for command in ("check", "index"):
        result = runner.invoke(app, [command, str(exp)])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert "Traceback" not in result.output


def test_a_relative_corpus_read_from_another_folder_says_where_it_looked(
    small_corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = experiment(tmp_path, Path(small_corpus.name))  # relative: right only from the corpus' parent folder
    monkeypatch.chdir(small_corpus.parent)
    assert runner.invoke(app, ["check", str(exp)]).exit_code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["check", str(exp)])
    assert result.exit_code == 2
    assert (f"error: {small_corpus.name}: corpus folder not found (a relative path, read from the current directory "
            f"{elsewhere}:") in " ".join(result.output.split())
    as_file = runner.invoke(app, ["check", str(exp), "--set", f"corpus={exp}"])
    assert as_file.exit_code == 2 and f"{exp}: is a file, not a corpus folder" in as_file.output


def test_bad_config_and_override_exit_non_zero(small_corpus: Path, tmp_path: Path) -> None:
    exp = experiment(tmp_path, small_corpus, extra='chunk_chars = 3\n')
    result = runner.invoke(app, ["check", str(exp)])
    assert result.exit_code == 2 and "unknown key 'chunk_chars'" in result.output
    exp = experiment(tmp_path, small_corpus)
    result = runner.invoke(app, ["check", str(exp), "--set", "index.top_k=zero"])
    assert result.exit_code == 2 and "'index.top_k' must be int" in result.output
    ok = runner.invoke(app, ["check", str(exp)])
    assert ok.exit_code == 0 and "3 documents (1 .html, 1 .md, 1 .txt), 1 train / 2 eval" in ok.output, ok.output


def test_index_warns_when_chunks_are_longer_than_the_embedder_reads(tmp_path: Path, tiny_embedder_dir: Path,
                                                                      mlflow_uri: str) -> None:
    text = " ".join(f"Clause {n} sets the notice period for the supplier." for n in range(200))
    corpus = write_corpus(tmp_path / "c", {"long.md": text},
                          [{"question": "Notice period?", "answer": "Clause 3", "sources": ["long.md"], "split": "eval"}])
    exp = experiment(tmp_path, corpus, tiny_embedder_dir, extra='[evaluate]\narms = ["rag"]\n')  # reads 128 tokens
    warned = "chunks are longer than the 128 tokens the embedder reads"
    checked = runner.invoke(app, ["check", str(exp), "--set", "index.chunk_chars=3000"])  # before anything is built
    assert checked.exit_code == 0 and warned in " ".join(checked.output.split()), checked.output
    result = runner.invoke(app, ["index", str(exp), "--set", "index.chunk_chars=3000"])
    assert result.exit_code == 0, result.output
    assert warned in " ".join(result.output.split())
    run = tracking.get_run(mlflow_uri, result.output.split("logged run ")[1].split(";")[0])
    assert run.data.metrics["chunks_over_embedder_limit"] > 0
    for command in ("check", "index"):  # 120 characters a chunk
        fine = runner.invoke(app, [command, str(exp)])
        assert fine.exit_code == 0 and "the embedder reads" not in fine.output, fine.output


def test_skipped_files_are_reported(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "c", {"a.md": "Some text.", "b.md": b"caf\xe9", "c.md": ""},
                          [{"question": "Q", "answer": "A", "sources": ["a.md"], "split": "eval"}])
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output and "b.md: not valid UTF-8" in result.output and "(2 skipped)" in result.output
    strict = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n')),
                                 "--set", "strict_corpus=true"])
    assert strict.exit_code == 2 and "b.md: not valid UTF-8" in strict.output
    assert "(strict_corpus = true: 2 file(s) skipped in docs/ are errors" in " ".join(strict.output.split())



def test_files_skipped_for_one_reason_are_reported_in_one_line(tmp_path: Path) -> None:
    # A folder exported from a shared drive: hundreds of pictures beside the documents, and one file to fix.
    pictures = {f"img/{n:03}.png": b"\x89PNG" for n in range(300)}
    pasted = "Some text.\n\n![logo](data:image/png;base64," + "iVBORw0KGgo" * 93 + "=)"  # 1,024 characters of payload
    corpus = write_corpus(tmp_path / "c", {"a.md": pasted, "a.txt": pasted, "b.md": b"caf\xe9", **pictures},
                          [{"question": "Q", "answer": "A", "sources": ["a.md"], "split": "eval"}])
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: skipped")]
    docs = corpus / "docs"
    assert warnings == [
        f"warning: skipped {docs / 'b.md'}: not valid UTF-8 (byte 3); re-save it as UTF-8",
        f"warning: skipped 300 files: unsupported file type '.png' ({docs / 'img/000.png'}, {docs / 'img/001.png'}, "
        f"{docs / 'img/002.png'} and 297 more)"]
    assert "2 documents (1 .md, 1 .txt; 301 skipped)" in result.output
    assert "left out 2 KiB of base64 data (pictures pasted as data: URIs, encoded attachments) from 2 documents (a.md, a.txt)" \
        in " ".join(result.output.split())
    assert "1 document repeats another word for word (a.txt = a.md): retrieval returns each passage once" \
        in " ".join(result.output.split())
    # Every one of them is listed in the corpus record each run keeps (corpus/split.json in MLflow).
    record = load_corpus(corpus).split_record()
    skipped = record["skipped_files"]
    assert record["base64_chars_left_out"] == {"a.md": 1024, "a.txt": 1024}
    assert len(skipped) == 301 and skipped[0] == {"path": str(docs / "b.md"),
                                                  "reason": "not valid UTF-8 (byte 3); re-save it as UTF-8"}


def test_check_names_gold_answers_their_sources_do_not_hold(tmp_path: Path) -> None:
    # A spreadsheet export whose sources column slipped by a row: the second answer is in b.md, not a.md.
    corpus = write_corpus(tmp_path / "c", {"a.md": "Annual leave is 27 days.", "b.md": "Laptops are replaced every 4 years."},
                          [{"question": "How long is annual leave?", "answer": "27 days", "sources": ["a.md"],
                            "split": "eval"},
                           {"question": "When are laptops replaced?", "answer": "every 4 years", "sources": ["a.md"],
                            "split": "eval"},
                           {"question": "Is it paid?", "answer": "Yes", "sources": ["b.md"], "split": "eval"},
                           # Written otherwise in its source, as an answer it also accepts: in its source.
                           {"question": "How often is the fleet replaced?", "answer": "4 yrs",
                            "also_accept": ["four years"], "sources": ["c.md"], "split": "eval"}])
    (corpus / "docs" / "c.md").write_text("Vans are replaced every four years.", encoding="utf-8")
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0, result.output
    assert "corpus c: 3 documents, 0 train / 4 eval questions (1 with also_accept)" in result.output
    # "Yes" makes no claim of its own to look for: 3 answers are checked, 1 is missing from its source.
    assert (f"warning: 1 of 3 gold answers with sources are mostly not in those documents (under half their words): "
            f"{corpus / 'qa.jsonl'}:2 ('every 4 years' in a.md); check their sources") in " ".join(result.output.split())


def test_check_names_eval_questions_written_twice(tmp_path: Path) -> None:
    rows = [{"question": "How long is annual leave?", "answer": "27 days", "split": "eval"},
            {"question": "When are laptops replaced?", "answer": "every 4 years", "split": "eval"},
            {"question": "How long is annual leave?", "answer": "27 days", "split": "eval"},  # a row exported twice
            {"question": "how long is annual leave", "answer": "25 days", "split": "eval"}]
    corpus = write_corpus(tmp_path / "c", {"a.md": "Annual leave is 27 days. Laptops are replaced every 4 years."}, rows)
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0, result.output
    qa = corpus / "qa.jsonl"
    assert (f"warning: 2 eval question(s) repeat an earlier one ({qa}:3 = qa.jsonl:1, {qa}:4 = qa.jsonl:1 with another "
            "answer): each copy counts as one more question") in " ".join(result.output.split())


def test_check_names_a_copy_of_the_question_file_among_the_documents(tmp_path: Path) -> None:
    rows = [{"question": "How long is annual leave?", "answer": "27 days", "split": "eval"},
            {"question": "When are laptops replaced?", "answer": "every 4 years", "split": "eval"},
            {"question": "Who signs travel?", "answer": "Your manager", "split": "eval"},
            {"question": "Is it paid?", "answer": "Yes", "split": "train"}]
    docs = {"a.md": "Annual leave is 27 days. Laptops are replaced every 4 years. Your manager signs travel.",
            # A backup of the questions (read as "question: ..." lines), and a page asking one of them as a heading:
            "old/qa-backup.jsonl": "".join(json.dumps(row) + "\n" for row in rows[:2]),
            "faq.md": "## How long is annual leave?\n\n27 days."}
    corpus = write_corpus(tmp_path / "c", docs, rows)
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert output.count("eval questions word for word") == 1  # the page asking one of three is no copy
    assert ("warning: old/qa-backup.jsonl holds 2 of the 3 eval questions word for word: a copy of the question file? "
            "The rag arms would retrieve each question with its gold answer, so their scores would measure lookup; "
            "move it out of docs/ (if the questions were copied from it, as from an FAQ, ask them in your users' "
            "words instead)") in output


def test_check_warns_when_the_questions_are_in_another_language_than_the_packaged_models(tmp_path: Path) -> None:
    german = ["Wie viele Urlaubstage stehen neuen Mitarbeitern im ersten Jahr zu?",
              "Bis wann müssen nicht genommene Urlaubstage beantragt werden?",
              "Wer genehmigt Dienstreisen ins Ausland und wie lange dauert das?",
              "Welche Unterlagen braucht die Personalabteilung bei einer Krankmeldung?",
              "Wie hoch ist die Kilometerpauschale für Fahrten mit dem eigenen Auto?",
              "Wann werden die Gehälter jeden Monat auf das Konto überwiesen?",
              "Wo finde ich das Formular für die Erstattung von Reisekosten?",
              "Wie oft werden Laptops für Mitarbeiter im Außendienst ersetzt?",
              "Welche Schulungen sind für neue Kollegen im Labor verpflichtend?",
              "Wie meldet man einen Arbeitsunfall in der Werkstatt richtig?",
              "Darf man Überstunden in freie Tage umwandeln und bis wann?",
              "Wer ist für die Wartung der Druckluftanlage im Werk zuständig?",
              "Wie lange dauert die Probezeit für Angestellte in der Verwaltung?",
              "Welche Frist gilt für die Kündigung während der ersten sechs Monate?"]
    docs = {"urlaub.md": "Neue Mitarbeiter haben im ersten Jahr 27 Urlaubstage."}
    rows = [{"question": q, "answer": "27 Tage", "split": "eval"} for q in german]
    corpus = write_corpus(tmp_path / "de", docs, rows)
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0, result.output
    assert ("warning: the questions do not read as English (only 2% of their 135 words are common English ones such as "
            "'the', 'of', 'is'; English prose has 25-50 %), and index.embedder 'all-MiniLM-L6-v2' and model.base_model "
            "'SmolLM2-135M-Instruct' are English models") in " ".join(result.output.split())
    # A dozen questions in Chinese: each character a word, as the metrics count them (they were a word each: too
    # few to judge, no warning).
    chinese = [{"question": f"新员工第{n}年有多少天带薪年假？", "answer": "27天", "split": "eval"} for n in range(12)]
    corpus = write_corpus(tmp_path / "zh", {"leave.md": "新员工每年有27天带薪年假。"}, chinese)
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert "the questions do not read as English (only 0% of their 156 words" in " ".join(result.output.split())
    # The same questions in English: no warning.
    english = [{"question": f"How many days of leave does a new colleague get in year {n}?", "answer": "27 days",
                "split": "eval"} for n in range(14)]
    corpus = write_corpus(tmp_path / "en", {"leave.md": "New colleagues get 27 days of leave."}, english)
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, extra='[evaluate]\narms = ["rag"]\n'))])
    assert result.exit_code == 0 and "do not read as English" not in result.output, result.output


def test_a_command_sends_no_usage_reports_unless_told_to(mlflow_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # MLflow, Ray and the Hugging Face hub report usage to their makers by default; a command of ours turns that
    # off, and leaves a variable the user set alone.
    for variable in ("MLFLOW_DISABLE_TELEMETRY", "RAY_USAGE_STATS_ENABLED", "HF_HUB_DISABLE_TELEMETRY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "1")
    assert runner.invoke(app, ["check", "no-such.toml"]).exit_code == 2
    assert (os.environ["MLFLOW_DISABLE_TELEMETRY"], os.environ["RAY_USAGE_STATS_ENABLED"],
            os.environ["HF_HUB_DISABLE_TELEMETRY"]) == ("true", "1", "1")
    from mlflow.telemetry.utils import is_telemetry_disabled

    assert is_telemetry_disabled()

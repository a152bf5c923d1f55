"""The labelled set behind `ragvsft validate-metrics`, the validation arithmetic, and the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from conftest import SMALL_QA, write_corpus
from ragvsft.cli import app
from ragvsft.corpus import load_corpus
from ragvsft.errors import InputError
from ragvsft.metrics import ClaimSupport, TokenSupport
from ragvsft.metrics.labelled_file import read_labelled
from ragvsft.metrics.labelled_set import SUPPORTED_KINDS, UNSUPPORTED_KINDS, LabelledAnswer, build_labelled_set
from ragvsft.metrics.text import normalize_answer
from ragvsft.metrics.validation import validate
from ragvsft.qa import QAPair

DOCS = {
    "pump.md": "# X-200\n\nThe X-200 maximum pressure is 14 bar. The X-300 maximum pressure is 20 bar.\n"
               "Service requests go to Ines Marlow.",
    "hr.md": "Parental leave is 22 weeks. Leave requests are approved by Tomas Weller. Payroll is run by Dana Okafor.",
}
QUESTIONS = [
    QAPair("q1", "X-200 maximum pressure?", "14 bar", ("pump.md",), "eval", ()),
    QAPair("q2", "Who approves leave?", "Tomas Weller", ("hr.md",), "eval", ()),
    QAPair("q3", "How long is parental leave?", "22 weeks", ("hr.md",), "eval", ()),
    QAPair("q4", "No source given?", "yes", (), "eval", ()),
]


def test_labelled_set_kinds_and_labels() -> None:
    labelled = build_labelled_set(QUESTIONS, DOCS, seed=0)
    by = {(a.qa_id, a.kind): a for a in labelled}
    assert {a.qa_id for a in labelled} == {"q1", "q2", "q3"}  # no sources, no evidence: skipped
    assert {a.kind for a in labelled} <= set(SUPPORTED_KINDS) | set(UNSUPPORTED_KINDS)
    assert all(a.supported == (a.kind in SUPPORTED_KINDS) for a in labelled)
    assert by["q1", "gold"].answer == "14 bar"
    assert by["q1", "evidence_sentence"].answer == "The X-200 maximum pressure is 14 bar."
    # The typical confusions: another number, another name from the same evidence.
    assert by["q1", "swapped_number"].answer in {"20 bar", "200 bar", "300 bar"}
    assert by["q2", "swapped_name"].answer == "Dana Okafor"
    assert by["q1", "fabricated_detail"].answer.startswith("14 bar, ")
    assert by["q1", "evidence_sentence"].evidence == (DOCS["pump.md"],)
    # An "unsupported" answer never states the gold answer (the invented detail is added to it on purpose).
    for a in labelled:
        if not a.supported and a.kind != "fabricated_detail":
            assert normalize_answer(a.gold_answer) not in normalize_answer(a.answer), a
    assert by["q3", "sentence_wrong_fact"].answer.startswith("Parental leave is ")
    # The harder kinds: long answers of both labels, a reworded true one, a true sentence from elsewhere.
    assert by["q2", "restated_gold"].answer == "Who approves leave: Tomas Weller."
    assert by["q1", "restated_wrong_detail"].answer.startswith("X-200 maximum pressure: ")
    assert by["q1", "restated_wrong_detail"].answer != by["q1", "restated_gold"].answer
    assert by["q2", "paraphrase"].answer == "Leave requests are signed off by Tomas Weller."
    assert by["q1", "true_elsewhere"].answer in {"Parental leave is 22 weeks.", "Leave requests are approved by Tomas Weller.",
                                                 "Payroll is run by Dana Okafor."}
    assert build_labelled_set(QUESTIONS, DOCS, seed=0) == labelled  # deterministic
    assert build_labelled_set(QUESTIONS, DOCS, seed=1) != labelled


def test_validate_measures_separation_per_kind() -> None:
    labelled = build_labelled_set(QUESTIONS, DOCS, seed=0)
    calls = []
    report = validate(TokenSupport(), labelled, on_progress=lambda done, total: calls.append((done, total)))
    # Word overlap believes "Dana Okafor" approves leave: the name is in the HR page. Numbers it catches.
    assert report.auroc_by_kind["swapped_name"] < 1.0 and report.auroc_by_kind["swapped_number"] == 1.0
    assert report.deterministic is True and report.parse_failures is None
    assert calls[-1] == (2 * len(labelled), 2 * len(labelled))
    assert len(report.scores) == len(labelled) and report.seconds_per_1000 >= 0
    assert validate(ClaimSupport(), labelled, repeat=False).deterministic is None


def test_default_faithfulness_meets_the_auroc_goal_on_the_demo_corpus() -> None:
    corpus = load_corpus(Path("corpora/demo"))
    labelled = build_labelled_set(corpus.split("eval"), {d.id: d.text for d in corpus.documents}, seed=0)
    claim, token = validate(ClaimSupport(), labelled, repeat=False), validate(TokenSupport(), labelled, repeat=False)
    assert len(labelled) > 1500
    assert claim.interval[0] >= 0.95 and claim.length_matched >= 0.95
    # What the bag of words misses: restating the question is not support, and one wrong name or figure matters.
    for kind in ("restated_gold", "restated_wrong_detail", "swapped_name", "swapped_number"):
        assert claim.auroc_by_kind[kind] > token.auroc_by_kind[kind] + 0.05, kind
    assert claim.auroc > token.interval[1]


def test_length_matched_auroc_exposes_a_scorer_that_measures_length() -> None:
    class Brevity:  # shorter is "more faithful": perfect on a set where every wrong answer is long
        name = "brevity"

        def score(self, samples):
            return [1 / len(s.answer.split()) for s in samples]

    def answer(i: int, text: str, supported: bool) -> LabelledAnswer:
        return LabelledAnswer(f"q{i}", "Limit?", text, "14 bar", ("Limit: 14 bar.",), "k", supported)

    labelled = ([answer(i, "14 bar", True) for i in range(10)]
                + [answer(i, "The limit of the pump is 20 bar in every mode", False) for i in range(10)]
                + [answer(10, "The limit is 14 bar", True), answer(10, "The limit is 20 bar", False)])
    report = validate(Brevity(), labelled, repeat=False)
    assert report.auroc > 0.9 and report.length_matched == 0.5 and report.length_matched_pairs == 1
    assert report.interval[0] <= report.auroc <= report.interval[1]


JUDGED = Path("corpora/judged/answers.jsonl")


def test_read_labelled_reads_our_judged_example() -> None:
    labelled = read_labelled(JUDGED)
    assert len(labelled) == 32 and sum(a.supported for a in labelled) == 16
    assert {a.kind for a in labelled} == {"short_right", "long_hallucinated"}
    assert len({a.qa_id for a in labelled}) == 16 and all(a.evidence and a.evidence[0] for a in labelled)
    report = validate(ClaimSupport(), labelled, repeat=False)
    assert report.auroc >= 0.9 > validate(TokenSupport(), labelled, repeat=False).auroc


GOOD = '{"question": "Limit?", "evidence": "Limit: 14 bar.", "answer": "14 bar", "label": 1}'
BAD_LINES = {
    "not json": ("{oops", "malformed JSON"),
    "not an object": ("[1]", "expected a JSON object, got list"),
    "label 2": (GOOD.replace('"label": 1', '"label": 2'), "'label' must be 1 (supported) or 0 (not supported), got 2"),
    "label as text": (GOOD.replace('"label": 1', '"label": "1"'), "'label' must be 1"),
    "no evidence": (GOOD.replace('"evidence": "Limit: 14 bar.", ', ""), "missing 'evidence'"),
    "empty evidence list": (GOOD.replace('"Limit: 14 bar."', "[]"), "'evidence' must be a non-empty string or a list"),
    "blank question": (GOOD.replace('"Limit?"', '"  "'), "'question' must be a non-empty string"),
    "answer not text": (GOOD.replace('"14 bar"', "14"), "'answer' must be a string"),
    "typo in a field": (GOOD.replace('"label"', '"lable"'), "unknown field(s) ['lable']"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_bad_judged_lines_name_file_and_line(tmp_path: Path, case: str) -> None:
    line, message = BAD_LINES[case]
    judged = tmp_path / "judged.jsonl"
    judged.write_text(f"{GOOD}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_labelled(judged)
    assert info.value.line == 3 and message in info.value.message, info.value


def test_a_judged_file_needs_both_labels_and_must_exist(tmp_path: Path) -> None:
    judged = tmp_path / "judged.jsonl"
    judged.write_text(GOOD + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="every answer has label 1 \\(supported\\); AUROC needs answers of both"):
        read_labelled(judged)
    with pytest.raises(InputError, match="missing.jsonl: file not found"):
        read_labelled(tmp_path / "missing.jsonl")


def test_validate_metrics_command_logs_to_mlflow(tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n[index]\nembedder = "{tiny_embedder_dir}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp)])
    assert result.exit_code == 0, result.output
    assert "AUROC" in result.output and "default faithfulness scorer: AUROC" in result.output
    client = mlflow.MlflowClient(mlflow_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                filter_string="tags.`ragvsft.pipeline` = 'validate-metrics'")
    metrics = run.data.metrics
    for name in ("faithfulness", "faithfulness_token_support", "token_f1", "semantic_similarity"):
        assert 0.0 <= metrics[f"auroc/{name}"] <= 1.0 and metrics[f"deterministic/{name}"] == 1.0
    table = json.loads((Path(run.info.artifact_uri.removeprefix("file://")) / "validation" / "labelled_set.json")
                       .read_text())
    assert int(run.data.params["answers"]) == len(table["data"]) > 0


def test_validate_metrics_on_a_judged_file(tmp_path: Path, tiny_embedder_dir: Path, mlflow_uri: str) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n[index]\nembedder = "{tiny_embedder_dir}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp), "--labelled", str(JUDGED)])
    assert result.exit_code == 0, result.output
    assert "labelled set (corpora/judged/answers.jsonl, sha256 " in result.output
    assert "long_hallucinated" in result.output and "token_f1" not in result.output  # no gold answers to compare
    client = mlflow.MlflowClient(mlflow_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id])
    metrics = run.data.metrics
    assert metrics["auroc_low/faithfulness"] <= metrics["auroc/faithfulness"] <= metrics["auroc_high/faithfulness"]
    assert metrics["auroc/faithfulness"] >= 0.9
    # Every right answer there is short and every wrong one long: no pair of similar length, so no such AUROC.
    assert "auroc_length_matched/faithfulness" not in metrics and "over the 0 supported/unsupported pairs" in result.output
    assert run.data.params["answers"] == "32"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q", "answer": "a", "label": 1}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp), "--labelled", str(bad)])
    assert result.exit_code == 2 and "bad.jsonl:1: missing 'evidence'" in result.output, result.output


def test_validate_metrics_with_a_local_judge_reports_parse_failures(
    tmp_path: Path, tiny_embedder_dir: Path, tiny_lm_dir: Path, mlflow_uri: str
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n[index]\nembedder = "{tiny_embedder_dir}"\n'
                   f'[model]\nbase_model = "{tiny_lm_dir}"\ncache_dir = "{tmp_path / "cache"}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp), "--judge", "--max-questions", "1"])
    assert result.exit_code == 0, result.output
    assert "keep it off, or configure a more capable [evaluate.judge]" in " ".join(result.output.split())
    client = mlflow.MlflowClient(mlflow_uri)
    (run,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id])
    metrics = run.data.metrics
    # A random-weight model cannot follow the verdict format: every failure is counted, none scored silently.
    answers = int(run.data.params["answers"])
    assert metrics["parse_failures/faithfulness_judge"] + (answers - metrics["unscored/faithfulness_judge"]) == answers
    assert run.data.params["judge"].startswith(str(tiny_lm_dir))


def test_validate_metrics_needs_sources(tmp_path: Path, mlflow_uri: str) -> None:
    qa = [{**row, "sources": []} for row in SMALL_QA]
    corpus = write_corpus(tmp_path / "corpus", qa=qa)
    # The questions kept as a sheet: the error names that file, not a qa.jsonl that is not there.
    (corpus / "qa.jsonl").unlink()
    (corpus / "qa.csv").write_text("question,answer,split\n" + "".join(f"{q['question']},{q['answer']},{q['split']}\n"
                                                                        for q in qa), encoding="utf-8")
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp)])
    assert result.exit_code == 2, result.output
    assert f"{corpus / 'qa.csv'}: no eval question names its source documents" in " ".join(result.output.split())


def test_judge_advice_wants_the_judge_to_beat_the_default_beyond_doubt() -> None:
    from ragvsft.metrics.validation import ScorerReport
    from ragvsft.pipelines.validate_metrics import judge_advice

    def report(name: str, auroc: float, low: float, seconds: float) -> ScorerReport:
        return ScorerReport(name, [], auroc, (low, min(auroc + 0.02, 1.0)), {}, auroc, 10, 0.5, seconds, 0, None, True)

    default = report("faithfulness", 0.90, 0.88, 0.1)
    assert "worth adding faithfulness_judge" in judge_advice(report("faithfulness_judge", 0.97, 0.95, 900), default)
    assert "keep it off" in judge_advice(report("faithfulness_judge", 0.93, 0.89, 900), default)  # within doubt
    assert "9,000x the default's time" in judge_advice(report("faithfulness_judge", 0.97, 0.95, 900), default)

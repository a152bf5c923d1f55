"""The labelled set behind `ragvsft validate-metrics`, the validation arithmetic, and the command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
from typer.testing import CliRunner

from conftest import SMALL_QA, write_corpus
from ragvsft.cli import app
from ragvsft.corpus import load_corpus
from ragvsft.metrics import ClaimSupport, TokenSupport
from ragvsft.metrics.labelled_set import SUPPORTED_KINDS, UNSUPPORTED_KINDS, build_labelled_set
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
    assert len(labelled) > 900
    assert claim.auroc >= 0.85
    assert claim.auroc > token.auroc  # locality is what the default adds over a bag of words


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


def test_validate_metrics_with_a_local_judge_reports_parse_failures(
    tmp_path: Path, tiny_embedder_dir: Path, tiny_lm_dir: Path, mlflow_uri: str
) -> None:
    corpus = write_corpus(tmp_path / "corpus")
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n[index]\nembedder = "{tiny_embedder_dir}"\n'
                   f'[model]\nbase_model = "{tiny_lm_dir}"\ncache_dir = "{tmp_path / "cache"}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp), "--judge", "--max-questions", "1"])
    assert result.exit_code == 0, result.output
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
    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["validate-metrics", str(exp)])
    assert result.exit_code == 2 and "no eval question names its source documents" in result.output, result.output

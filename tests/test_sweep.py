"""`ragvsft sweep` end to end with tiny models: points as child runs, reuse on rerun, the report; bad sweep tables."""

from __future__ import annotations

import json
import re
from pathlib import Path

import mlflow
import pytest
from typer.testing import CliRunner

from conftest import SMALL_QA, write_corpus
from ragvsft.cli import app
from ragvsft.errors import ConfigError
from ragvsft.sweep import load_sweep

runner = CliRunner()


def sweep_file(tmp_path: Path, corpus: Path, lm: Path, embedder: Path, sweep: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(
        f'corpus = "{corpus}"\noutput_dir = "{tmp_path / "out"}"\n'
        f'[index]\nembedder = "{embedder}"\nchunk_chars = 120\nchunk_overlap_chars = 20\ntop_k = 2\n'
        f'[model]\nbase_model = "{lm}"\ncache_dir = "{tmp_path / "cache"}"\nmax_new_tokens = 4\n'
        f'[finetune]\nepochs = 1\nbatch_size = 2\nmax_length = 256\n'
        f'[evaluate]\narms = ["base", "rag", "finetuned", "hybrid", "oracle"]\n{sweep}', encoding="utf-8")
    return path


def hits(output: str) -> tuple[int, int]:
    found, total = re.search(r"answers (\d+)/(\d+)", output).groups()
    return int(found), int(total)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    more = [{"id": f"t{i}", "question": f"Training question {i} about leave?", "answer": "22 weeks",
             "sources": ["policies/leave.md"], "split": "train"} for i in range(3)]
    return write_corpus(tmp_path / "corpus", qa=SMALL_QA + more)


def test_sweep_runs_every_point_reuses_everything_on_rerun_and_reports(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    grid = '[sweep]\n"index.top_k" = [1, 2]\n"finetune.train_fraction" = [0.5, 1.0]\n'
    exp = sweep_file(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, grid)
    first = runner.invoke(app, ["sweep", str(exp)])
    assert first.exit_code == 0, first.output
    assert "sweep: 4 points" in first.output and "verdict:" in first.output
    assert hits(first.output)[1] == 4 * 5 * 2  # points x arms x eval questions

    client = mlflow.MlflowClient(mlflow_uri)
    exp_id = client.get_experiment_by_name("ragvsft/corpus").experiment_id
    (parent,) = client.search_runs([exp_id], "tags.`ragvsft.pipeline` = 'sweep'")
    kids = client.search_runs([exp_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    names = sorted(k.info.run_name for k in kids)
    assert [n for n in names if n.startswith("point-")] == [
        "point-top_k=1 train_fraction=0.5", "point-top_k=1 train_fraction=1.0",
        "point-top_k=2 train_fraction=0.5", "point-top_k=2 train_fraction=1.0"]
    finetunes = [k for k in kids if k.info.run_name.startswith("finetune-")]
    assert len(finetunes) == 2 and {k.data.params["adapter_reused"] for k in finetunes} == {"False"}
    metrics = client.get_run(parent.info.run_id).data.metrics
    assert "ceiling/rag_top_k/plateau_x" in metrics and metrics["ceiling/rag_top_k/plateau_x"] in (0, 1, 2)
    assert "ceiling/finetuned_examples/token_f1" in metrics
    # A saved view lines the points up (the printed link opens it), and the parent states the verdict.
    key = parent.info.run_id[:12]
    assert f"viewStateShareKey={key}" in " ".join(first.output.split())
    view = json.loads(json.loads(client.get_experiment(exp_id).tags[f"mlflow.sharedViewState.{key}"])["state"])
    assert "'sweep-point'" in view["searchFilter"] and "metrics.`rag/token_f1`" in view["selectedColumns"]
    assert "params.`sweep.index.top_k`" in view["selectedColumns"]
    assert {k.data.tags["ragvsft.point"] for k in kids if k.info.run_name.startswith("point-")} == {
        n.removeprefix("point-") for n in names if n.startswith("point-")}
    assert client.get_run(parent.info.run_id).data.tags["mlflow.note.content"].startswith("**Verdict: ")

    report = tmp_path / "out" / "report"
    results = json.loads((report / "results.json").read_text())
    assert len(results["points"]) == 4 and results["axes"] == ["index.top_k", "finetune.train_fraction"]
    assert {p["train_examples"] for p in results["points"]} == {2, 4}  # nested halves of the 4 training questions
    page = (report / "report.html").read_text()
    assert "Verdict" in page and 'src="data:image/png;base64,' in page and 'src="rag_top_k.png"' not in page
    assert (report / "rag_top_k.png").stat().st_size > 10_000

    # A rerun computes nothing: every answer and score from the cache, every adapter reused.
    again = runner.invoke(app, ["sweep", str(exp)])
    assert again.exit_code == 0, again.output
    assert hits(again.output) == (40, 40) and "scores" in again.output and "fine-tuned" not in again.output
    (_, newest) = client.search_runs([exp_id], "tags.`ragvsft.pipeline` = 'sweep'", order_by=["attributes.start_time"])
    assert client.get_run(newest.info.run_id).data.metrics["cache/score_hit_rate"] == 1.0

    # One more value on an axis: only the new points' answers are computed.
    exp.write_text(exp.read_text().replace("[1, 2]", "[1, 2, 3]"))
    more = runner.invoke(app, ["sweep", str(exp)])
    assert more.exit_code == 0, more.output
    found, total = hits(more.output)
    assert total == 60 and found >= 40 and 0 < total - found <= 2 * 3 * 2  # new points x context arms x questions

    # The report renders again from the evidence file, with the [report] settings of the file.
    rendered = runner.invoke(app, ["report", str(exp), "--set", "report.cpu_hour_price=1.5"])
    assert rendered.exit_code == 0, rendered.output
    assert "at 1.5 USD per machine hour" in (report / "report.md").read_text()


@pytest.mark.parametrize(("table", "message"), [
    ("", "no \\[sweep\\] table"),
    ("[sweep]\n", "the \\[sweep\\] table is empty"),
    ('[sweep]\n"index.top_kk" = [1, 2]\n', "point index.top_kk=1.*unknown key 'index.top_kk'"),
    ('[sweep]\n"index.top_k" = [1, -2]\n', "point index.top_k=-2.*top_k must be positive"),
    ('[sweep]\n"index.top_k" = 3\n', "'index.top_k' must be a non-empty list"),
    ('[sweep]\n"index.top_k" = [2, 2]\n', "lists a value twice"),
    ('[sweep]\ncorpus = ["a", "b"]\n', "'corpus' cannot vary"),
    ('[sweep]\n"evaluate.arms" = [["rag"], ["base"]]\n', "'evaluate.arms' cannot vary"),
    ('[sweep]\n"index.top_k" = [1]\n[[sweep.points]]\n"index.top_k" = 2\n', "either axes"),
    ('[sweep]\n[[sweep.points]]\n"index.top_k" = 2\n[[sweep.points]]\n"index.top_k" = 2\n', "listed twice"),
])
def test_bad_sweep_tables_name_the_problem(tmp_path: Path, table: str, message: str) -> None:
    path = tmp_path / "x.toml"
    path.write_text(f'corpus = "c"\n{table}', encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_sweep(path)


def test_grid_declared_points_and_unquoted_dotted_keys(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text('corpus = "c"\n[sweep]\nindex.top_k = [1, 4]\n"prompt.few_shot" = [0, 2]\n', encoding="utf-8")
    sweep = load_sweep(path)
    assert sweep.axes == ("index.top_k", "prompt.few_shot")
    assert [(p.config.index.top_k, p.config.prompt.few_shot) for p in sweep.points] == [(1, 0), (1, 2), (4, 0), (4, 2)]
    assert sweep.points[1].label == "top_k=1 few_shot=2" and sweep.base.index.top_k == 5
    path.write_text('corpus = "c"\n[[sweep.points]]\n"index.top_k" = 2\n[[sweep.points]]\n"index.top_k" = 8\n'
                    '"finetune.recipe" = "raft"\n', encoding="utf-8")
    points = load_sweep(path).points
    assert [(p.config.index.top_k, p.config.finetune.recipe) for p in points] == [(2, "closed_book"), (8, "raft")]


def test_check_checks_every_sweep_point_as_sweep_would(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    exp = sweep_file(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, '[sweep]\n"index.top_k" = [1, 2]\n')
    ok = runner.invoke(app, ["check", str(exp)])
    assert ok.exit_code == 0, ok.output
    assert "sweep: 2 points over index.top_k" in ok.output
    bad = sweep_file(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, '[sweep]\n"index.top_k" = [1, 0]\n')
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2 and "[sweep] point index.top_k=0: index.top_k must be positive" in result.output
    missing = sweep_file(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir,
                         f'[sweep]\n"index.embedder" = ["{tiny_embedder_dir}", "{tmp_path / "no-such"}"]\n')
    result = runner.invoke(app, ["check", str(missing)])
    assert result.exit_code == 2 and f"embedder '{tmp_path / 'no-such'}' not found" in result.output


def test_a_plain_run_ignores_the_sweep_table(tmp_path: Path) -> None:
    from ragvsft.config import load_config

    path = tmp_path / "x.toml"
    path.write_text('corpus = "c"\n[sweep]\n"index.top_k" = [1, 4]\n', encoding="utf-8")
    assert load_config(path).index.top_k == 5


def test_report_without_results_says_what_to_run(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text(f'corpus = "c"\noutput_dir = "{tmp_path / "out"}"\n', encoding="utf-8")
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 2 and "no results yet" in result.output and "ragvsft sweep" in result.output


def test_report_of_results_from_another_tracking_store_is_written_with_a_warning(tmp_path: Path, mlflow_uri: str) -> None:
    from test_ceiling import point, results

    path = tmp_path / "x.toml"
    path.write_text(f'corpus = "c"\noutput_dir = "{tmp_path / "out"}"\n', encoding="utf-8")
    results([point({}, {"base": 5, "rag": 30})]).save(tmp_path / "out" / "report" / "results.json")
    result = runner.invoke(app, ["report", str(path)])
    assert result.exit_code == 0, result.output
    assert "not logged to MLflow: run run-id is not in the tracking store" in result.output
    assert "RAG is enough" in (tmp_path / "out" / "report" / "report.md").read_text()


def test_points_share_an_adapter_only_when_its_training_is_the_same(tmp_path: Path, corpus: Path) -> None:
    from ragvsft.config import load_config
    from ragvsft.pipelines.sweep import finetune_key

    exp = tmp_path / "exp.toml"
    exp.write_text(f'corpus = "{corpus}"\n', encoding="utf-8")
    key = finetune_key(load_config(exp))
    assert finetune_key(load_config(exp, ["index.top_k=7", "prompt.few_shot=2"])) == key  # answering, not training
    assert finetune_key(load_config(exp, ['model.dtype="float32"'])) != key  # the base model trains in model.dtype
    assert finetune_key(load_config(exp, ["finetune.rank=4"])) != key


def test_points_that_change_how_the_model_runs_get_their_own_generator(tiny_lm_dir: Path, tmp_path: Path) -> None:
    """A sweep keeps loaded generators between points; a point with other model settings (4-bit decoding, batch
    invariance, dtype) must not be answered by the previous point's generator. The answer budget is not one."""
    from dataclasses import replace

    from ragvsft.builders import build_arms
    from ragvsft.config import ModelConfig

    loaded: dict = {}
    model = ModelConfig(base_model=str(tiny_lm_dir), cache_dir=tmp_path, dtype="bfloat16")

    def generator(settings: ModelConfig, arm: str = "base") -> object:
        return build_arms([arm], [], settings, adapter_dir=None, environ={}, generators=loaded)[0].generator

    first = generator(model)
    assert generator(replace(model, max_new_tokens=9, stop=(".",)), "rag") is first
    invariant = generator(replace(model, batch_invariant=True))
    assert invariant is not first and invariant.identity == first.identity + "+batch-invariant-v2"
    assert generator(replace(model, pack_weights=False)) is not first

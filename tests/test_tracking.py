"""The tracking store under several processes: a new SQLite store created once, runs of killed processes ended."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import mlflow

from ragvsft import tracking

OPEN_A_RUN = """
import os, signal, sys
from ragvsft import tracking
with tracking.run(uri=sys.argv[1], experiment="e", name=sys.argv[2], description="d") as logged:
    logged.log_metrics({"x": 1.0})
    if sys.argv[2] == "killed":
        os.kill(os.getpid(), signal.SIGKILL)  # no finally, no atexit: the run is left RUNNING
"""


def open_runs(uri: str, names: list[str]) -> list[subprocess.CompletedProcess]:
    """Each name in its own process, all started at once."""
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_A_RUN, uri, name], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for name in names]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=240), p.stdout.read()) for p in procs]  # type: ignore[union-attr]


def test_commands_started_together_on_a_new_store_all_succeed(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'fresh' / 'mlflow.db'}"  # neither the file nor its folder exists yet
    done = open_runs(uri, [f"r{i}" for i in range(4)])
    assert [p.returncode for p in done] == [0] * 4, "\n".join(p.stdout for p in done)
    runs = mlflow.MlflowClient(uri).search_runs([mlflow.MlflowClient(uri).get_experiment_by_name("e").experiment_id])
    assert sorted(r.info.run_name for r in runs) == ["r0", "r1", "r2", "r3"]
    assert {r.info.status for r in runs} == {"FINISHED"}


def test_a_run_left_running_by_a_killed_process_is_marked_failed_by_the_next(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    (killed,) = open_runs(uri, ["killed"])
    assert killed.returncode == -9
    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name("e").experiment_id

    def status(name: str) -> str:
        (found,) = client.search_runs([exp], filter_string=f"attributes.run_name = '{name}'")
        return found.info.status

    assert status("killed") == "RUNNING"
    with tracking.run(uri=uri, experiment="e", name="alive", description="d"):
        assert status("killed") == "FAILED"
        # A run whose process still runs (this one) is left alone by the next run opened beside it.
        with tracking.run(uri=uri, experiment="e", name="inner", description="d"):
            assert status("alive") == "RUNNING"
    (dead,) = client.search_runs([exp], filter_string="attributes.run_name = 'killed'")
    assert dead.data.tags["ragvsft.ended"].startswith("its process died")
    assert status("alive") == status("inner") == "FINISHED"


def test_any_tag_text_becomes_slice_metrics_mlflow_accepts(tiny_run) -> None:  # noqa: ANN001 - conftest's TinyRun
    # Synthesised pairs carry "labeller=openai:…@http://…": '=' and '@' are not allowed in MLflow metric keys.
    from conftest import SYNTHETIC_TAGS

    client = mlflow.MlflowClient(tiny_run.uri)
    experiment = client.get_experiment_by_name("ragvsft/corpus")
    runs = client.search_runs([experiment.experiment_id], filter_string="tags.`ragvsft.arm` = 'base'")
    metrics = runs[-1].data.metrics  # the oldest: the tiny run itself (server tests add more later)
    labeller = tracking.metric_key_part(SYNTHETIC_TAGS[1])
    assert labeller.startswith("labeller_openai_big-labeller_http_127.0.0.1_8000_v1-")
    assert {f"slice/{tag}/token_f1" for tag in ("numeric", "synthetic", labeller)} <= set(metrics)
    assert metrics[f"slice/{labeller}/token_f1"] == metrics["slice/synthetic/token_f1"]  # the same two questions


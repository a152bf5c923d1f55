"""The tracking store under several processes: a new SQLite store created once, runs of killed processes ended; a
store that cannot be used is one line at the start of a command, and no password in it is ever printed."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mlflow
import pytest

from conftest import free_port
from ragvsft import tracking
from ragvsft.errors import RagvsftError
from ragvsft.urls import masked_uri

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


@contextmanager
def answering(status: int) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that answers every request with ``status``; yields its address (with a password in
    it) and the paths it was asked for."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            asked.append(self.path)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        do_GET = do_POST = answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://me:s3cret-pw@127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("status", "says"), [(503, "503 error responses; start it"),  # MLflow retries a 503
                                              (401, "HTTP 401; set MLFLOW_TRACKING_USERNAME"),
                                              (404, "HTTP 404; is it an MLflow server?")])
def test_a_server_that_refuses_is_asked_once_and_named_without_its_password(status: int, says: str) -> None:
    with answering(status) as (address, asked):
        with pytest.raises(RagvsftError) as failed:
            tracking.check_store(address)
    assert says in str(failed.value)
    assert "s3cret-pw" not in str(failed.value) and "me:***@127.0.0.1" in str(failed.value)
    assert len(asked) == 1  # no retries: MLflow alone asks again for minutes


def test_stores_that_cannot_be_used_are_one_line_naming_the_cause(tmp_path: Path) -> None:
    not_a_db = tmp_path / "mlflow.db"
    not_a_db.write_text("these bytes are not a database\n")
    port = free_port()  # nothing listens there
    cases = {
        f"http://me:s3cret-pw@127.0.0.1:{port}": "Connection refused; start it, or fix MLFLOW_TRACKING_URI",
        f"postgresql://me:s3cret-pw@127.0.0.1:{port}/mlflow": "Connection refused; start it",
        f"sqlite:///{not_a_db}": "file is not a database; move it aside",
        "foo://bar": "MLflow cannot keep runs there; use one of sqlite://, postgresql://",
        "mssql://me:s3cret-pw@127.0.0.1/db": "SQLAlchemy has no driver for it here",
    }
    for uri, says in cases.items():
        with pytest.raises(RagvsftError) as failed:
            tracking.check_store(uri)
        message = str(failed.value)
        assert says in message, (uri, message)
        assert "s3cret-pw" not in message and "\n" not in message, message
    assert not_a_db.read_text() == "these bytes are not a database\n"  # looked at, never written


def test_usable_stores_pass_and_a_new_sqlite_file_is_not_made_by_the_check(tmp_path: Path) -> None:
    tracking.check_store(f"sqlite:///{tmp_path / 'new' / 'mlflow.db'}")
    assert not (tmp_path / "new").exists()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    tracking.experiment_id(uri, "e")
    tracking.check_store(uri)
    tracking.check_store(str(tmp_path / "mlruns"))  # a plain folder: MLflow's file store


def test_a_command_against_a_store_that_does_not_answer_ends_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from conftest import write_corpus
    from ragvsft.cli import app

    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'corpus = "{write_corpus(tmp_path / "corpus")}"\n')
    uri = f"postgresql://me:s3cret-pw@127.0.0.1:{free_port()}/mlflow"
    result = CliRunner().invoke(app, ["index", str(experiment)], env={"MLFLOW_TRACKING_URI": uri})
    assert result.exit_code == 2
    assert result.output.startswith("error: the MLflow tracking store postgresql://me:***@127.0.0.1:")
    assert "s3cret-pw" not in result.output and "Traceback" not in result.output


def test_printed_links_and_commands_hold_no_password(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tracking.ui_base("https://me:s3cret-pw@mlflow.example.com/") == "https://mlflow.example.com"
    assert "s3cret-pw" not in tracking.run_url("https://me:s3cret-pw@mlflow.example.com", "1", "r")
    database = "postgresql://me:s3cret-pw@db.example.com/mlflow"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", database)
    assert tracking.ui_command(database) == 'mlflow ui --backend-store-uri "$MLFLOW_TRACKING_URI"'
    assert tracking.ui_command("sqlite:////srv/mlflow.db") == "mlflow ui --backend-store-uri sqlite:////srv/mlflow.db"
    assert masked_uri("sqlite:////srv/mlflow.db") == "sqlite:////srv/mlflow.db"
    assert masked_uri("https://me:s3cret-pw@h/?token=t") == "https://me:***@h/?***"


def test_version_1_of_two_stores_are_two_folders(tmp_path: Path) -> None:
    """A new tracking store (mlflow.db deleted, another server) numbers versions from 1 again: the local copies
    of registered versions must not serve the old store's version 1 for the new one's."""
    cache = tmp_path / "registry"
    found = []
    for store, text in (("old", "old weights"), ("new", "new weights")):
        uri = f"sqlite:///{tmp_path / store}.db"
        client = mlflow.MlflowClient(uri)
        experiment = client.create_experiment("e", artifact_location=str(tmp_path / store / "artifacts"))
        run = client.create_run(experiment)
        (tmp_path / store / "weights.txt").parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / store / "weights.txt").write_text(text, encoding="utf-8")
        client.log_artifact(run.info.run_id, str(tmp_path / store / "weights.txt"), "adapter")
        client.set_terminated(run.info.run_id)
        assert tracking.register_version(uri, name="ragvsft-x-adapter", source=f"{run.info.artifact_uri}/adapter",
                                         run_id=run.info.run_id, description="", alias="champion") == "1"
        found.append(tracking.resolve_version(uri, "ragvsft-x-adapter", "champion", cache))
    assert [(v.version, (v.path / "weights.txt").read_text(encoding="utf-8")) for v in found] == [
        ("1", "old weights"), ("1", "new weights")]
    again = tracking.resolve_version(f"sqlite:///{tmp_path / 'new'}.db", "ragvsft-x-adapter", "1", cache)
    assert again.path == found[1].path  # the same version of the same store: downloaded once

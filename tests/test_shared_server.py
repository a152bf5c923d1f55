"""The shared tracking server: a real PostgreSQL started in a temporary folder, `mlflow server` on it with proxied
artifacts, `ragvsft run` logging there from one folder ("machine A") and `ragvsft serve` answering from another
("machine B") with nothing but the server in common. No engine is skipped: if PostgreSQL cannot start, the test
fails and says why."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import mlflow
import pytest
from rich.console import Console
from test_serve import KEY, ThreadedUvicorn
from typer.testing import CliRunner

from conftest import MORE_QA, SMALL_QA, free_port, wait_until_healthy, write_corpus, write_experiment
from ragvsft import tracking
from ragvsft.cli import app
from ragvsft.config import load_config
from ragvsft.errors import RagvsftError
from ragvsft.pipelines import serve as recipe


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found and (initdb := shutil.which("initdb")):
        found = [initdb]
    if not found:
        pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are not installed: `apt-get install postgresql` "
                    "(scripts/test.sh does it when it runs as root)")
    return Path(found[-1]).parent


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free loopback port; yields the database URI MLflow's server uses."""
    # Not under pytest's temporary root: that is private to this user, and the server may run as another.
    bindir, folder, port = _pg_bin(), Path(tempfile.mkdtemp(prefix="ragvsft-pg-")), free_port()
    # PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` account the package made.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")

    def pg(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = folder / "server.log"
            pytest.fail(f"{' '.join(args[:2])} failed: {done.stderr or done.stdout}"
                        + (log.read_text()[-1500:] if log.exists() else ""))

    pg(str(bindir / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "ragvsft", "--no-sync")
    pg(str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w", "start",
       "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off")
    try:
        pg(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "ragvsft", "mlflow")
        yield f"postgresql://ragvsft@127.0.0.1:{port}/mlflow"
    finally:
        subprocess.run([*as_user, str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-m", "fast", "stop"],
                       capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def tracking_server(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`mlflow server` on the PostgreSQL store, artifacts proxied to its own folder; yields its address."""
    folder, port = tmp_path_factory.mktemp("mlflow-server"), free_port()
    upgrade = subprocess.run([sys.executable, "-m", "mlflow", "db", "upgrade", postgres], capture_output=True,
                             text=True, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr[-2000:]
    log = open(folder / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", postgres,
         "--artifacts-destination", str(folder / "artifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"], stdout=log, stderr=subprocess.STDOUT)
    address = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(address, server, folder / "server.log")
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_the_store_check_passes_the_real_server_and_database_and_names_a_missing_database(
    tracking_server: str, postgres: str
) -> None:
    tracking.check_store(tracking_server)
    tracking.check_store(postgres)
    with pytest.raises(RagvsftError, match='database "no_such_db" does not exist; start it'):
        tracking.check_store(postgres.rsplit("/", 1)[0] + "/no_such_db")


def test_run_on_machine_a_is_served_on_machine_b_through_the_postgres_backed_server(
    tracking_server: str, tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server)
    machine_a, machine_b = tmp_path / "a", tmp_path / "b"
    corpus = write_corpus(tmp_path / "corpus", qa=SMALL_QA + MORE_QA)
    machine_a.mkdir()
    monkeypatch.chdir(machine_a)  # nothing may land beside the working folder either
    result = CliRunner().invoke(app, ["run", str(write_experiment(machine_a, corpus, tiny_lm_dir, tiny_embedder_dir))])
    assert result.exit_code == 0, result.output
    assert f"{tracking_server}/#/experiments/" in " ".join(result.output.split())  # links point at the server
    assert not (machine_a / "mlruns").exists() and not (machine_a / "mlflow.db").exists()

    # Every file a run produced lives in the server's artifact store, addressed through it.
    client = mlflow.MlflowClient(tracking_server)
    for kind in ("index", "adapter", "release"):
        version = client.get_model_version_by_alias(f"ragvsft-corpus-{kind}", "challenger")
        assert version.source.startswith("mlflow-artifacts:/"), (kind, version.source)
    promoted = CliRunner().invoke(app, ["promote", str(machine_a / "exp.toml")])
    assert promoted.exit_code == 0, promoted.output
    evaluated = {}
    for run in client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                  "tags.`ragvsft.pipeline` = 'evaluate'"):
        table = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/eval/answers.json")
        evaluated[run.data.tags["ragvsft.arm"]] = {row[2]: row[4] for row in table["data"]}  # question -> answer
    shutil.rmtree(machine_a)  # machine A is gone: B has the corpus, the models and the server's address

    machine_b.mkdir()
    monkeypatch.chdir(machine_b)
    experiment_b = write_experiment(machine_b, corpus, tiny_lm_dir, tiny_embedder_dir)
    server = recipe.build(load_config(experiment_b), Console(quiet=True), api_key=KEY)
    assert server.live.pick.version == "1" and server.live.release.versions["index"] == "1"
    fetched = list((machine_b / "cache" / "registry" / "ragvsft-corpus-index").glob("v1-*"))  # through the server
    assert len(fetched) == 1 and (fetched[0] / "manifest.json").is_file(), fetched
    with ThreadedUvicorn(server) as url:
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {KEY}"}) as http:
            for mode in ("rag", "hybrid"):
                question = "How long is parental leave?"
                reply = http.post("/v1/ask", json={"question": question, "mode": mode}).json()
                assert reply["answer"] == evaluated[mode][question], mode  # what `run` measured on machine A
                assert reply["versions"]["index"] == "1"


def test_a_two_point_sweep_through_ray_logs_to_the_postgres_backed_server_and_resumes_locally(
    tracking_server: str, ray_head: str, tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_server)
    monkeypatch.chdir(tmp_path)
    corpus = write_corpus(tmp_path / "corpus", qa=SMALL_QA + MORE_QA)
    experiment = write_experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir,
                                  '[evaluate]\narms = ["rag", "finetuned"]\n[sweep]\n"index.top_k" = [1, 2]\n')
    result = CliRunner().invoke(app, ["sweep", str(experiment), "--ray", ray_head])
    output = " ".join(result.output.split())
    assert result.exit_code == 0, result.output
    assert "Ray: 1 node, 2 CPUs" in output and "queued 1 index builds, 1 fine-tunes and 2 points" in output
    assert "point 2/2 done" in output

    # Every task logged to the server, under the sweep's run; the index and adapter files went to its artifacts.
    client = mlflow.MlflowClient(tracking_server)
    experiment_id = client.get_experiment_by_name("ragvsft/corpus").experiment_id
    (parent,) = client.search_runs([experiment_id], "tags.`ragvsft.pipeline` = 'sweep'")
    children = client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    by_kind: dict[str, list] = {}
    for child in children:
        by_kind.setdefault(child.data.tags["ragvsft.pipeline"], []).append(child)
    assert sorted((k, len(v)) for k, v in by_kind.items()) == [("finetune", 1), ("index", 1), ("sweep-point", 2)]
    assert all(run.info.status == "FINISHED" for run in children)
    points = {run.data.tags["ragvsft.point"]: run.data.metrics for run in by_kind["sweep-point"]}
    assert set(points) == {"top_k=1", "top_k=2"}
    assert all(0 <= m["rag/token_f1"] <= 1 and 0 <= m["finetuned/token_f1"] <= 1 for m in points.values())
    assert by_kind["index"][0].data.params["index_artifact_uri"].startswith("mlflow-artifacts:/")
    # Generated on Ray: only the closed-book arm's answers can repeat across top_k (one point may find the other's)
    assert parent.data.metrics["cache/generation_hit_rate"] <= 0.25

    # The local sweep finds everything the Ray tasks produced: same fingerprints, same cached answers.
    again = CliRunner().invoke(app, ["sweep", str(experiment)])
    assert again.exit_code == 0, again.output
    assert "adapter unchanged, reusing" in again.output
    (rerun,) = [r for r in client.search_runs([experiment_id], "tags.`ragvsft.pipeline` = 'sweep'")
                if r.info.run_id != parent.info.run_id]
    assert rerun.data.metrics["cache/generation_hit_rate"] == 1.0
    assert rerun.data.metrics["cache/score_hit_rate"] == 1.0

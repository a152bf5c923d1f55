"""The kill matrix: `ragvsft index` and `ragvsft run` killed with SIGKILL at each stage, in a real subprocess,
as the kernel's out-of-memory killer would (no cleanup runs; the pipeline processes follow their parent).

After each kill the same command runs again and must complete; nothing half-written may be loaded or registered:
the live index verifies against its manifest, no build folder is left behind, every registered version comes from
a complete run, and no MLflow run is left RUNNING. Each case's stage is the last line the command printed before
the kill; the README's Reliability section tables them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import psutil
import pytest

from conftest import SMALL_QA, write_corpus
from ragvsft import tracking
from ragvsft.embedders import embedder_identity
from ragvsft.indexing import load_index


def experiment(tmp_path: Path, lm: Path, embedder: Path) -> Path:
    more = [{"id": f"t{i}", "question": f"Training question {i} about leave?", "answer": "22 weeks",
             "sources": ["policies/leave.md"], "split": "train"} for i in range(4)]
    corpus = write_corpus(tmp_path / "corpus", qa=SMALL_QA + more)
    path = tmp_path / "exp.toml"
    path.write_text(
        f'corpus = "{corpus}"\noutput_dir = "{tmp_path / "out"}"\n'
        f'[index]\nembedder = "{embedder}"\nchunk_chars = 120\nchunk_overlap_chars = 20\ntop_k = 2\n'
        f'[model]\nbase_model = "{lm}"\ncache_dir = "{tmp_path / "cache"}"\nmax_new_tokens = 4\n'
        f'[finetune]\nepochs = 2\nbatch_size = 2\nmax_length = 256\n', encoding="utf-8")
    return path


def run_cli(args: list[str], uri: str, *, kill_after: str | None = None, timeout: float = 300) -> tuple[int, str]:
    """Run ``ragvsft args``; with ``kill_after``, SIGKILL it as soon as a line containing that text is printed.
    Returns (exit code, everything printed)."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ragvsft.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env)
    lines, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:  # type: ignore[union-attr]
        lines.append(line)
        if kill_after is not None and kill_after in line:
            proc.send_signal(signal.SIGKILL)
            break
        assert time.monotonic() < deadline, "".join(lines)
    code = proc.wait(timeout=timeout)
    time.sleep(1.5)  # the pipeline processes notice their parent died within 0.5 s and end themselves
    return code, "".join(lines)


def assert_nothing_half_written(out: Path, uri: str, embedder: Path) -> None:
    root = out / "index"
    store, manifest = load_index(root, expected_embedder=embedder_identity(str(embedder)), hnsw_ef_search=64)
    assert len(store) == manifest["counts"]["chunks"] > 0
    assert not list(root.glob(".tmp-*")), "a build folder was left behind"
    assert not [p for p in (out / "adapters").glob(".*")] if (out / "adapters").exists() else True
    client = mlflow.MlflowClient(uri)
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    assert {r.info.status for r in runs} <= {"FINISHED", "FAILED", "KILLED"}, "a run was left RUNNING"
    for model in client.search_registered_models():
        for version in client.search_model_versions(f"name = '{model.name}'"):
            run = client.get_run(version.run_id)
            assert run.info.status == "FINISHED", f"{model.name} v{version.version} is from an unfinished run"


SLOW = pytest.mark.slow  # the whole matrix takes ~7 min: `scripts/test.sh -m slow` runs it; one index case by default
CASES = [pytest.param("index", "corpus ", marks=SLOW), ("index", "built "),
         pytest.param("index", "retrieval on ", marks=SLOW)] + [
    pytest.param("run", stage, marks=SLOW)
    for stage in ("in parallel", "index: ", "answers: up to", "arms x metrics", "open the runs")]


@pytest.mark.parametrize(("command", "stage"), CASES)
def test_killed_at_each_stage_then_run_again(tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path,
                                             command: str, stage: str) -> None:
    exp, uri = experiment(tmp_path, tiny_lm_dir, tiny_embedder_dir), f"sqlite:///{tmp_path / 'mlflow.db'}"
    code, printed = run_cli([command, str(exp)], uri, kill_after=stage)
    assert code == -signal.SIGKILL, printed
    client = mlflow.MlflowClient(uri)
    assert not client.search_registered_models() or stage == "open the runs"  # only a complete run registers
    code, printed = run_cli([command, str(exp)], uri)
    assert code == 0, printed
    assert_nothing_half_written(tmp_path / "out", uri, tiny_embedder_dir)
    if command == "run":
        registered = tracking.resolve_version(uri, "ragvsft-corpus-index", "challenger", tmp_path / "registry")
        assert registered.path.is_dir()
        # Index and adapter are the same in both runs: one version each, whether or not the killed run registered.
        versions = [len(client.search_model_versions(f"name = 'ragvsft-corpus-{kind}'")) for kind in ("index", "adapter")]
        assert versions == [1, 1]


def test_ctrl_c_while_training_stops_both_pipelines_and_ends_their_runs(tmp_path: Path, tiny_lm_dir: Path,
                                                                         tiny_embedder_dir: Path) -> None:
    """Ctrl-C reaches the whole foreground process group; the fine-tune process, stopped by its parent, cannot close
    its own MLflow run, so the parent does (it was left RUNNING until a later command tidied it)."""
    exp, uri = experiment(tmp_path, tiny_lm_dir, tiny_embedder_dir), f"sqlite:///{tmp_path / 'mlflow.db'}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "HF_HUB_OFFLINE": "1"}
    # A shell without job control starts background commands with SIGINT ignored; a terminal's would not be.
    proc = subprocess.Popen([sys.executable, "-m", "ragvsft.cli", "run", str(exp), "--set", "finetune.epochs=500"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, process_group=0,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    printed, children = [], []
    for line in proc.stdout:  # type: ignore[union-attr]
        printed.append(line)
        if "LoRA steps" in line:
            children = psutil.Process(proc.pid).children(recursive=True)
            os.killpg(proc.pid, signal.SIGINT)
            break
    assert proc.wait(timeout=60) == 130, "".join(printed)
    time.sleep(1.5)
    client = mlflow.MlflowClient(uri)
    runs = {r.info.run_name.split(" ")[0]: r.info.status
            for r in client.search_runs([e.experiment_id for e in client.search_experiments()])}
    assert runs["run-exp"] == "KILLED" and "RUNNING" not in runs.values(), runs
    assert not client.search_registered_models()
    assert len(children) >= 2 and not [c for c in children if _alive(c)]  # no pipeline outlived the command


def _alive(process: psutil.Process) -> bool:
    """Running; a zombie (ended, not yet reaped by whoever adopted it) has ended."""
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False

"""`ragvsft index --ray` on a real Ray cluster (the session's `ray start --head`): Ray Data actors embed the chunks,
and the index is the local build's — same chunks, same vectors, same order. (The sweep through Ray is tested with
the Postgres-backed tracking server in test_shared_server.py.)"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from conftest import MORE_QA, SMALL_DOCS, SMALL_QA, free_port, write_corpus, write_experiment
from ragvsft.cli import app
from ragvsft.indexing import read_current
from ragvsft.store import FaissStore

DOCS = SMALL_DOCS | {f"notes/{n:02d}.md": f"# Note {n}\n\n" + " ".join(
    f"Item {n}-{k} weighs {n * k} grams and ships from bay {k}." for k in range(1, 8 + n % 5)) for n in range(12)}


def _experiment(root: Path, corpus: Path, embedder: Path, output: str) -> Path:
    path = root / f"{output}.toml"
    # embed_batch_size 2: slices of 8 chunks, so the actors share the work in many pieces
    path.write_text(f'corpus = "{corpus}"\noutput_dir = "{root / output}"\n[index]\nembedder = "{embedder}"\n'
                    f'chunk_chars = 120\nchunk_overlap_chars = 20\nembed_batch_size = 2\n[ray]\nembed_actors = 2\ncpus = 1\n',
                    encoding="utf-8")
    return path


def _live(output: Path) -> tuple[FaissStore, dict]:
    root = output / "index"
    folder = root / read_current(root)
    return FaissStore.load(folder), json.loads((folder / "manifest.json").read_text())


def test_ray_data_embedding_builds_the_local_index(ray_head: str, tmp_path: Path, tiny_embedder_dir: Path,
                                                   mlflow_uri: str) -> None:
    corpus = write_corpus(tmp_path / "corpus", docs=DOCS, qa=SMALL_QA)
    # Each actor runs one torch thread (ray.cpus = 1); so does the local build here. With other thread counts a
    # few vectors may differ in their last bit (the kernels add in another order), which no ranking notices.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        local = CliRunner().invoke(app, ["index", str(_experiment(tmp_path, corpus, tiny_embedder_dir, "local"))])
    finally:
        torch.set_num_threads(threads)
    assert local.exit_code == 0, local.output
    on_ray = CliRunner().invoke(app, ["index", str(_experiment(tmp_path, corpus, tiny_embedder_dir, "ray")),
                                      "--ray", ray_head])
    assert on_ray.exit_code == 0, on_ray.output
    assert "embedding with 2 actors" in on_ray.output and "Ray: 1 node, 2 CPUs" in on_ray.output

    (mine, mine_manifest), (theirs, theirs_manifest) = _live(tmp_path / "local"), _live(tmp_path / "ray")
    assert len(mine) == len(theirs) > 40  # many slices: the order could have gone wrong
    assert [c.id for c in mine.chunks] == [c.id for c in theirs.chunks]
    assert [c.text for c in mine.chunks] == [c.text for c in theirs.chunks]
    everything = list(range(len(mine)))
    assert np.array_equal(mine.vectors(everything), theirs.vectors(everything))  # bit for bit
    assert mine_manifest["fingerprint"] == theirs_manifest["fingerprint"]
    assert mine_manifest["files"] == theirs_manifest["files"]  # same bytes on disk, checksum for checksum


def test_an_address_with_no_cluster_is_an_error_saying_what_to_do(tmp_path: Path, tiny_embedder_dir: Path,
                                                                   mlflow_uri: str) -> None:
    corpus = write_corpus(tmp_path / "corpus", docs=DOCS, qa=SMALL_QA)
    experiment = _experiment(tmp_path, corpus, tiny_embedder_dir, "nowhere")
    result = CliRunner().invoke(app, ["index", str(experiment), "--ray", f"127.0.0.1:{free_port()}"])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "cannot connect to the Ray cluster at '127.0.0.1:" in message and "ray start" in message
    assert not (tmp_path / "nowhere" / "index" / "CURRENT").exists()  # nothing half-built


@pytest.mark.parametrize("bad", ["ray.address = \"\"", "ray.cpus = 0", "ray.embed_actors = 0"])
def test_bad_ray_settings_are_refused_before_anything_runs(bad: str, tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    table, setting = bad.split(".", 1)
    path.write_text(f'corpus = "{tmp_path}"\n[{table}]\n{setting}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert "ray" in result.output and str(path) in " ".join(result.output.split())


def test_a_point_that_fails_on_ray_stops_the_sweep_and_is_named(ray_head: str, tmp_path: Path, tiny_lm_dir: Path,
                                                                tiny_embedder_dir: Path, mlflow_uri: str) -> None:
    # A model folder whose weights were cut short: its tokenizer loads (so the sweep starts), its weights do not.
    broken = tmp_path / "broken-lm"
    shutil.copytree(tiny_lm_dir, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:200])
    corpus = write_corpus(tmp_path / "corpus", qa=SMALL_QA + MORE_QA)
    experiment = write_experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir,
                                  f'[evaluate]\narms = ["base"]\n[sweep]\n"model.base_model" = ["{tiny_lm_dir}", "{broken}"]\n')
    result = CliRunner().invoke(app, ["sweep", str(experiment), "--ray", ray_head])
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert f"error: sweep point base_model={broken} failed on Ray: SafetensorError" in message, message
    assert "Traceback" not in result.output
    client = mlflow.MlflowClient(mlflow_uri)
    runs = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id])
    assert runs and not [r.info.run_name for r in runs if r.info.status == "RUNNING"]  # nothing left running


def test_a_task_on_a_node_without_the_index_folder_downloads_it_from_its_run(tmp_path: Path, mlflow_uri: str) -> None:
    from ragvsft import tracking
    from ragvsft.config import ExperimentConfig
    from ragvsft.pipelines.sweep_ray import _local

    built = tmp_path / "node-a" / "v-0123"
    built.mkdir(parents=True)
    (built / "manifest.json").write_text('{"format": 1}', encoding="utf-8")
    with tracking.run(uri=mlflow_uri, experiment="ragvsft/corpus", name="index", description="") as logged:
        uri = logged.log_artifacts(built, "index")
    config = ExperimentConfig(corpus=tmp_path, output_dir=tmp_path / "node-b")
    assert _local({"path": str(built), "uri": uri}, config, "index") == built  # seen here: used as it is
    shutil.rmtree(tmp_path / "node-a")  # another node: the folder is not there
    fetched = _local({"path": str(built), "uri": uri}, config, "index")
    assert fetched == tmp_path / "node-b" / "fetched" / "index" / "v-0123"
    assert (fetched / "manifest.json").read_text(encoding="utf-8") == '{"format": 1}'

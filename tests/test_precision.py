"""The inference precision (``[model] dtype``, ``[index] dtype``): what ``auto`` picks, what bfloat16 changes, and
what it must not (identities, index reuse, metric values).

bfloat16 is asked for explicitly here, so these tests run the same on CPUs with and without native bfloat16
(PyTorch emulates it where the hardware lacks it: slower, same results).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from rich.console import Console
from typer.testing import CliRunner

from conftest import write_corpus, write_experiment
from ragvsft import device
from ragvsft.cli import app
from ragvsft.config import load_config
from ragvsft.device import bfloat16_hardware, inference_dtype, native_bfloat16
from ragvsft.embedders import SentenceTransformerEmbedder, embedder_identity, same_model
from ragvsft.errors import RagvsftError
from ragvsft.generators import HFGenerator
from ragvsft.indexing import load_index_version
from ragvsft.pipelines.evaluate import read_answers

runner = CliRunner()


@pytest.mark.parametrize(("vendor", "amx", "avx512_bf16", "expected"), [
    ("GenuineIntel", True, True, "bfloat16"),  # a Xeon with AMX (measured: 2.3x on RAG prompts)
    ("AuthenticAMD", False, True, "bfloat16"),  # Zen 5 (measured: 1.6-2.4x)
    ("GenuineIntel", False, True, "float32"),  # AVX-512 BF16 without AMX (measured: the demo 1.4x slower)
    ("AuthenticAMD", False, False, "float32"), ("GenuineIntel", False, False, "float32")])  # AVX2: emulated
def test_auto_is_bfloat16_only_on_a_cpu_where_it_measured_faster(monkeypatch: pytest.MonkeyPatch, vendor: str,
                                                                 amx: bool, avx512_bf16: bool, expected: str) -> None:
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(device, "cpu_vendor", lambda: vendor)
    assert native_bfloat16("cpu") is (expected == "bfloat16")
    assert bfloat16_hardware("cpu") is (amx or avx512_bf16)
    assert inference_dtype("cpu", "auto") == expected
    assert inference_dtype("cpu", "float32") == "float32" and inference_dtype("cpu", "bfloat16") == "bfloat16"


def test_a_torch_without_the_probes_means_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported")
    monkeypatch.delattr(torch.cpu, "_is_avx512_bf16_supported")
    assert inference_dtype("cpu", "auto") == "float32"


def test_an_unknown_dtype_is_refused_with_the_choices(tmp_path: Path) -> None:
    with pytest.raises(RagvsftError, match="dtype 'half': use one of auto, float32, bfloat16"):
        inference_dtype("cpu", "half")
    exp = tmp_path / "e.toml"
    exp.write_text('corpus = "c"\n[model]\ndtype = "float16"\n', encoding="utf-8")
    with pytest.raises(RagvsftError) as caught:
        load_config(exp)
    assert "model.dtype" in str(caught.value) and "bfloat16" in str(caught.value)


def test_bfloat16_embeddings_are_unit_float32_rows_close_to_float32s() -> None:
    texts = ["Parental leave is 22 weeks.", "The X-200 maximum pressure is 14 bar.", "Flights under 6 hours"] * 3
    exact = SentenceTransformerEmbedder("all-MiniLM-L6-v2", device="cpu", dtype="float32")
    fast = SentenceTransformerEmbedder("all-MiniLM-L6-v2", device="cpu", dtype="bfloat16")
    a, b = exact.embed(texts), fast.embed(texts)
    assert b.dtype == np.float32 and b.shape == a.shape
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-6)
    cosine = (a * b).sum(axis=1)
    assert cosine.min() > 0.99 and not np.array_equal(a, b)  # close, and really computed in another precision
    assert fast.identity == exact.identity + "[bfloat16]" == embedder_identity("all-MiniLM-L6-v2", "bfloat16")
    assert same_model(fast.identity, exact.identity)


def test_the_generator_identity_and_weights_follow_the_dtype(tiny_lm_dir: Path, tmp_path: Path) -> None:
    exact = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, dtype="float32", device="cpu")
    fast = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path, dtype="bfloat16", device="cpu")
    assert fast.identity == exact.identity + "[bfloat16]"
    assert next(fast._net.parameters()).dtype == torch.bfloat16
    answers = fast.generate([[{"role": "user", "content": "How long is parental leave?"}]], max_new_tokens=5)
    assert answers[0].new_tokens > 0


def test_an_index_built_in_bfloat16_is_read_with_a_float32_query_embedder_but_never_reused(
        tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str) -> None:
    from ragvsft.pipelines import index

    exp = write_experiment(tmp_path, write_corpus(tmp_path / "corpus"), tiny_lm_dir, tiny_embedder_dir)
    first = runner.invoke(app, ["index", str(exp), "--set", 'index.dtype="float32"'])
    assert first.exit_code == 0, first.output
    exact_dir = Path(first.output.split("built ")[1].split(":")[0])
    config = load_config(exp, ['index.dtype="bfloat16"'])
    quiet = Console(file=open(tmp_path / "log.txt", "w"), width=200)  # noqa: SIM115 - closed with the test
    built = index.main(config, quiet, reuse_dir=exact_dir).built  # what retrain does with the champion's index
    log = (tmp_path / "log.txt").read_text()
    assert "full rebuild" in log and "[bfloat16]" in log  # float32 vectors are not mixed into a bfloat16 index
    manifest = json.loads((built.path / "manifest.json").read_text())
    assert manifest["embedder"]["identity"].endswith("[bfloat16]")
    assert manifest["counts"]["embedded"] == manifest["counts"]["chunks"]
    exact = embedder_identity(str(tiny_embedder_dir))
    store, _ = load_index_version(built.path, expected_embedder=exact, hnsw_ef_search=64)
    assert len(store) == manifest["counts"]["chunks"]
    with pytest.raises(RagvsftError, match="the index was built with"):
        load_index_version(built.path, expected_embedder=embedder_identity("all-MiniLM-L6-v2"), hnsw_ef_search=64)


def test_metrics_embed_in_float32_whatever_the_index_precision(
        tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str) -> None:
    """Both indexes put the same chunks before each question here, so context relevance (question vs passages,
    embedded) must come out the same — it would not if metrics embedded in the index's bfloat16."""
    from ragvsft import tracking

    exp = write_experiment(tmp_path, write_corpus(tmp_path / "corpus"), tiny_lm_dir, tiny_embedder_dir,
                           '[evaluate]\narms = ["rag"]\ncache = false\n')
    scored = {}
    for dtype in ("float32", "bfloat16"):
        result = runner.invoke(app, ["run", str(exp), "--set", f'index.dtype="{dtype}"', "--set", 'model.dtype="float32"'])
        assert result.exit_code == 0, result.output
        run = tracking.mlflow.search_runs(search_all_experiments=True, output_format="list", order_by=["start_time DESC"],
                                          filter_string="tags.`ragvsft.arm` = 'rag'")[0]
        assert run.data.params["metric_embedder"] == embedder_identity(str(tiny_embedder_dir))  # no [bfloat16]
        scored[dtype] = [(row["chunk_ids"], row["context_relevance"]) for row in read_answers(run.info.artifact_uri)]
    assert scored["float32"] == scored["bfloat16"] and len(scored["float32"]) == 2

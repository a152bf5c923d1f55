"""`ragvsft run` end to end with tiny models: parallel pipelines, four arms, MLflow layout, failures."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow
import pytest
import torch
from typer.testing import CliRunner

from conftest import SMALL_QA, write_corpus
from openai_stub import Stub
from ragvsft import releases, tracking
from ragvsft.cli import app
from ragvsft.embedders import embedder_identity
from ragvsft.errors import RagvsftError
from ragvsft.generators import HFGenerator
from ragvsft.indexing import load_index_version

runner = CliRunner()
ARM_KEYS = {"exact_match", "token_f1", "answer_recall", "semantic_similarity", "answer_relevance", "latency_ms_p50",
            "latency_ms_p95", "tokens_per_s"}
RETRIEVAL_KEYS = {"context_recall_at_k", "context_precision_at_k", "context_relevance"}


def experiment(tmp_path: Path, corpus: Path, lm: Path, embedder: Path, extra: str = "",
               max_new_tokens: int | None = 4) -> Path:
    cap = f"max_new_tokens = {max_new_tokens}\n" if max_new_tokens is not None else ""
    path = tmp_path / "exp.toml"
    path.write_text(
        f'corpus = "{corpus}"\noutput_dir = "{tmp_path / "out"}"\n'
        f'[index]\nembedder = "{embedder}"\nchunk_chars = 120\nchunk_overlap_chars = 20\ntop_k = 2\n'
        f'[model]\nbase_model = "{lm}"\ncache_dir = "{tmp_path / "cache"}"\n{cap}'
        f'[finetune]\nepochs = 1\nbatch_size = 2\nmax_length = 256\ncontext_k = 2\n{extra}',
        encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    more = [{"id": f"t{i}", "question": f"Training question {i} about leave?", "answer": "22 weeks",
             "sources": ["policies/leave.md"], "split": "train"} for i in range(3)]
    return write_corpus(tmp_path / "corpus", qa=SMALL_QA + more)


def children(uri: str, parent_id: str) -> dict[str, mlflow.entities.Run]:
    client = mlflow.MlflowClient(uri)
    exp = client.get_run(parent_id).info.experiment_id
    runs = client.search_runs([exp], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'")
    return {r.info.run_name: r for r in runs}


def test_run_builds_trains_evaluates_and_logs(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    result = runner.invoke(app, ["run", str(experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir))])
    assert result.exit_code == 0, result.output
    for arm in ("base", "rag", "finetuned", "hybrid"):
        assert arm in result.output
    assert "best per metric" in result.output and "mlflow ui --backend-store-uri" in result.output
    # The run ends with the decision report: a verdict on the console, the files beside the evidence.
    assert "verdict:" in result.output
    report = tmp_path / "out" / "report"
    assert {"results.json", "report.md", "report.html", "arms.png"} <= {p.name for p in report.iterdir()}
    assert "## Verdict:" in (report / "report.md").read_text()

    client = mlflow.MlflowClient(mlflow_uri)
    (parent,) = client.search_runs(
        [client.get_experiment_by_name("ragvsft/corpus").experiment_id], filter_string="tags.`ragvsft.pipeline` = 'run'")
    assert parent.info.status == "FINISHED" and parent.info.run_name.startswith(f"run-exp · corpus · {tiny_lm_dir.name} · ")
    assert parent.data.tags["mlflow.source.git.commit"] and parent.data.params["docs_sha256"]
    inputs = client.get_run(parent.info.run_id).inputs.dataset_inputs
    assert {i.dataset.name for i in inputs} == {"corpus-train", "corpus-eval"}
    assert {json.loads(i.dataset.source)["uri"] for i in inputs} == {str(corpus / "qa.jsonl")}  # the file read
    kids = children(mlflow_uri, parent.info.run_id)
    assert set(kids) == {"index-exp", "finetune-exp", "arm-base", "arm-rag", "arm-finetuned", "arm-hybrid"}
    assert all(k.info.status == "FINISHED" for k in kids.values())

    # Same metric keys for every arm; retrieval arms add context recall.
    for name in ("arm-base", "arm-rag", "arm-finetuned", "arm-hybrid"):
        metrics = kids[name].data.metrics
        assert ARM_KEYS <= set(metrics), name
        assert RETRIEVAL_KEYS & set(metrics) == (RETRIEVAL_KEYS if name.endswith(("rag", "hybrid")) else set())
        assert 0 <= metrics["token_f1"] <= 1 and metrics["token_f1_ci_low"] <= metrics["token_f1"]
    base_identity = kids["arm-base"].data.params["generator"].removesuffix("[bfloat16]")  # model.dtype is auto
    assert "+" not in base_identity
    assert kids["arm-finetuned"].data.params["generator"].startswith(base_identity + "+adapter@")  # base + adapter

    ft = kids["finetune-exp"].data.metrics
    assert 0 < ft["trainable_params"] < ft["total_params"] and ft["tokens_per_s"] > 0
    # The fine-tune trains the base model in the precision its arms answer in (model.dtype, auto here).
    answers_in = "bfloat16" if "[bfloat16]" in kids["arm-finetuned"].data.params["generator"] else "float32"
    assert kids["finetune-exp"].data.params["dtype"] == f"torch.{answers_in}"
    assert len(client.get_metric_history(kids["finetune-exp"].info.run_id, "train_loss")) >= 1

    artifacts = Path(parent.info.artifact_uri.removeprefix("file://"))
    assert (artifacts / "report" / "metrics_by_arm.png").stat().st_size > 1000
    assert (artifacts / "report" / "latency_by_arm.png").stat().st_size > 1000
    summary = json.loads((artifacts / "report" / "summary.json").read_text())
    assert set(summary["arms"]) == {"base", "rag", "finetuned", "hybrid"}
    assert summary["arm_specs"]["hybrid"] == {
        "name": "hybrid", "context": "retrieved", "adapter": True, "evidence": "context",
        "description": "the LoRA-adapted model with the retrieved chunks"}
    # Every pair of arms compared on the same questions, in MLflow and on the console.
    assert len(summary["paired"]) == 6 and set(summary["paired"]["hybrid vs finetuned"]["token_f1"]) == {
        "diff", "low", "high", "p", "n"}
    # The parent leads with the verdict and a handful of rounded numbers per arm; the pairs are one table.
    pm = parent.data.metrics
    assert not any(k.startswith("paired/") for k in pm)
    assert pm["rag/token_f1"] == round(kids["arm-rag"].data.metrics["token_f1"], 3)
    assert {f"{arm}/answer_relevance" for arm in ("base", "rag", "finetuned", "hybrid")} <= set(pm)
    assert parent.data.tags["mlflow.note.content"].startswith("**Verdict: ")
    assert "report/report.html" in parent.data.tags["mlflow.note.content"]
    paired = client.load_table(parent.info.experiment_id, "report/paired.json", run_ids=[parent.info.run_id])
    row = paired[(paired.a == "rag") & (paired.b == "base") & (paired.metric == "token_f1")].iloc[0]
    assert row.ci_low <= row["diff"] <= row.ci_high and 0 < row.p <= 1
    assert row["diff"] == pytest.approx(summary["arms"]["rag"]["token_f1"] - summary["arms"]["base"]["token_f1"],
                                        abs=1e-4)
    arms = client.load_table(parent.info.experiment_id, "report/arms.json", run_ids=[parent.info.run_id]).set_index("arm")
    assert arms.loc["rag", "n"] == 2 and arms.loc["rag", "token_f1"].count("[") == 1
    assert "rag vs base: " in result.output and "finetuned vs rag: " in result.output
    # Every arm logs its answers under one table name, so MLflow's artifact view lines them up.
    for name in ("arm-base", "arm-rag", "arm-finetuned", "arm-hybrid"):
        table = json.loads((Path(kids[name].info.artifact_uri.removeprefix("file://")) / "eval" / "answers.json")
                           .read_text())
        assert len(table["data"]) == 2 and {"arm", "id", "question", "answer", "chunk_ids", "token_f1"} <= set(
            table["columns"])
        # Each arm's run spans its work (it is open while the arm answers: at least its slowest answer's generation,
        # in whole ms as MLflow keeps times; a wall-clock floor failed on a CPU fast enough), and says where it ran.
        slowest = kids[name].data.metrics["latency_ms_p95"]
        assert slowest > 0 and kids[name].info.end_time - kids[name].info.start_time >= int(slowest)
        assert kids[name].data.tags["ragvsft.device"] == "cpu" and "cores" in kids[name].data.tags["ragvsft.load"]
    # The console ends with the links a reviewer opens; the experiment's description links the comparison.
    experiment_ = client.get_experiment(parent.info.experiment_id)
    view_key = parent.info.run_id[:12]
    assert f"viewStateShareKey={view_key}" in experiment_.tags["mlflow.note.content"]
    assert f"#/experiments/{parent.info.experiment_id}/runs/{parent.info.run_id}" in " ".join(result.output.split())
    view = json.loads(json.loads(experiment_.tags[f"mlflow.sharedViewState.{view_key}"])["state"])
    assert parent.info.run_id in view["searchFilter"] and "metrics.`faithfulness`" in view["selectedColumns"]
    assert "no per-tag breakdown" not in result.output  # the small corpus' questions carry tags

    for kind, arm in (("adapter", "hybrid"), ("index", "rag")):
        version = client.get_model_version_by_alias(f"ragvsft-corpus-{kind}", "challenger")
        assert str(version.version) == "1" and "challenger" in version.aliases
        # A version says what it measured, where, on what: in its description and as tags.
        assert version.tags["eval_run_id"] == parent.info.run_id and version.tags["docs_sha256"]
        assert float(version.tags[f"{arm}.token_f1"]) == pytest.approx(pm[f"{arm}/token_f1"])
        assert parent.info.run_id in version.description and f"{arm}: token_f1" in version.description
        assert client.get_registered_model(f"ragvsft-corpus-{kind}").description.startswith(("FAISS", "LoRA"))
    release = releases.find_release(mlflow_uri, "corpus", "challenger")  # the pair, with the corpus state it saw
    assert release is not None and release.key == ("1", "1")
    state = releases.release_state(mlflow_uri, "corpus", release, tmp_path / "registry")
    assert set(state.documents) == {"policies/leave.md", "policies/travel.txt", "manuals/pump.html"}
    assert set(state.train_ids) == {"q3", "t0", "t1", "t2"}
    adapter_meta = json.loads(next((tmp_path / "out" / "adapters").glob("*/ragvsft_adapter.json")).read_text())
    assert adapter_meta["base_model_identity"].startswith(str(tiny_lm_dir))


def test_registered_versions_travel_and_an_unchanged_index_keeps_its_version(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra='[evaluate]\narms = ["finetuned", "rag"]\n')
    for overrides in ([], ["--set", "finetune.learning_rate=0.001"]):
        result = runner.invoke(app, ["run", str(exp), *overrides])
        assert result.exit_code == 0, result.output
    client = mlflow.MlflowClient(mlflow_uri)
    # Same documents and index settings: one index version (the alias stays on it); new training settings, a new
    # adapter version.
    assert [str(v.version) for v in client.search_model_versions("name = 'ragvsft-corpus-index'")] == ["1"]
    assert str(client.get_model_version_by_alias("ragvsft-corpus-adapter", "challenger").version) == "2"
    index_runs = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                    filter_string="tags.`ragvsft.pipeline` = 'index'", order_by=["attributes.start_time"])
    first, second = (r.data.params["index_artifact_uri"] for r in index_runs)
    assert first == second and first.startswith(index_runs[0].info.artifact_uri)  # the unchanged index is logged once

    # The local folders are gone (pruned, or another machine): the registered versions still load, through MLflow.
    shutil.rmtree(tmp_path / "out")
    index = tracking.resolve_version(mlflow_uri, "ragvsft-corpus-index", "challenger", tmp_path / "registry")
    store, manifest = load_index_version(index.path, expected_embedder=embedder_identity(str(tiny_embedder_dir)),
                                         hnsw_ef_search=64)
    assert index.version == "1" and manifest["fingerprint"] == index.tags["fingerprint"]
    assert len(store) == manifest["counts"]["chunks"] > 0
    adapter = tracking.resolve_version(mlflow_uri, "ragvsft-corpus-adapter", "2", tmp_path / "registry")
    tuned = HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path / "cache", adapter=adapter.path, merge_adapter=True,
                        dtype="auto")  # as the run's default model.dtype
    (parent,) = client.search_runs([index_runs[1].info.experiment_id], "tags.`ragvsft.pipeline` = 'run'",
                                   order_by=["attributes.start_time DESC"], max_results=1)
    assert tuned.identity == children(mlflow_uri, parent.info.run_id)["arm-finetuned"].data.params["generator"]
    assert tracking.resolve_version(mlflow_uri, "ragvsft-corpus-adapter", "2", tmp_path / "registry") == adapter
    with pytest.raises(RagvsftError, match="'ragvsft-corpus-index' has no version 'champion'"):
        tracking.resolve_version(mlflow_uri, "ragvsft-corpus-index", "champion", tmp_path / "registry")


def test_a_trial_on_some_questions_logs_runs_but_registers_nothing(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra='[evaluate]\narms = ["base", "oracle"]\n')
    import pipelines.run

    evaluate_main = pipelines.run.evaluate.main

    def after_another_run_published(*args, **kwargs):  # another run on this output folder moved CURRENT meanwhile
        (tmp_path / "out" / "index" / "CURRENT").write_text("v-00000000000000000000\n", encoding="utf-8")
        return evaluate_main(*args, **kwargs)

    monkeypatch.setattr(pipelines.run.evaluate, "main", after_another_run_published)
    result = runner.invoke(app, ["run", str(exp), "--set", "evaluate.max_questions=1"])
    assert result.exit_code == 0, result.output
    assert "a trial on 1 of 2 eval questions — runs logged, nothing registered" in result.output
    assert "warning: only 1 eval questions: no difference between arms can reach p < 0.05" in result.output
    assert "nothing is fine-tuned" in result.output  # no arm uses an adapter
    client = mlflow.MlflowClient(mlflow_uri)
    assert client.search_registered_models() == []
    (parent,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                   filter_string="tags.`ragvsft.pipeline` = 'run'")
    kids = children(mlflow_uri, parent.info.run_id)
    assert set(kids) == {"index-exp", "arm-base", "arm-oracle"}
    # The oracle reads the gold source's passages: its "retrieval" always finds the source.
    oracle = kids["arm-oracle"].data
    assert oracle.params["context"] == "oracle" and oracle.params["questions"] == "1"
    assert oracle.metrics["context_recall_at_k"] == 1.0 and oracle.metrics["context_precision_at_k"] == 1.0


def test_batch_invariant_evaluation_embeds_each_question_alone_as_the_server_does(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server embeds each question alone under ``model.batch_invariant``, so evaluation must too (else a
    bfloat16 vector, and so a passage, can depend on the other questions; tests/test_serve_engine.py)."""
    import ragvsft.retriever

    calls: list[tuple[tuple[str, ...], bool]] = []
    embed_queries = ragvsft.retriever.embed_queries
    monkeypatch.setattr(ragvsft.retriever, "embed_queries",
                        lambda embedder, queries, *, alone=False: calls.append((tuple(queries), alone))
                        or embed_queries(embedder, queries, alone=alone))
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra='[evaluate]\narms = ["rag"]\n')
    questions = tuple(q["question"] for q in SMALL_QA if q.get("split") == "eval")
    result = runner.invoke(app, ["run", str(exp), "--set", "model.batch_invariant=true"])
    assert result.exit_code == 0, result.output
    assert (questions, True) in calls, calls


def test_paragraph_answers_get_room_to_finish_and_no_newline_stop(
    tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    from transformers import AutoTokenizer

    from ragvsft.answer_limits import answer_limits

    steps = [f"Step {n}: isolate the pump and open the service hatch.\nStep {n + 1}: replace seal kit S-{n}.\n"
             f"Step {n + 2}: run the pump for ten minutes and check the pressure." for n in range(4)]
    qa = [{"id": f"t{n}", "question": f"How is seal kit S-{n} fitted?", "answer": a, "split": "train"}
          for n, a in enumerate(steps)]
    qa += [{"id": "e1", "question": "How is the X-200 serviced?", "answer": steps[0], "split": "eval",
            "sources": ["manuals/pump.html"]}]
    corpus = write_corpus(tmp_path / "support", qa=qa)
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra='[evaluate]\narms = ["base"]\n',
                     max_new_tokens=None)
    result = runner.invoke(app, ["run", str(exp)])
    assert result.exit_code == 0, result.output
    expected = answer_limits(0, None, steps, AutoTokenizer.from_pretrained(tiny_lm_dir).tokenize)
    assert expected.max_new_tokens > 24 and expected.stop == ()
    assert f"answers: up to {expected.max_new_tokens} new tokens (99th percentile of the 4 training answers" in result.output
    assert "stop at none (4 training answers span lines)" in result.output
    client = mlflow.MlflowClient(mlflow_uri)
    (parent,) = client.search_runs([client.get_experiment_by_name("ragvsft/support").experiment_id],
                                   filter_string="tags.`ragvsft.pipeline` = 'run'")
    arm = children(mlflow_uri, parent.info.run_id)["arm-base"].data
    assert arm.params["max_new_tokens"] == str(expected.max_new_tokens) and arm.params["stop"] == "[]"
    # The random tiny model never says it is done: every answer runs to the cap, and the run says so.
    assert arm.metrics["hit_length_limit_share"] == 1.0
    assert f"base: 100% of the answers stopped at the {expected.max_new_tokens}-token limit" in result.output
    # No eval question has tags: the run says the per-tag breakdown was skipped, on the console and in MLflow.
    assert "no per-tag breakdown: no eval question has tags" in " ".join(result.output.split())
    assert parent.data.tags["ragvsft.slices"].startswith("none")


def test_a_failing_pipeline_stops_the_run_and_promotes_nothing(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra='target_modules = ["no_such_layer"]\n')
    result = runner.invoke(app, ["run", str(exp)])
    assert result.exit_code == 2, result.output
    assert "finetune pipeline failed" in result.output and "no_such_layer" in result.output
    client = mlflow.MlflowClient(mlflow_uri)
    (parent,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                   filter_string="tags.`ragvsft.pipeline` = 'run'")
    assert parent.info.status == "FAILED"
    assert all(k.info.status != "RUNNING" for k in children(mlflow_uri, parent.info.run_id).values())
    assert client.search_registered_models() == []
    assert not (tmp_path / "out" / "adapters").exists() or not any((tmp_path / "out" / "adapters").iterdir())


@pytest.mark.parametrize(("qa", "extra", "message"), [
    ([dict(q, split="train") for q in SMALL_QA], "", "the eval split is empty"),
    ([dict(q, split="eval") for q in SMALL_QA], "", "no training questions"),
])
def test_bad_input_fails_before_any_model_loads(
    tmp_path: Path, mlflow_uri: str, qa: list, extra: str, message: str
) -> None:
    corpus = write_corpus(tmp_path / "c", qa=qa)
    # Models that do not exist prove nothing was loaded before the check.
    result = runner.invoke(app, ["run", str(experiment(tmp_path, corpus, tmp_path / "no-lm", tmp_path / "no-emb", extra))])
    assert result.exit_code == 2 and message in result.output, result.output


def test_distillation_trains_on_the_labellers_answers(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str, stub: Stub
) -> None:
    stub.respond = lambda message: "twenty-two weeks"
    teacher = (f'targets = "labeller"\n[synthesize.labeller]\nbase_url = "{stub.url}"\nmodel = "teacher"\n'
               'api_key_env = ""\n[evaluate]\narms = ["finetuned"]\n')
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, teacher)
    result = runner.invoke(app, ["run", str(exp)])
    assert result.exit_code == 0, result.output
    # One question per training pair, asked with its source document in view.
    asked = [r["body"]["messages"][-1]["content"] for r in stub.requests]
    assert len(asked) == 4 and all(a.startswith("Context:\n[1] ") for a in asked)
    assert sum("Parental leave at Orvane Instruments is 22 weeks." in a for a in asked) == 3  # t0-t2; q3: travel
    client = mlflow.MlflowClient(mlflow_uri)
    (tuned,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                  filter_string="tags.`ragvsft.pipeline` = 'finetune'")
    assert tuned.data.params["targets_from"] == f"openai:teacher@{stub.url}"
    # Without a labeller there is no one to learn from: refused up front.
    alone = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, 'targets = "labeller"\n')
    refused = runner.invoke(app, ["check", str(alone)])
    assert refused.exit_code == 2 and "[synthesize.labeller] names none" in refused.output


REMOTE = '[[evaluate.extra_arms]]\nname = "remote"\nmodel = "m"\napi_key_env = "RAGVSFT_TEST_UNSET_KEY"\n'


@pytest.mark.parametrize(("qa_split", "lm", "emb", "extra", "message"), [
    ("train", None, None, "", "the eval split is empty"),
    (None, "no/such/model", None, "", "model 'no/such/model' not found"),
    (None, None, "./no-embedder", "", "embedder './no-embedder' not found"),
    (None, None, None, REMOTE + 'base_url = "localhost:8000"\n', "base_url 'localhost:8000' must be an http://"),
    (None, None, None, REMOTE + 'base_url = "https://api.example.com/v1"\n',
     "extra arm 'remote': the environment variable RAGVSFT_TEST_UNSET_KEY holding its API key is not set"),
    ("long", None, None, "--set finetune.max_length=32", "1 of 1 training answers are longer than "
                                                       "finetune.max_length=32 tokens, so nothing can be fine-tuned"),
])
def test_check_refuses_what_run_refuses_before_anything_starts(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str,
    qa_split: str | None, lm: str | None, emb: str | None, extra: str, message: str
) -> None:
    if qa_split == "train":
        corpus = write_corpus(tmp_path / "c", qa=[dict(q, split="train") for q in SMALL_QA])
    elif qa_split == "long":
        corpus = write_corpus(tmp_path / "c", qa=[dict(q, answer="step " * 40) if q["split"] == "train" else q
                                                  for q in SMALL_QA])
    sets = extra.split() if extra.startswith("--set") else []
    exp = experiment(tmp_path, corpus, lm or tiny_lm_dir, emb or tiny_embedder_dir, "" if sets else extra)
    for command in ("check", "run"):
        result = runner.invoke(app, [command, str(exp), *sets])
        assert result.exit_code == 2 and message in " ".join(result.output.split()), (command, result.output)
    assert mlflow.MlflowClient(mlflow_uri).get_experiment_by_name("ragvsft/corpus") is None  # nothing started


def test_check_warns_up_front_about_training_answers_too_long_to_learn(
    tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path
) -> None:
    long = {"id": "long", "question": "Describe the procedure?", "answer": "step " * 300, "split": "train"}
    corpus = write_corpus(tmp_path / "c", qa=SMALL_QA + [long])
    result = runner.invoke(app, ["check", str(experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir))])
    assert result.exit_code == 0, result.output
    assert ("warning: " + str(corpus / "qa.jsonl") + ": 1 of 2 training answers are longer than "
            "finetune.max_length=256 tokens and will be left out of fine-tuning (e.g. long)") in " ".join(
        result.output.split())
    assert result.output.strip().endswith("ok")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks a machine without a GPU")
def test_a_gpu_device_without_a_gpu_is_reported_up_front(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str
) -> None:
    exp = experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir)
    result = runner.invoke(app, ["run", str(exp), "--set", "model.device=cuda:0"])
    assert result.exit_code == 2 and "device 'cuda:0': torch" in result.output and "sees no CUDA GPU" in result.output
    assert mlflow.MlflowClient(mlflow_uri).get_experiment_by_name("ragvsft/corpus") is None  # nothing started


def test_an_api_key_bound_for_plain_http_elsewhere_is_refused_up_front(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REMOTE_KEY", "sk-secret")
    extra = ('[[evaluate.extra_arms]]\nname = "remote"\nbase_url = "http://10.9.8.7:8000/v1"\nmodel = "m"\n'
             'api_key_env = "REMOTE_KEY"\n')
    result = runner.invoke(app, ["run", str(experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra))])
    assert result.exit_code == 2 and "unencrypted to 10.9.8.7" in result.output, result.output
    assert "sk-secret" not in result.output
    assert mlflow.MlflowClient(mlflow_uri).get_experiment_by_name("ragvsft/corpus") is None  # nothing started


def test_missing_model_is_reported_up_front(tmp_path: Path, corpus: Path, mlflow_uri: str) -> None:
    result = runner.invoke(app, ["run", str(experiment(tmp_path, corpus, tmp_path / "no-lm", tmp_path / "no-emb"))])
    assert result.exit_code == 2 and "no-lm' not found" in result.output, result.output


def test_an_extra_arm_answers_through_an_openai_compatible_endpoint(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str, stub: Stub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STUB_KEY", "sk-from-env")
    extra = (f'[prompt]\nfew_shot = 1\n[evaluate]\narms = ["base"]\n[[evaluate.extra_arms]]\nname = "endpoint"\n'
             f'base_url = "{stub.url}"\nmodel = "big-model"\napi_key_env = "STUB_KEY"\n')
    result = runner.invoke(app, ["run", str(experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra))])
    assert result.exit_code == 0, result.output
    assert len(stub.requests) == 2  # one per eval question
    request = stub.requests[0]
    assert request["auth"] == "Bearer sk-from-env" and request["body"]["model"] == "big-model"
    assert "Context:\n[1] " in request["body"]["messages"][-1]["content"]  # extra arms retrieve by default
    # prompt.few_shot = 1: one worked example from the training split, as an earlier turn.
    roles = [m["role"] for m in request["body"]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert request["body"]["messages"][2]["content"] in {"22 weeks", "Tripdesk"}
    client = mlflow.MlflowClient(mlflow_uri)
    (parent,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                   filter_string="tags.`ragvsft.pipeline` = 'run'")
    kids = children(mlflow_uri, parent.info.run_id)
    assert {"arm-base", "arm-endpoint"} <= set(kids)
    assert ARM_KEYS <= set(kids["arm-endpoint"].data.metrics)
    assert kids["arm-endpoint"].data.params["generator"] == f"openai:big-model@{stub.url}"


def test_judge_metrics_go_through_the_configured_judge_and_count_parse_failures(
    tmp_path: Path, corpus: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, mlflow_uri: str, stub: Stub,
) -> None:
    # The stub both answers (as an extra arm) and judges; it replies with the prompt reversed, which is never a
    # readable verdict.
    extra = (f'[evaluate]\narms = []\nmetrics = ["token_f1", "faithfulness_judge", "answer_relevance_reverse"]\n'
             f'[evaluate.judge]\nbase_url = "{stub.url}"\nmodel = "judge-model"\n'
             f'[[evaluate.extra_arms]]\nname = "endpoint"\nbase_url = "{stub.url}"\nmodel = "answer-model"\n'
             'retrieves = false\n')
    result = runner.invoke(app, ["run", str(experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir, extra))])
    assert result.exit_code == 0, result.output
    client = mlflow.MlflowClient(mlflow_uri)
    (parent,) = client.search_runs([client.get_experiment_by_name("ragvsft/corpus").experiment_id],
                                   filter_string="tags.`ragvsft.pipeline` = 'run'")
    arm = children(mlflow_uri, parent.info.run_id)["arm-endpoint"]
    judged = [r["body"]["messages"][-1]["content"] for r in stub.requests if r["body"]["model"] == "judge-model"]
    assert sum("Statement:" in p for p in judged) == 2  # one claim per answer, one verdict prompt per claim
    assert sum(p.startswith("Here is an answer") for p in judged) == 2  # reverse questions
    assert arm.data.metrics["faithfulness_judge_parse_failures"] == 2
    assert "faithfulness_judge" not in arm.data.metrics  # no readable verdict, so no mean: not a silent 0
    assert 0 <= arm.data.metrics["answer_relevance_reverse"] <= 1

"""`ragvsft serve`: a real uvicorn server on a free loopback port, serving what a tiny `ragvsft run` registered.

Covers every endpoint, the API key, the limits, streaming, the OpenAI and LangChain clients, micro-batching across
modes, hot reload, and the property the API exists for: a served answer is the answer the evaluation recorded.
"""

from __future__ import annotations

import gc
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import mlflow
import pytest
import schemathesis
import schemathesis.specs.openapi.schemas  # noqa: F401 - see below
import uvicorn
from rich.console import Console
from typer.testing import CliRunner

from conftest import MORE_QA, SMALL_QA, TinyRun, write_corpus, write_experiment
from ragvsft import releases, tracking
from ragvsft.builders import build_embedder
from ragvsft.cli import app as cli
from ragvsft.config import load_config
from ragvsft.corpus_state import CorpusState
from ragvsft.device import inference_dtype
from ragvsft.errors import RagvsftError
from ragvsft.fewshot import pick_shots
from ragvsft.pipelines import serve as recipe
from ragvsft.pipelines.evaluate import read_answers
from ragvsft.qa import QAPair
from ragvsft.serve.app import Server, create_app
from ragvsft.serve.connections import uvicorn_config
from ragvsft.serve.engine import SERVE_MODES
from ragvsft.serve.schemas import Mode

KEY = "test-key-0123456789abcdef"

@dataclass
class Running:
    url: str
    server: Server
    experiment: Path
    uri: str
    evaluated: dict[str, dict[str, str]]  # arm -> question -> answer, from the run's MLflow tables

    def client(self, key: str | None = KEY) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60,
                            headers={"Authorization": f"Bearer {key}"} if key else {})


class ThreadedUvicorn:
    """uvicorn in a thread on port 0 (the OS picks a free one), configured as `ragvsft serve` configures it."""

    def __init__(self, served: Server) -> None:
        self.server = uvicorn.Server(uvicorn_config(create_app(served), served.settings, host="127.0.0.1", port=0,
                                                    timeout_graceful_shutdown=30))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            assert time.time() < deadline and self.thread.is_alive(), "server did not start"
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)


def evaluated_rows(uri: str) -> dict[str, dict[str, dict]]:
    """arm -> question -> the row of the run's answers table (answer, prompt_tokens, ...)."""
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("ragvsft/corpus")
    out = {}
    for run in client.search_runs([experiment.experiment_id], filter_string="tags.`ragvsft.pipeline` = 'evaluate'"):
        out[run.data.tags["ragvsft.arm"]] = {r["question"]: r for r in read_answers(run.info.artifact_uri)}
    return out


def evaluated_answers(uri: str) -> dict[str, dict[str, str]]:
    return {arm: {q: row["answer"] for q, row in rows.items()} for arm, rows in evaluated_rows(uri).items()}


@pytest.fixture(scope="module")
def running(tiny_run: TinyRun) -> Iterator[Running]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", tiny_run.uri)
        server = recipe.build(load_config(tiny_run.experiment), Console(quiet=True), api_key=KEY)
        with ThreadedUvicorn(server) as url:
            yield Running(url, server, tiny_run.experiment, tiny_run.uri, evaluated_answers(tiny_run.uri))


def ask(client: httpx.Client, question: str, mode: str, **extra: object) -> httpx.Response:
    return client.post("/v1/ask", json={"question": question, "mode": mode, **extra})


def metric(client: httpx.Client, line: str) -> float:
    """The value of one metric line (name with labels) on /metrics, 0 when absent."""
    for text in client.get("/metrics").text.splitlines():
        if text.startswith(line + " "):
            return float(text.rsplit(" ", 1)[1])
    return 0.0


def wait_for(condition: Callable[[], bool], what: str, within_s: float = 30) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_mode_literal_lists_the_served_modes() -> None:
    assert set(Mode.__args__) == set(SERVE_MODES)  # type: ignore[attr-defined]


def test_served_answers_equal_evaluated_ones_in_every_mode_even_in_mixed_batches(running: Running) -> None:
    questions = [q["question"] for q in SMALL_QA + MORE_QA if q["split"] == "eval"]
    jobs = [(q, mode) for mode in SERVE_MODES for q in questions]
    with running.client() as client, ThreadPoolExecutor(len(jobs)) as pool:
        # All at once: the batcher puts rows of different modes (adapter on and off) into the same generate call.
        replies = list(pool.map(lambda job: ask(client, *job), jobs))
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    for (question, mode), reply in zip(jobs, replies):
        body = reply.json()
        assert body["answer"] == running.evaluated[mode][question], (mode, question)
        assert body["mode"] == mode and body["versions"]["index"] == "1" and body["versions"]["adapter"] == "1"
        assert (len(body["sources"]) == 2) == (mode in ("rag", "hybrid"))
        assert body["latency_ms"]["total"] >= body["latency_ms"]["generation"] > 0
    with running.client() as client:  # some batch held several requests
        assert metric(client, "ragvsft_batch_size_sum") > metric(client, "ragvsft_batch_size_count")


def test_a_question_typed_with_a_stray_newline_or_invisible_space_gets_the_evaluated_answer(running: Running) -> None:
    # Chat boxes send trailing newlines; pasted text carries zero-width spaces: evaluation read its question without.
    question = next(q["question"] for q in SMALL_QA + MORE_QA if q["split"] == "eval")
    typed = question.replace(" ", " \u200b", 1) + "\r\n"
    with running.client() as client:
        for mode in ("base", "rag"):
            assert ask(client, typed, mode).json()["answer"] == running.evaluated[mode][question], mode
        reply = client.post("/v1/chat/completions", json={"model": "ragvsft-rag",
                                                          "messages": [{"role": "user", "content": typed}]})
        assert reply.json()["choices"][0]["message"]["content"] == running.evaluated["rag"][question]
        blank = client.post("/v1/ask", json={"question": "\u200b\n", "mode": "rag"})
        assert blank.status_code == 400 and "blank" in blank.json()["error"]["message"]


def test_sources_carry_document_chunk_score_and_text(running: Running) -> None:
    body = ask(running.client(), "How long is parental leave?", "rag", top_k=3).json()
    assert len(body["sources"]) == 3
    assert all(set(s) == {"doc_id", "chunk_id", "score", "text", "also_in"} and s["chunk_id"].startswith(s["doc_id"] + "#")
               for s in body["sources"])
    assert [s["score"] for s in body["sources"]] == sorted((s["score"] for s in body["sources"]), reverse=True)


def test_openai_client_lists_models_answers_and_streams(running: Running) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{running.url}/v1", api_key=KEY, max_retries=0)
    assert sorted(m.id for m in client.models.list()) == sorted(f"ragvsft-{m}" for m in SERVE_MODES)
    assert client.models.retrieve("ragvsft-hybrid").owned_by == "ragvsft"
    question = "How long is parental leave?"
    for mode in SERVE_MODES:
        completion = client.chat.completions.create(
            model=f"ragvsft-{mode}", messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": question}])
        assert completion.choices[0].message.content == running.evaluated[mode][question]
        assert completion.usage.completion_tokens > 0 and completion.usage.total_tokens > completion.usage.prompt_tokens
        chunks = list(client.chat.completions.create(model=f"ragvsft-{mode}", stream=True,
                                                     stream_options={"include_usage": True},
                                                     messages=[{"role": "user", "content": question}]))
        assert len({c.id for c in chunks}) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == completion.choices[0].message.content
        assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == completion.usage.total_tokens
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in ("stop", "length")


def test_stream_ends_with_done_and_has_no_usage_unless_asked(running: Running) -> None:
    with running.client().stream("POST", "/v1/chat/completions", json={
            "model": "ragvsft-rag", "stream": True, "messages": [{"role": "user", "content": "Where is travel booked?"}]}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line.removeprefix("data: ") for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    assert all(json.loads(e)["choices"] for e in events[:-1])


def test_langchain_chat_openai_invokes_and_streams(running: Running) -> None:
    from langchain_openai import ChatOpenAI

    question = "What is the X-200's maximum pressure?"
    llm = ChatOpenAI(base_url=f"{running.url}/v1", api_key=KEY, model="ragvsft-hybrid", max_retries=0, stream_usage=True)
    assert llm.invoke(question).content == running.evaluated["hybrid"][question]
    pieces = list(llm.stream(question))
    assert "".join(p.content for p in pieces) == running.evaluated["hybrid"][question]
    assert any(p.usage_metadata for p in pieces)


def test_api_key_is_required_on_the_api_but_not_on_health(running: Running) -> None:
    for key in (None, "wrong-key-0123456789abcdef"):
        reply = ask(running.client(key), "How long is parental leave?", "rag")
        assert reply.status_code == 401 and reply.json()["error"]["code"] == "invalid_api_key"
        assert running.client(key).get("/v1/models").status_code == 401
    assert running.client(None).get("/healthz").json() == {"status": "ok"}
    assert running.client(None).get("/docs").status_code == 200
    assert "/v1/ask" in running.client(None).get("/openapi.json").json()["paths"]
    ready = running.client(None).get("/readyz").json()
    assert ready["ready"] and ready["versions"]["index"] == "1" and ready["release"] == {"version": "1",
                                                                                     "alias": "challenger"}
    assert "no champion yet" in ready["note"]


@pytest.mark.parametrize(("body", "status", "param", "words"), [
    ({"question": "x" * 301, "mode": "rag"}, 400, "question", "at most 300"),
    ({"question": "", "mode": "rag"}, 400, "question", "at least 1"),
    ({"question": "Leave?", "mode": "oracle"}, 400, "mode", "'base', 'rag', 'finetuned' or 'hybrid'"),
    ({"question": "Leave?", "mode": "rag", "top_k": 21}, 400, "top_k", "less than or equal to 20"),
    ({"question": "Leave?", "mode": "rag", "top_k": 0}, 400, "top_k", "greater than or equal to 1"),
    ({"question": "Leave?", "mode": "rag", "max_new_tokens": 513}, 400, "max_new_tokens", "512"),
    ({"question": "Leave?", "mode": "rag", "temperature": 1}, 400, "temperature", "not permitted"),
    ({"mode": "rag"}, 400, "question", "required"),
    ({"question": " \n\t", "mode": "rag"}, 400, "question", "blank"),
    ({"question": "Leave?", "mode": "rag", "top_k": True}, 400, "top_k", "valid integer"),  # not 1
    ({"question": "Leave?", "mode": "rag", "max_new_tokens": 8.0}, 400, "max_new_tokens", "valid integer"),
])
def test_bad_ask_requests_get_openai_shaped_errors(running: Running, body: dict, status: int, param: str,
                                                   words: str) -> None:
    reply = running.client().post("/v1/ask", json=body)
    assert reply.status_code == status, reply.text
    error = reply.json()["error"]
    assert error["param"] == param and words in error["message"] and error["type"] == "invalid_request_error"


def test_malformed_missing_and_oversized_bodies(running: Running) -> None:
    client = running.client()
    reply = client.post("/v1/ask", content=b'{"question": "Leave?", "mode":', headers={"content-type": "application/json"})
    assert reply.status_code == 400 and reply.json()["error"]["message"].startswith("malformed JSON body")
    reply = client.post("/v1/ask")
    assert reply.status_code == 400 and "required" in reply.json()["error"]["message"]
    reply = client.post("/v1/ask", json={"question": "Leave? " * 1000, "mode": "rag"})
    assert reply.status_code == 413 and reply.json()["error"]["code"] == "body_too_large"
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"
    for content, headers, words in [
        (b'{"question": "Leave?", "mode": "rag"}', {"content-type": "text/plain"}, "content-type: application/json"),
        (b'[1, 2]', {"content-type": "application/json"}, "must be a JSON object"),
        (b'{"question": "caf\xe9", "mode": "rag"}', {"content-type": "application/json"}, "not UTF-8"),
        (b'{"question": ' + b"[" * 1500 + b"]" * 1500 + b"}", {"content-type": "application/json"}, "too deeply"),
    ]:
        reply = client.post("/v1/ask", content=content, headers=headers)
        assert reply.status_code == 400 and words in reply.json()["error"]["message"], (content[:40], reply.text)


def test_chat_errors_name_the_allowed_models_and_the_missing_question(running: Running) -> None:
    client = running.client()
    reply = client.post("/v1/chat/completions", json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]})
    assert reply.status_code == 404 and "ragvsft-hybrid" in reply.json()["error"]["message"]
    assert reply.json()["error"]["code"] == "model_not_found"
    reply = client.post("/v1/chat/completions", json={"model": "ragvsft-rag", "messages": [{"role": "system", "content": "x"}]})
    assert reply.status_code == 400 and reply.json()["error"]["param"] == "messages"
    reply = client.post("/v1/chat/completions", json={"model": "ragvsft-rag", "n": 2,
                                                      "messages": [{"role": "user", "content": "Leave?"}]})
    assert reply.status_code == 400 and reply.json()["error"]["param"] == "n"
    reply = client.post("/v1/chat/completions", json={"model": "ragvsft-rag",
                                                      "messages": [{"role": "user", "content": "y" * 301}]})
    assert reply.status_code == 400 and "300" in reply.json()["error"]["message"]
    image = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    for extra, param, words in [({"messages": [{"role": "user", "content": image}]}, "messages.0.content", "'image_url'"),
                                ({"messages": [{"role": "user", "content": 7}]}, "messages.0.content", "string or a list"),
                                ({"messages": [{"role": "user", "content": "Leave?"}], "stream": "yes"}, "stream", "boolean"),
                                ({"messages": [{"role": "user", "content": "Leave?"}], "max_tokens": True}, "max_tokens",
                                 "valid integer")]:
        reply = client.post("/v1/chat/completions", json={"model": "ragvsft-rag", **extra})
        error = reply.json()["error"]
        assert reply.status_code == 400 and error["param"] == param and words in error["message"], reply.text


def test_metrics_count_requests_by_mode_and_status(running: Running) -> None:
    client = running.client()
    ask(client, "Where is travel booked?", "finetuned")
    text = client.get("/metrics").text
    assert 'ragvsft_requests_total{endpoint="/v1/ask",mode="finetuned",status="200"}' in text
    assert "ragvsft_request_seconds_bucket" in text and "ragvsft_queue_depth" in text


def test_healthz_answers_while_a_batch_generates(running: Running) -> None:
    with running.client() as client, ThreadPoolExecutor(9) as pool:
        slow = [pool.submit(ask, client, "How long is parental leave?", "hybrid", max_new_tokens=200) for _ in range(8)]
        time.sleep(0.1)
        started = time.perf_counter()
        assert client.get("/healthz").status_code == 200
        health_s = time.perf_counter() - started
        assert all(f.result().status_code == 200 for f in slow)
    assert health_s < 1.0


def test_a_server_whose_answering_settings_differ_from_the_measuring_run_says_which(running: Running) -> None:
    """Runs before the hot reload test, which serves a release of its own."""
    # Served = evaluated holds only for the settings the release was measured with: another experiment file over
    # the same corpus (another top_k, prompt, dtype) serves its releases otherwise, and the server says so.
    first = releases.ReleaseRecord("1", None, "1", "1")  # the tiny run's release, annotated with its run
    same = load_config(running.experiment)
    assert releases.settings_differences(running.uri, "corpus", first, releases.answering_params(same)) == {}
    assert running.client().get("/readyz").json()["differs_from_measured"] == {}
    other = load_config(running.experiment, ["index.top_k=1", 'prompt.system="Be brief."', "model.pack_weights=false",
                                             "prompt.few_shot=1"])
    differences = releases.settings_differences(running.uri, "corpus", first, releases.answering_params(other))
    assert differences == {"index.top_k": (str(same.index.top_k), "1"), "prompt.system": (same.prompt.system, "Be brief."),
                           "prompt.few_shot": ("0", "1")}
    # The same file on other hardware: `auto` comes to another device or dtype there, and answers differ.
    here = releases.answering_params(same)
    assert (here["model.resolved_device"], here["model.resolved_dtype"]) == ("cpu", inference_dtype("cpu", same.model.dtype))
    there = "float32" if here["model.resolved_dtype"] == "bfloat16" else "bfloat16"
    elsewhere = here | {"model.resolved_device": "cuda", "model.resolved_dtype": there}
    assert releases.settings_differences(running.uri, "corpus", first, elsewhere) == {
        "model.resolved_device": ("cpu", "cuda"), "model.resolved_dtype": (here["model.resolved_dtype"], there)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", running.uri)
        console = Console(record=True, width=400)
        server = recipe.build(other, console, api_key=KEY)
    assert server.live.pick.version == "1" and server.live.differences == differences
    assert (f"warning: release v1 was measured with other answering settings than this server's (index.top_k "
            f"'{same.index.top_k}' there, '1' here; prompt.system") in console.export_text()


def test_hot_reload_swaps_versions_without_a_failed_or_mixed_request(running: Running) -> None:
    stop, replies = threading.Event(), []

    def load() -> None:
        with running.client() as client:
            while not stop.is_set():
                replies.append(ask(client, "How long is parental leave?", "hybrid"))

    def adapters_seen() -> set[str]:
        return {r.json()["versions"]["adapter"] for r in list(replies) if r.status_code == 200}

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    # Requests must be answered by the old version before the new one exists: with no champion the server follows
    # the challenger, so it may reload as soon as the release below is registered, before `promote`.
    wait_for(lambda: "1" in adapters_seen(), "no request was answered before the reload", within_s=60)
    # A second adapter version (same files, new version number: a new identity in the server), released and promoted.
    name = tracking.registered_name("corpus", "adapter")
    first = mlflow.MlflowClient(running.uri).get_model_version(name, "1")
    tracking.register_version(running.uri, name=name, source=first.source, run_id=first.run_id, description="again",
                              alias="challenger", tags={**first.tags})
    with tracking.run(uri=running.uri, experiment="ragvsft/corpus", name="by-hand", description="") as logged:
        releases.register_release(running.uri, "corpus", index_version="1", adapter_version="2",
                                  state=CorpusState({}, {}), examples=[], logger=logged)
    result = CliRunner().invoke(cli, ["promote", str(running.experiment)], env={"MLFLOW_TRACKING_URI": running.uri})
    assert result.exit_code == 0 and "champion: release v2: index v1, adapter v2" in result.output, result.output
    wait_for(lambda: running.server.live.release.adapter_version == "2", "the server did not reload", within_s=60)
    wait_for(lambda: "2" in adapters_seen(), "no request was answered after the reload", within_s=60)
    stop.set()
    for t in threads:
        t.join()
    assert replies and all(r.status_code == 200 for r in replies)
    pairs = {(r.json()["versions"]["index"], r.json()["versions"]["adapter"]) for r in replies}
    assert pairs == {("1", "1"), ("1", "2")}
    assert len({r.json()["answer"] for r in replies}) == 1  # the same adapter weights: the same answer
    # The server may have reloaded the challenger before `promote`; it then sees the alias move at its next poll.
    wait_for(lambda: running.client().get("/readyz").json()["release"]["alias"] == "champion",
             "the server did not see release v2 become the champion", within_s=60)
    ready = running.client().get("/readyz").json()
    assert ready["release"] == {"version": "2", "alias": "champion"} and ready["note"] == ""
    for kind, version in (("index", "1"), ("adapter", "2")):  # the mirrors follow the release
        assert tracking.alias_version(running.uri, tracking.registered_name("corpus", kind), "champion") == version
    assert 'ragvsft_reloads_total{outcome="reloaded"} 1.0' in running.client().get("/metrics").text


def test_few_shot_prompts_are_served_with_the_examples_and_answers_evaluation_recorded(
        tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path) -> None:
    # prompt.few_shot = 1: every prompt starts with the training question most like the asked one, and its answer.
    rows = SMALL_QA + MORE_QA
    experiment = write_experiment(tmp_path, write_corpus(tmp_path / "corpus", qa=rows), tiny_lm_dir, tiny_embedder_dir,
                                  extra="[prompt]\nfew_shot = 1\n")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = CliRunner().invoke(cli, ["run", str(experiment)], env={"MLFLOW_TRACKING_URI": uri})
    assert result.exit_code == 0, result.output
    config, evaluated = load_config(experiment), evaluated_rows(uri)
    pairs = [QAPair(r["id"], r["question"], r["answer"], (), r["split"], ()) for r in rows]
    eval_qa = [p for p in pairs if p.split == "eval"]
    shots = pick_shots(eval_qa, [p for p in pairs if p.split == "train"], 1, build_embedder(config.index))
    # The server takes everything from the tracking store, examples and answer limits included: not the corpus.
    (tmp_path / "corpus").rename(tmp_path / "elsewhere")
    console = Console(record=True, width=300)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        server = recipe.build(config, console, api_key=KEY)
    assert server.live.differences == {}  # measured with few_shot = 1 too
    assert "1 worked example per prompt from the release's 4 training pairs" in console.export_text()
    with ThreadedUvicorn(server) as url, httpx.Client(base_url=url, timeout=60,
                                                      headers={"Authorization": f"Bearer {KEY}"}) as client:
        jobs = [(qa, mode) for mode in SERVE_MODES for qa in eval_qa]

        def both(job: tuple[QAPair, str]) -> tuple[httpx.Response, httpx.Response]:
            chat = {"model": f"ragvsft-{job[1]}", "messages": [{"role": "user", "content": job[0].question}]}
            return ask(client, job[0].question, job[1]), client.post("/v1/chat/completions", json=chat)

        with ThreadPoolExecutor(len(jobs)) as pool:  # mixed batches, as in the test without examples
            replies = list(pool.map(both, jobs))
    for (qa, mode), (native, chat) in zip(jobs, replies):
        assert native.status_code == 200 and chat.status_code == 200, (native.text, chat.text)
        recorded = evaluated[mode][qa.question]
        assert native.json()["answer"] == chat.json()["choices"][0]["message"]["content"] == recorded["answer"]
        # The same prompt, examples included (the tiny model's answers alone would not tell).
        assert chat.json()["usage"]["prompt_tokens"] == recorded["prompt_tokens"], (mode, qa.question)
        assert [(e["question"], e["answer"]) for e in native.json()["examples"]] == list(shots[qa.id])

    # A release registered before releases kept their training pairs cannot be served with examples: one line.
    with tracking.run(uri=uri, experiment="ragvsft/corpus", name="old", description="") as logged:
        logged.log_dict({"format": 1, "corpus": "corpus", "index_version": "1", "adapter_version": "1",
                         "state": CorpusState({}, {}).to_json()}, f"release/{releases.RELEASE_FILE}")
        tracking.register_version(uri, name=releases.release_name("corpus"), source=f"{logged.artifact_uri}/release",
                                  run_id=logged.run_id, description="old", alias="champion",
                                  tags={"index_version": "1", "adapter_version": "1"})
    with pytest.MonkeyPatch.context() as mp, pytest.raises(RagvsftError, match="registered before releases kept"):
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        recipe.build(config, Console(quiet=True), api_key=KEY)
    # Without examples it serves, with the answer limits fitted to the corpus on disk's training answers.
    (tmp_path / "elsewhere").rename(tmp_path / "corpus")
    console = Console(record=True, width=300)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        server = recipe.build(load_config(experiment, ["prompt.few_shot=0"]), console, api_key=KEY)
    assert server.live.pick.version == "2" and "corpus corpus: 3 documents" in console.export_text()


def test_promote_errors(running: Running, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["promote", str(running.experiment), "--version", "99"],
                                env={"MLFLOW_TRACKING_URI": running.uri})
    assert result.exit_code == 2 and "'ragvsft-corpus-release' has no version '99'" in result.output
    result = CliRunner().invoke(cli, ["promote", str(running.experiment), "--version", "two"],
                                env={"MLFLOW_TRACKING_URI": running.uri})
    assert result.exit_code == 2 and "takes a release version number" in result.output


def test_an_address_it_cannot_bind_is_one_line_before_anything_loads(
    tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    from conftest import write_corpus, write_experiment

    monkeypatch.chdir(tmp_path)  # an empty tracking store: had it loaded anything, "nothing to serve" would end it
    experiment = write_experiment(tmp_path, write_corpus(tmp_path / "corpus"), tiny_lm_dir, tiny_embedder_dir)
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        taken = CliRunner().invoke(cli, ["serve", str(experiment), "--port", str(port)])
    assert taken.exit_code == 2
    assert taken.output.startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use; choose another")
    foreign = CliRunner().invoke(cli, ["serve", str(experiment), "--host", "192.0.2.1"], env={"RAGVSFT_API_KEY": KEY})
    assert foreign.exit_code == 2 and "this machine has no such address" in foreign.output


def test_non_loopback_address_needs_a_long_enough_key() -> None:
    with pytest.raises(RagvsftError, match="RAGVSFT_API_KEY"):
        recipe.api_key_for("0.0.0.0", {})
    with pytest.raises(RagvsftError, match="at least 16"):
        recipe.api_key_for("127.0.0.1", {"RAGVSFT_API_KEY": "short"})
    assert recipe.api_key_for("127.0.0.1", {}) is None
    assert recipe.api_key_for("0.0.0.0", {"RAGVSFT_API_KEY": KEY}) == KEY


def test_serve_refuses_public_address_without_key_before_loading_anything(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("RAGVSFT_API_KEY", raising=False)
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'corpus = "{tmp_path / "missing"}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", str(experiment), "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "without an API key" in result.output


def test_serve_without_a_registered_index_says_what_to_run(tmp_path: Path, small_corpus: Path, mlflow_uri: str) -> None:
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'corpus = "{small_corpus}"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", str(experiment)])
    assert result.exit_code == 2 and "ragvsft run" in result.output and "nothing to serve" in result.output


def test_fuzzed_requests_never_get_a_server_error(running: Running) -> None:
    # schemathesis is imported at collection, not here: importing its OpenAPI modules while the server's threads run
    # made CPython 3.11's parser fail once in CI ("AST constructor recursion depth mismatch", a thread race in
    # compile(), CPython gh-106905), as pytest rewrote their asserts.
    from hypothesis import HealthCheck, given, settings
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(f"{running.url}/openapi.json")
    # The same CPython bug struck again (2026-11-27) inside Hypothesis, which parses the source of the lambdas in
    # schemathesis's strategies to describe them. The parser's depth counter is shared by every thread, and a
    # garbage collection during a parse can run finalizers, which lets the server's threads run (and compile)
    # before the parse ends. No collections while fuzzing: nothing else changes, and 80 examples hold little.
    gc.disable()
    try:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck))
            @given(case=schema.as_strategy(generation_mode=mode))
            def check(case: schemathesis.Case) -> None:
                reply = case.call(base_url=running.url, headers={"Authorization": f"Bearer {KEY}"})
                assert reply.status_code < 500, (case.method, case.path, case.body, reply.text)
                if reply.status_code >= 400:
                    assert set(reply.json()["error"]) == {"message", "type", "param", "code"}

            check()
    finally:
        gc.enable()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_server_logs_json_lines_and_finishes_requests_in_flight_on_sigterm(running: Running) -> None:
    import os
    import signal
    import subprocess
    import sys

    port = free_port()
    env = {**os.environ, "MLFLOW_TRACKING_URI": running.uri, "RAGVSFT_API_KEY": KEY}
    process = subprocess.Popen([sys.executable, "-m", "ragvsft.cli", "serve", str(running.experiment), "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            assert process.poll() is None and time.time() < deadline, process.stderr.read() if process.stderr else ""
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with ThreadPoolExecutor(1) as pool:
            headers = {"Authorization": f"Bearer {KEY}"}
            slow = pool.submit(httpx.post, f"{url}/v1/ask", headers=headers, timeout=60,
                               json={"question": "Who handles leave requests?", "mode": "hybrid", "max_new_tokens": 300})
            deadline = time.time() + 60  # SIGTERM once the request is in a batch (metrics count batches as they start)
            while "ragvsft_batch_size_count 1.0" not in httpx.get(f"{url}/metrics", headers=headers, timeout=5).text:
                assert time.time() < deadline, "the request never reached a batch"
                time.sleep(0.05)
            process.send_signal(signal.SIGTERM)
            assert slow.result().status_code == 200
        # uvicorn shuts down gracefully, then re-raises the signal: the exit status says SIGTERM ended it.
        assert process.wait(60) in (0, -signal.SIGTERM)
    finally:
        if process.poll() is None:
            process.kill()
    out, err = process.communicate()
    assert "listening on http://127.0.0.1" in out
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    asked = [line for line in lines if line["path"] == "/v1/ask"]
    assert asked and asked[0]["status"] == 200 and asked[0]["mode"] == "hybrid" and "request_id" in asked[0]
    assert "question" not in asked[0]  # questions stay out of the log unless serve.log_questions is set


def test_a_full_queue_answers_429_in_openai_shape(running: Running) -> None:
    from dataclasses import replace

    from ragvsft.serve.batcher import MicroBatcher
    from ragvsft.serve.observe import ServerMetrics

    s = replace(running.server.settings, max_queue=1, max_batch_size=1, max_wait_ms=0)
    engine = running.server.live.engine
    taken = threading.Event()
    batcher = MicroBatcher(engine, max_batch_size=1, max_wait_ms=0, max_queue=1, on_batch=lambda rows: taken.set())
    tight = Server(running.server.live, batcher, s, 6, 2, KEY, ServerMetrics())
    with ThreadedUvicorn(tight) as url, httpx.Client(base_url=url, timeout=60, headers={
            "Authorization": f"Bearer {KEY}"}) as client, ThreadPoolExecutor(2) as pool:
        with engine._lock:  # the model is busy: the worker holds the first request, the second waits in the queue
            first = pool.submit(ask, client, "How long is parental leave?", "rag")
            assert taken.wait(60), "the worker never took the first request"  # it now waits for the model
            second = pool.submit(ask, client, "How long is parental leave?", "rag")
            while batcher.depth < 1:
                time.sleep(0.01)
            refused = ask(client, "How long is parental leave?", "rag")
        assert first.result().status_code == 200 and second.result().status_code == 200
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["type"] == "rate_limit_error" and "serve.max_queue" in error["message"]


def read_until_closed(sock: socket.socket, within_s: float) -> bytes | None:
    """What the server sent before closing the connection, or None if it is still open after ``within_s``."""
    sock.settimeout(within_s)
    data = b""
    try:
        while chunk := sock.recv(4096):
            data += chunk
        return data
    except ConnectionResetError:
        return data
    except TimeoutError:
        return None


def test_slow_or_silent_clients_cannot_hold_connections_but_slow_answers_keep_theirs(running: Running) -> None:
    """Slowloris: before, a connection that sent nothing, or its request line a byte at a time, stayed open for
    good. Now the head must arrive within serve.request_timeout_s and the body as long again (408); time spent
    answering does not count."""
    from dataclasses import replace

    from ragvsft.serve.batcher import MicroBatcher
    from ragvsft.serve.observe import ServerMetrics

    engine = running.server.live.engine
    batcher = MicroBatcher(engine, max_batch_size=1, max_wait_ms=0, max_queue=4)
    quick = Server(running.server.live, batcher, replace(running.server.settings, request_timeout_s=1.0), 6, 2, KEY,
                   ServerMetrics())
    with ThreadedUvicorn(quick) as url:
        address = ("127.0.0.1", int(url.rsplit(":", 1)[1]))
        with socket.create_connection(address) as silent:
            assert read_until_closed(silent, 10) == b""
        with socket.create_connection(address) as trickling:
            started = time.monotonic()
            with pytest.raises(OSError):  # the server closes it mid-head: a later send or the read fails
                for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 100:
                    trickling.sendall(bytes([byte]))
                    time.sleep(0.1)
                    assert time.monotonic() - started < 10, "a trickled head kept its connection"
                assert read_until_closed(trickling, 0) is not None
        with socket.create_connection(address) as kept_alive:  # the deadline restarts after each answer
            kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            kept_alive.settimeout(10)
            reply = b""
            while not reply.endswith(b'{"status":"ok"}'):
                reply += kept_alive.recv(4096)
            assert reply.startswith(b"HTTP/1.1 200")
            kept_alive.sendall(b"GET")  # a byte cancels uvicorn's own keep-alive timer; ours still runs
            assert read_until_closed(kept_alive, 10) == b""
        with socket.create_connection(address) as slow_body:
            body = json.dumps({"question": "How long is parental leave?", "mode": "base"}).encode()
            slow_body.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                              b"Authorization: Bearer " + KEY.encode() + b"\r\n"
                              b"Content-Length: %d\r\n\r\n" % len(body) + body[:10])
            answer = read_until_closed(slow_body, 10)
            assert answer is not None and answer.startswith(b"HTTP/1.1 408")
            error = json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]
            assert error["code"] == "request_timeout" and "serve.request_timeout_s" in error["message"]
        with httpx.Client(base_url=url, timeout=60, headers={"Authorization": f"Bearer {KEY}"}) as client:
            with ThreadPoolExecutor(1) as pool:
                with engine._lock:  # the model is busy for longer than the deadline
                    waiting = pool.submit(ask, client, "How long is parental leave?", "base")
                    time.sleep(2.5)
                assert waiting.result().status_code == 200
            assert client.get("/healthz").status_code == 200


def test_a_request_whose_client_went_away_is_dropped_queued_or_decoding(running: Running) -> None:
    """Before, an answer nobody waited for (a closed tab, a client's timeout that gave up and retried) was
    generated to its end, keeping the batch busy; now it is dropped before its batch or at the next step."""
    engine, queued, decoding = (running.server.live.engine, 'ragvsft_abandoned_total{stage="queued"}',
                                'ragvsft_abandoned_total{stage="decoding"}')
    address = ("127.0.0.1", int(running.url.rsplit(":", 1)[1]))
    body = json.dumps({"question": "Who handles leave requests?", "mode": "hybrid", "max_new_tokens": 300}).encode()
    raw_request = (b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                   + KEY.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    with running.client() as client, ThreadPoolExecutor(1) as pool:
        before, batches = (metric(client, queued), metric(client, decoding)), metric(client, "ragvsft_batch_size_count")
        with engine._lock:  # the worker takes the first request and waits for the model; the second queues
            first = pool.submit(ask, client, "How long is parental leave?", "rag")
            wait_for(lambda: metric(client, "ragvsft_batch_size_count") == batches + 1, "the first request never started")
            with socket.create_connection(address) as gone:
                gone.sendall(raw_request)
                wait_for(lambda: running.server.batcher.depth == 1, "the second request never queued")
            waiting = list(running.server.batcher._queue.queue)
            wait_for(lambda: all(p.future.cancelled() for p in waiting), "the closed request was not cancelled")
        assert first.result().status_code == 200
        wait_for(lambda: metric(client, queued) == before[0] + 1, "the abandoned request was not dropped from the queue")

        batches, live = metric(client, "ragvsft_batch_size_count"), running.server.live
        in_flight = sum(live._in_flight.values())
        with engine._lock:  # the worker takes the stream's request into a batch and waits for the model
            with client.stream("POST", "/v1/chat/completions", json={
                    "model": "ragvsft-hybrid", "stream": True, "max_tokens": 300,
                    "messages": [{"role": "user", "content": "Who handles leave requests?"}]}) as stream:
                lines = stream.iter_lines()  # kept: a discarded iterator closes the connection
                assert '"role": "assistant"' in next(lines)  # the stream has started
                wait_for(lambda: metric(client, "ragvsft_batch_size_count") == batches + 1, "the stream never started")
            # The stream's generator ends (cancelling its request) once the server hears of the close.
            wait_for(lambda: sum(live._in_flight.values()) == in_flight, "the closed stream did not end")
        wait_for(lambda: metric(client, decoding) == before[1] + 1, "the abandoned stream kept decoding")
        assert ask(client, "How long is parental leave?", "rag").status_code == 200  # the batcher goes on

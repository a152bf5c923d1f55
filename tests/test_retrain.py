"""`ragvsft retrain` and `ragvsft schedule`: change detection, incremental index, gates, the pass lock, a pass
SIGKILLed at every stage (in a real subprocess) while a real server keeps answering, and the scheduler's restarts.

Tiny generator (random weights, built here), the packaged MiniLM embedder (so retrieval finds the new document).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import mlflow
import pytest
from rich.console import Console
from test_serve import ThreadedUvicorn
from typer.testing import CliRunner

from conftest import SMALL_QA, write_corpus, write_experiment
from ragvsft import releases, tracking
from ragvsft.cli import app as cli
from ragvsft.config import load_config
from ragvsft.corpus import load_corpus
from ragvsft.corpus_state import CorpusState, diff_states
from ragvsft.lock import PassLock
from ragvsft.pipelines import retrain as recipe
from ragvsft.pipelines import serve
from ragvsft.pipelines.schedule import JOB_ID, start_scheduler

TRAIN = [{"id": f"t{i}", "question": f"Training question {i} about leave?", "answer": "22 weeks",
          "sources": ["policies/leave.md"], "split": "train"} for i in range(3)]


def test_answers_an_eval_question_also_accepts_change_it_and_a_training_questions_do_not(tmp_path: Path) -> None:
    def state(also_accept: dict[str, list[str]]) -> CorpusState:
        rows = [{**row, "also_accept": also_accept[row["id"]]} if row["id"] in also_accept else row
                for row in [*SMALL_QA, *TRAIN]]
        return CorpusState.of(load_corpus(write_corpus(tmp_path, qa=rows)), index_settings={}, adapter_settings={})

    before = state({})
    eval_changed = diff_states(before, state({"q1": ["twenty-two weeks"]}))
    assert eval_changed.questions_modified == ("q1",) and not eval_changed.train_changed
    assert diff_states(before, state({"t0": ["twenty-two weeks"]})).empty  # never scored: nothing to redo



@pytest.mark.parametrize(("recipe", "retrains"), [("closed_book", False), ("raft", True), ("mixed", True)])
def test_new_chunking_rules_refresh_an_adapter_only_when_its_recipe_reads_chunks(
    tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, monkeypatch: pytest.MonkeyPatch, recipe: str,
    retrains: bool
) -> None:
    from ragvsft import builders

    corpus = write_corpus(tmp_path / "corpus", qa=[*SMALL_QA, *TRAIN])
    config = load_config(write_experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir),
                         [f'finetune.recipe="{recipe}"'])
    now = builders.corpus_state(config, load_corpus(corpus))
    monkeypatch.setattr(builders, "RULES_VERSION", builders.RULES_VERSION - 1)
    earlier = builders.corpus_state(config, load_corpus(corpus))
    assert diff_states(earlier, now).adapter_settings_changed is retrains


@dataclass
class World:
    root: Path
    corpus: Path
    experiment: Path
    uri: str

    def retrain(self, *extra: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["retrain", str(self.experiment), *extra], env={"MLFLOW_TRACKING_URI": self.uri})
        return result.exit_code, result.output

    def retrain_process(self, fault: str = "") -> subprocess.CompletedProcess:
        """A pass in a process of its own, killed with SIGKILL at ``fault`` (a stage name) when given."""
        env = {**os.environ, "MLFLOW_TRACKING_URI": self.uri, recipe.FAULT_ENV: fault}
        return subprocess.run([sys.executable, "-m", "ragvsft.cli", "retrain", str(self.experiment)], env=env,
                              capture_output=True, text=True, timeout=300)

    def champion(self) -> releases.ReleaseRecord | None:
        return releases.find_release(self.uri, "corpus", "champion")

    def mirrors(self) -> tuple[str | None, str | None]:
        return tuple(tracking.alias_version(self.uri, tracking.registered_name("corpus", kind), "champion")  # type: ignore
                     for kind in ("index", "adapter"))

    def add_document(self, name: str, text: str, questions: list[dict]) -> None:
        (self.corpus / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (self.corpus / "docs" / name).write_text(text, encoding="utf-8")
        with (self.corpus / "qa.jsonl").open("a", encoding="utf-8") as fh:
            fh.writelines(json.dumps(q) + "\n" for q in questions)


def make_world(root: Path, lm: Path) -> World:
    corpus = write_corpus(root / "corpus", qa=SMALL_QA + TRAIN)
    experiment = root / "exp.toml"
    experiment.write_text(
        f'corpus = "{corpus}"\noutput_dir = "{root / "out"}"\n'
        f'[index]\nchunk_chars = 120\nchunk_overlap_chars = 20\ntop_k = 2\n'
        f'[model]\nbase_model = "{lm}"\ncache_dir = "{root / "cache"}"\nmax_new_tokens = 4\n'
        f'[finetune]\nepochs = 1\nbatch_size = 2\nmax_length = 256\n'
        f'[serve]\npoll_s = 0.2\n'
        # Random-weight answers score ~0 everywhere: the gates under test are set per test.
        f'[retrain.gates]\nfaithfulness_floor = 0.0\nlatency_p95_ratio = 1000.0\n', encoding="utf-8")
    return World(root, corpus, experiment, f"sqlite:///{root / 'mlflow.db'}")


def retrain_runs(uri: str) -> list[mlflow.entities.Run]:
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("ragvsft/corpus")
    return client.search_runs([experiment.experiment_id], "tags.`ragvsft.pipeline` = 'retrain'",
                              order_by=["attributes.start_time DESC"]) if experiment else []


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, tiny_lm_dir: Path) -> World:
    world = make_world(tmp_path_factory.mktemp("retrain"), tiny_lm_dir)
    code, output = world.retrain()
    assert code == 0 and "no champion yet" in output and "promoted release v1" in output, output
    return world


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", world.uri)
        built = serve.build(load_config(world.experiment), Console(quiet=True), api_key=None)
        with ThreadedUvicorn(built) as url:
            yield url


def served_pair(url: str) -> tuple[str, str]:
    versions = httpx.get(f"{url}/readyz", timeout=30).json()["versions"]
    return versions["index"], versions["adapter"]


def wait_for_pair(url: str, pair: tuple[str, str | None]) -> None:
    deadline = time.time() + 30
    while served_pair(url) != pair:
        assert time.time() < deadline, f"the server did not reload {pair}; serves {served_pair(url)}"
        time.sleep(0.1)


def test_a_pass_with_nothing_changed_exits_zero_quickly_and_logs_no_run(world: World) -> None:
    runs_before = len(retrain_runs(world.uri))
    started = time.perf_counter()
    code, output = world.retrain()
    assert code == 0 and "nothing changed since the champion (release v1" in output, output
    assert len(retrain_runs(world.uri)) == runs_before
    assert time.perf_counter() - started < 10


def test_a_new_document_reaches_the_running_server(world: World, server: str) -> None:
    assert served_pair(server) == ("1", "1")
    world.add_document("facilities/vault.md", "The Harlow vault access code is 7731. Only Dara Quill may open the "
                       "Harlow vault, on weekdays.", [
                           {"id": "v1", "question": "What is the access code of the Harlow vault?", "answer": "7731",
                            "sources": ["facilities/vault.md"], "split": "eval"},
                           {"id": "v2", "question": "Who may open the Harlow vault?", "answer": "Dara Quill",
                            "sources": ["facilities/vault.md"], "split": "train"}])
    code, output = world.retrain()
    assert code == 0 and "documents +1 ~0 -0; questions +2 ~0 -0" in output and "promoted release v2" in output, output
    assert "index: incremental update; adapter: trained from scratch" in output
    champion = world.champion()
    assert champion is not None and champion.key == ("2", "2") and world.mirrors() == ("2", "2")

    run = retrain_runs(world.uri)[0]
    assert run.data.tags["ragvsft.outcome"] == "promoted"
    assert 0 < run.data.metrics["chunks_embedded"] < run.data.metrics["chunks"]  # only the new document's chunks
    assert run.data.metrics["docs_added"] == 1 and run.data.metrics["questions_added"] == 2
    gates = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/retrain/gates.json")
    assert {row[0] for row in gates["data"]} == {"rag", "finetuned", "hybrid"}  # arm column, every arm gated
    arm_runs = {r.info.run_name for r in mlflow.MlflowClient(world.uri).search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}'")}
    assert {"arm-champion-rag", "arm-challenger-rag", "arm-challenger-hybrid", "index-exp", "finetune-exp"} <= arm_runs
    # The challenger's registry versions say what the pass measured.
    release = mlflow.MlflowClient(world.uri).get_model_version("ragvsft-corpus-release", "2")
    assert release.tags["eval_run_id"] == run.info.run_id and "hybrid.token_f1" in release.tags
    assert run.info.run_id in release.description

    wait_for_pair(server, ("2", "2"))
    reply = httpx.post(f"{server}/v1/ask", json={"question": "What is the access code of the Harlow vault?",
                                                 "mode": "rag"}, timeout=60).json()
    assert (reply["versions"]["index"], reply["versions"]["adapter"]) == ("2", "2")
    assert reply["sources"][0]["doc_id"] == "facilities/vault.md" and "7731" in reply["sources"][0]["text"]


def test_failed_gates_keep_the_champion_and_record_why(world: World) -> None:
    before = world.champion()
    assert before is not None
    world.add_document("it/laptops.md", "Laptops are replaced every four years.", [
        {"id": "l1", "question": "How often are laptops replaced?", "answer": "every four years",
         "sources": ["it/laptops.md"], "split": "eval"}])
    code, output = world.retrain("--set", "retrain.gates.faithfulness_floor=0.99")
    assert code == 1 and f"kept the champion ({before.describe}" in output and "rag faithfulness floor" in output, output
    assert world.champion() == before
    run = retrain_runs(world.uri)[0]
    assert run.data.tags["ragvsft.outcome"] == "rejected" and "faithfulness floor" in run.data.tags["ragvsft.decision"]
    challenger = releases.find_release(world.uri, "corpus", "challenger")
    assert challenger is not None and challenger.index_version != before.index_version
    assert challenger.adapter_version == before.adapter_version  # only an eval question was added
    code, output = world.retrain()  # same change, default gates: adapter untouched (no training question changed)
    assert code == 0 and "adapter: unchanged" in output and "promoted release" in output, output


def test_a_second_pass_is_refused_while_one_holds_the_lock_and_a_dead_holder_is_taken_over(world: World) -> None:
    lock_path = load_config(world.experiment).output_dir / "retrain.lock"
    with PassLock(lock_path):
        code, output = world.retrain()
    assert code == 3 and f"pid {os.getpid()}" in output and "another retrain pass holds the lock" in output, output
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "started_at": "earlier"}))
    code, output = world.retrain()
    assert code == 0 and f"took over the lock left by a pass that died (pid {dead.pid}" in output, output


def test_a_warm_start_trains_from_the_champion_adapter(world: World) -> None:
    champion = world.champion()
    world.add_document("hr/desks.md", "Hot desks are booked in Deskly one week ahead.", [
        {"id": "d1", "question": "Where are hot desks booked?", "answer": "in Deskly",
         "sources": ["hr/desks.md"], "split": "train"}])
    code, output = world.retrain("--set", 'retrain.adapter_start="champion"')
    assert code == 0 and "adapter: warm start from the champion" in output, output
    run = retrain_runs(world.uri)[0]
    finetune = mlflow.MlflowClient(world.uri).search_runs(
        [run.info.experiment_id], f"tags.mlflow.parentRunId = '{run.info.run_id}' and tags.`ragvsft.pipeline` = 'finetune'")
    started_from = finetune[0].data.params["warm_start_from"]
    # The registry copy of the champion's version (the folder carries a hash of its source after the number).
    assert f"ragvsft-corpus-adapter/v{champion.adapter_version}-" in started_from  # type: ignore[union-attr]
    assert finetune[0].data.params["finetune.epochs"] == "1"  # retrain.warm_start_epochs


FAULTS = ["detect", "embed", "train", "evaluate", "register"]


# The default run kills at the last stage (after the challenger is registered, before promotion); every stage is
# ~2 minutes more: `scripts/test.sh -m slow` runs it.
@pytest.mark.parametrize("faults", [pytest.param(FAULTS[-1:], id="register"),
                                    pytest.param(FAULTS, id="every-stage", marks=pytest.mark.slow)])
def test_a_pass_killed_at_any_stage_leaves_the_champion_whole_and_the_api_answering(
    world: World, server: str, faults: list[str]
) -> None:
    """The fault matrix of the README: each row's pass is SIGKILLed at its stage; the champion and the served pair
    stay as they were; the next pass (the next row's, killed later, and finally a clean one) reuses what was left."""
    before = world.champion()
    assert before is not None
    wait_for_pair(server, before.key)  # type: ignore[arg-type]
    for n, stage in enumerate(faults):
        # A new document and training question each time: the killed pass must embed and train again.
        world.add_document(f"hr/perk{n}.md", f"Perk {n}: bike leasing after {n + 3} months of employment.", [
            {"id": f"b{n}", "question": f"When can staff lease a bike under perk {n}?", "answer": f"after {n + 3} months",
             "sources": [f"hr/perk{n}.md"], "split": "train"}])
        killed = world.retrain_process(stage)
        assert killed.returncode == -9, (stage, killed.stdout, killed.stderr)
        assert world.champion() == before and world.mirrors() == before.key, stage
        assert served_pair(server) == before.key, stage
        reply = httpx.post(f"{server}/v1/ask", json={"question": "When can staff lease a bike?", "mode": "hybrid"},
                           timeout=60)
        versions = reply.json()["versions"]
        assert reply.status_code == 200 and (versions["index"], versions["adapter"]) == before.key
    finished = world.retrain_process()
    assert finished.returncode == 0 and "promoted release" in finished.stdout, finished.stdout + finished.stderr
    after = world.champion()
    assert after is not None and after.key != before.key and world.mirrors() == after.key
    wait_for_pair(server, after.key)  # type: ignore[arg-type]

    # Killed between the release's champion alias (the commit point) and the mirrors: the release moved as one,
    # the server follows it, and the next pass levels the mirrors and finds nothing to do.
    world.add_document("hr/parking.md", "Parking permits cost 12 euros a month.", [
        {"id": "p1", "question": "What does a parking permit cost?", "answer": "12 euros a month",
         "sources": ["hr/parking.md"], "split": "train"}])
    killed = world.retrain_process("promote")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    promoted = world.champion()
    assert promoted is not None and promoted.key != after.key and world.mirrors() == after.key
    wait_for_pair(server, promoted.key)  # type: ignore[arg-type]
    finished = world.retrain_process()
    assert finished.returncode == 0 and "completed an interrupted promotion" in finished.stdout, finished.stdout
    assert "nothing changed since the champion" in finished.stdout and world.mirrors() == promoted.key


def test_a_bad_fault_stage_and_bad_settings_are_input_errors(world: World) -> None:
    env = {**os.environ, "MLFLOW_TRACKING_URI": world.uri, recipe.FAULT_ENV: "lunch"}
    done = subprocess.run([sys.executable, "-m", "ragvsft.cli", "retrain", str(world.experiment)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "not a stage" in done.stderr
    code, output = world.retrain("--set", 'retrain.arms=["rag", "nonsense"]')
    assert code == 2 and "retrain.arms" in output
    code, output = world.retrain("--set", 'retrain.schedule="every day"')
    assert code == 2 and "retrain.schedule: 'every day' is not a cron expression: expected 5 fields" in output
    code, output = world.retrain("--set", 'evaluate.metrics=["token_f1"]', "--set", "retrain.gates.faithfulness_floor=0.5")
    assert code == 2 and "needs 'faithfulness' in evaluate.metrics" in output


def command_appending_to(marker: Path) -> list[str]:
    return [sys.executable, "-c", f"open({str(marker)!r}, 'a').write('ran\\n')"]


# A daily pass 12 hours from now (the scheduler's clock is local time): a test run at any hour is far from a real
# due time, so "moved on to the next pass" and "nothing is due" cannot meet a genuine one (0 3 * * * failed a run
# that started at 02:59).
DAILY = f"0 {(datetime.now().hour + 12) % 24} * * *"


def fall_due_while_down(store: Path, command: list[str], grace_s: int) -> None:
    """A scheduler whose job falls due 1 s after it is shut down (a stopping scheduler still processes what is
    due at that moment, so the due time must come after), then 2.5 s of downtime."""
    scheduler = start_scheduler(store, DAILY, command, grace_s=grace_s)
    next_run = scheduler.get_job(JOB_ID).next_run_time
    assert next_run > datetime.now(next_run.tzinfo)
    scheduler.modify_job(JOB_ID, next_run_time=datetime.now(next_run.tzinfo) + timedelta(seconds=1))
    scheduler.shutdown()
    time.sleep(2.5)


def test_the_scheduler_catches_up_a_missed_pass_once_and_never_twice(tmp_path: Path) -> None:
    store, marker = tmp_path / "schedule.sqlite", tmp_path / "runs.txt"
    command = command_appending_to(marker)
    fall_due_while_down(store, command, grace_s=3600)
    assert not marker.exists()

    back = start_scheduler(store, DAILY, command, grace_s=3600)  # back up: runs the missed pass, once
    deadline = time.time() + 20
    while not marker.exists():
        assert time.time() < deadline, "the missed pass did not run after the restart"
        time.sleep(0.1)
    time.sleep(0.5)
    next_run = back.get_job(JOB_ID).next_run_time
    back.shutdown(wait=True)
    assert next_run > datetime.now(next_run.tzinfo) + timedelta(minutes=1)  # moved on to the next day's pass

    again = start_scheduler(store, DAILY, command, grace_s=3600)  # restarted again: nothing is due
    time.sleep(1.0)
    again.shutdown(wait=True)
    assert marker.read_text().splitlines() == ["ran"]


def test_a_pass_missed_beyond_the_grace_time_is_logged_not_run(tmp_path: Path, caplog) -> None:
    store, marker = tmp_path / "schedule.sqlite", tmp_path / "runs.txt"
    command = command_appending_to(marker)
    fall_due_while_down(store, command, grace_s=1)
    with caplog.at_level(logging.WARNING, logger="ragvsft.schedule"):
        back = start_scheduler(store, DAILY, command, grace_s=1)
        deadline = time.time() + 10
        while not any('"event": "missed"' in r.getMessage() for r in caplog.records):
            assert time.time() < deadline, "the missed pass was not logged"
            time.sleep(0.1)
        back.shutdown(wait=True)
    assert not marker.exists()


def test_a_changed_schedule_replaces_the_stored_job(tmp_path: Path) -> None:
    store = tmp_path / "schedule.sqlite"
    command = command_appending_to(tmp_path / "runs.txt")
    start_scheduler(store, "0 3 * * *", command, grace_s=60).shutdown()
    moved = start_scheduler(store, "30 4 * * 1", command, grace_s=60)
    job = moved.get_job(JOB_ID)
    moved.shutdown()
    assert (job.next_run_time.hour, job.next_run_time.minute, job.next_run_time.weekday()) == (4, 30, 0)


@pytest.mark.parametrize(("weekday", "days"), [
    ("1", "mon"), ("1-5", "mon,tue,wed,thu,fri"), ("mon-fri", "mon,tue,wed,thu,fri"),
    ("0-4", "sun,mon,tue,wed,thu"),  # APScheduler alone: "sun-thu", a range it refuses (its week starts Monday)
    ("*/2", "sun,tue,thu,sat"), ("0-6/3", "sun,wed,sat"), ("1/2", "mon,wed,fri"),  # steps count from Sunday
    ("5-7", "sun,fri,sat"), ("7", "sun"), ("0,6", "sun,sat"), ("*", "*"),
])
def test_weekdays_mean_what_they_mean_in_cron(weekday: str, days: str) -> None:
    from ragvsft.cron import cron_trigger

    assert str(cron_trigger(f"0 3 * * {weekday}").fields[4]) == days


def test_a_day_of_the_month_and_a_weekday_both_set_mean_either_as_in_cron() -> None:
    from ragvsft.cron import cron_trigger

    trigger, when, fired = cron_trigger("0 3 13 * 5"), datetime(2026, 11, 28, tzinfo=UTC), []
    for _ in range(4):
        when = trigger.get_next_fire_time(None, when + timedelta(seconds=1))
        fired.append(when.strftime("%a %d"))
    assert fired == ["Fri 04", "Fri 11", "Sun 13", "Fri 18"]  # APScheduler alone: Fridays the 13th only
    star = cron_trigger("0 3 */2 * 5")  # a field starting with '*' keeps "both", as in cron
    assert star.get_next_fire_time(None, datetime(2026, 11, 28, tzinfo=UTC)).strftime("%a %d") == "Fri 11"


@pytest.mark.parametrize(("cron", "message"), [
    ("61 * * * *", "'61 \\* \\* \\* \\*' is not a cron expression: .*higher than the maximum value \\(59\\)"),
    ("0 3 * * 9", "'0 3 \\* \\* 9' is not a cron expression: weekday '9' is not 0-7"),
    ("0 3 * * sat-sun", "weekday range 'sat-sun' runs backwards"),
    ("0 3 * * */0", "weekday step '0' must be a positive number"),
    ("0 3 30 2 *", "'0 3 30 2 \\*' never fires"),  # the 30th of February: `schedule` would wait forever
])
def test_a_schedule_that_cannot_fire_is_refused_when_the_config_loads(tmp_path: Path, cron: str, message: str) -> None:
    from ragvsft.config import load_config
    from ragvsft.errors import ConfigError

    path = tmp_path / "exp.toml"
    path.write_text(f'corpus = "c"\n[retrain]\nschedule = "{cron}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=f"retrain.schedule: .*{message}"):
        load_config(path)


@pytest.mark.parametrize("damage", ["other bytes", "cut in half"])
def test_a_damaged_job_store_is_set_aside_and_the_schedule_starts_anew(tmp_path: Path, caplog, damage: str) -> None:
    store = tmp_path / "schedule.sqlite"
    command = command_appending_to(tmp_path / "runs.txt")
    start_scheduler(store, DAILY, command, grace_s=60).shutdown()
    data = store.read_bytes()
    store.write_bytes(b"x" * len(data) if damage == "other bytes" else data[: len(data) // 2])
    with caplog.at_level(logging.WARNING, logger="ragvsft.schedule"):
        back = start_scheduler(store, DAILY, command, grace_s=60)
    job = back.get_job(JOB_ID)
    back.shutdown()
    assert job is not None and job.next_run_time.hour == int(DAILY.split()[1])  # worked out again from the cron
    assert (tmp_path / "schedule.sqlite.damaged").read_bytes()[:16] == (b"x" * 16 if damage == "other bytes" else data[:16])
    assert any('"event": "job store damaged"' in r.getMessage() and "schedule.sqlite.damaged" in r.getMessage()
               for r in caplog.records)

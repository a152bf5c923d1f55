"""Schedule recipe: ``ragvsft retrain`` on the experiment's cron expression, in this process, surviving restarts.

    ragvsft schedule experiments/demo.toml

APScheduler keeps the job in a SQLite job store (``<output_dir>/schedule.sqlite``)
holding its next due time. A scheduler restarted after that time runs the
missed pass once (however many fell due meanwhile) when it is back within
``retrain.misfire_grace_s``, and logs it as missed otherwise; the due time
moves on as a pass is started, so a restart never runs one twice. Each pass is
a child process (``ragvsft retrain``), so a pass that runs out of memory
cannot take the scheduler down, and the pass lock keeps two from overlapping.

The job store is pickled by APScheduler: it is written only by this command,
in the experiment's own output folder, and must never be taken from elsewhere.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobEvent
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from rich.console import Console

from ragvsft.config import ExperimentConfig
from ragvsft.cron import cron_trigger
from ragvsft.sqlite_files import check_pages, set_aside

JOB_ID = "retrain"
log = logging.getLogger("ragvsft.schedule")
OUTCOMES = {0: "promoted or nothing to do", 1: "gates failed, champion kept", 2: "bad input",
            3: "another pass was running"}


def run_pass(command: Sequence[str]) -> int:
    """The scheduled job: run ``command`` (a retrain pass) to the end and log its exit status as one JSON line."""
    started = time.perf_counter()
    code = subprocess.run(list(command), check=False).returncode
    log.warning(json.dumps({"event": "pass", "exit_code": code,
                            "outcome": OUTCOMES.get(code, f"killed by signal {-code}" if code < 0 else "failed"),
                            "duration_s": round(time.perf_counter() - started, 1),
                            "finished_at": datetime.now().astimezone().isoformat(timespec="seconds")}))
    return code


def _on_event(event: JobEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning(json.dumps({"event": "missed", "due_at": event.scheduled_run_time.isoformat(),
                                "why": "the scheduler was down for longer than retrain.misfire_grace_s"}))
    else:
        log.error(json.dumps({"event": "error", "due_at": event.scheduled_run_time.isoformat(),
                              "error": repr(getattr(event, "exception", None))}))


def start_scheduler(store: Path, cron: str, command: Sequence[str], *, grace_s: int) -> BackgroundScheduler:
    """A running scheduler whose job runs ``command`` at ``cron``. A job already in ``store`` with the same
    expression and command keeps its due time (so a run that fell due while no scheduler ran is caught up);
    a changed one is replaced.

    Example:
        >>> scheduler = start_scheduler(Path("artifacts/demo/schedule.sqlite"), "0 3 * * *",
        ...                             ["ragvsft", "retrain", "experiments/demo.toml"], grace_s=3600)  # doctest: +SKIP
        >>> scheduler.get_job("retrain").next_run_time  # doctest: +SKIP
    """
    trigger = cron_trigger(cron)  # checked when the config loaded (ragvsft.cron.cron_problem)
    store.parent.mkdir(parents=True, exist_ok=True)
    damaged = _set_aside_if_damaged(store)
    if damaged:
        log.warning(json.dumps({"event": "job store damaged", "what": damaged}))
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{store.resolve()}")},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace_s})
    scheduler.add_listener(_on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)  # look at the stored job before anything can fire
    job = scheduler.get_job(JOB_ID)
    if job is None or str(job.trigger) != str(trigger) or list(job.args[0]) != list(command):
        scheduler.add_job(run_pass, trigger, args=[list(command)], id=JOB_ID, replace_existing=True,
                          name="ragvsft retrain")
    scheduler.resume()
    return scheduler


def _set_aside_if_damaged(store: Path) -> str:
    """The warning when ``store`` is damaged and was set aside ('' when it is fine or absent): a new job store
    loses only a catch-up of a pass missed while no scheduler ran."""
    if not store.exists():
        return ""
    try:
        with contextlib.closing(sqlite3.connect(store, timeout=60)) as db:
            check_pages(db)
    except sqlite3.DatabaseError as exc:
        return set_aside(store, exc, "job store")
    return ""


def retrain_command(experiment: Path, overrides: Sequence[str]) -> list[str]:
    """The pass as a command line, with an absolute experiment path (the scheduler may be restarted elsewhere)."""
    return [sys.executable, "-m", "ragvsft.cli", "retrain", str(experiment.resolve()),
            *[arg for o in overrides for arg in ("--set", o)]]


def main(config: ExperimentConfig, console: Console, experiment: Path, overrides: Sequence[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    for name in ("ragvsft.schedule", "apscheduler"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger(name).propagate = False  # the command's own handler prints each line once
    store = config.output_dir / "schedule.sqlite"
    scheduler = start_scheduler(store, config.retrain.schedule, retrain_command(experiment, overrides),
                                grace_s=config.retrain.misfire_grace_s)
    job = scheduler.get_job(JOB_ID)
    console.print(f"retrain pass scheduled at '{config.retrain.schedule}' (local time); next: {job.next_run_time}; "
                  f"job store {store}. Ctrl-C / SIGTERM stop after a running pass ends.")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    scheduler.shutdown(wait=True)

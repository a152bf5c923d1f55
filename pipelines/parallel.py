"""Index and fine-tune side by side, each in a process of its own (`ragvsft run`, `ragvsft retrain`).

Spawned, not forked (fork would copy torch's thread pools and locks); each
process reports progress and its outcome through a queue; the first failure
stops the other, and a process whose parent died ends itself.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape

from ragvsft import tracking
from ragvsft.config import ExperimentConfig
from ragvsft.errors import RagvsftError
from ragvsft.indexing import overlong_chunks_note
from ragvsft.pipelines.common import progress, quiet_libraries


def _exit_with_parent() -> None:
    """A pipeline process ends when the process that started it dies, even by SIGKILL (which leaves it no time to
    stop its children): an orphan would train on, unseen, holding memory and cores."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="ragvsft-parent-watch", daemon=True).start()


def _child(recipe: str, config: ExperimentConfig, parent_run_id: str, events: Any, threads: int,
           options: dict[str, Any]) -> None:
    """Body of a pipeline process: run one recipe, send progress and the outcome to the parent."""
    _exit_with_parent()
    import torch

    torch.set_num_threads(threads)
    quiet_libraries()
    quiet = Console(quiet=True)  # the parent owns the terminal

    def forward(label: str, done: int, total: int, info: str) -> None:
        events.put(("progress", label, done, total, info))

    try:
        if recipe == "index":
            from ragvsft.pipelines import index

            out = index.main(config, quiet, parent_run_id=parent_run_id, forward=forward, **options)
            counts = out.built.manifest["counts"]
            payload = {"path": str(out.built.path), "reused": out.built.reused, "chunks": counts["chunks"],
                       "embedded": 0 if out.built.reused else counts.get("embedded", counts["chunks"]),
                       "fingerprint": out.built.manifest["fingerprint"], "artifact_uri": out.artifact_uri,
                       "artifact_run_id": out.artifact_run_id, "note": overlong_chunks_note(out.built.manifest)}
        else:
            from ragvsft.pipelines import finetune

            out = finetune.main(config, quiet, parent_run_id=parent_run_id, forward=forward, torch_threads=threads,
                                **options)
            payload = {"run_id": out.run_id, "adapter_dir": str(out.adapter_dir), "adapter_uri": out.adapter_uri,
                       "base_identity": out.base_identity, "dropped_examples": list(out.dropped_examples),
                       "examples": out.examples, "fingerprint": out.fingerprint,
                       "train_questions": out.train_questions, "reused": out.reused}
        events.put(("done", recipe, payload))
    except RagvsftError as exc:
        events.put(("error", recipe, str(exc)))
    except BaseException as exc:  # noqa: BLE001 - whatever happened, the parent must hear of it
        events.put(("error", recipe, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=8)}"))


def run_in_parallel(config: ExperimentConfig, parent_run_id: str, console: Console,
                    recipes: tuple[str, ...] = ("index", "finetune"), *,
                    options: Mapping[str, dict[str, Any]] | None = None,
                    on_progress: Callable[[str], None] | None = None) -> dict[str, dict]:
    """The recipes (index and fine-tune) in processes of their own; the first failure stops all and is raised.

    ``options`` are extra keyword arguments per recipe (``reuse_dir``, ``init_adapter``); ``on_progress`` hears the
    recipe name of every progress event (``ragvsft retrain``'s fault injection)."""
    ctx = mp.get_context("spawn")  # fork would copy torch's thread pools and locks
    events = ctx.Queue()
    cores = os.cpu_count() or 2
    # The index build is short; the fine-tune gets every core once it is done.
    threads = {"index": max(1, cores // 3) if "finetune" in recipes else cores, "finetune": cores}
    procs = {name: ctx.Process(target=_child, name=f"ragvsft-{name}", daemon=True,
                               args=(name, config, parent_run_id, events, threads[name], dict((options or {}).get(name, {}))))
             for name in recipes}
    for proc in procs.values():
        proc.start()
    results: dict[str, dict] = {}
    failure: tuple[str, str] | None = None
    try:
        with progress(console) as reporter:
            while len(results) < len(procs) and failure is None:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    dead = [n for n, p in procs.items() if n not in results and not p.is_alive()]
                    if dead and events.empty():
                        failure = (dead[0], f"process died with exit code {procs[dead[0]].exitcode} "
                                            "(out of memory? see the MLflow run)")
                    continue
                kind = event[0]
                if kind == "progress":
                    reporter.update(*event[1:])
                    if on_progress is not None:
                        on_progress(event[1].split(":")[0])
                elif kind == "done":
                    results[event[1]] = event[2]
                    if note := event[2].get("note"):  # the child's own console is quiet
                        console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
                else:
                    failure = (event[1], event[2])
    finally:
        # On a failure or Ctrl-C, stop whichever pipeline is still working: half a run is never promoted.
        for name, proc in procs.items():
            if proc.is_alive() and name not in results:
                proc.terminate()
            proc.join(timeout=30)
        if len(results) < len(procs):  # a failure or Ctrl-C: a stopped pipeline cannot close its own run
            tracking.end_unfinished_children(tracking.tracking_uri(), parent_run_id)
    if failure is not None:
        raise RagvsftError(f"{failure[0]} pipeline failed: {failure[1]}")
    return results

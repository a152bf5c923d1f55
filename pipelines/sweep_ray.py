"""Sweep points as Ray tasks (``ragvsft sweep --ray ADDRESS``).

The same work as the local sweep, as a graph Ray schedules:

    index task (one per distinct index setting) ──┐
                                                  ├─> point task (one per point) ─> results, on the driver
    fine-tune task (one per distinct adapter) ────┘

Each task asks Ray for ``[ray] cpus`` and ``gpus`` and logs its own MLflow child run under the sweep's run, to the
store the driver uses. Reuse and resume are the local sweep's: indexes and adapters are found again by their
fingerprint in ``output_dir``, answers and scores in its cache, so a rerun computes only what is new.

What travels how: every node reads the corpus and writes ``output_dir`` at the same absolute path (one machine,
or shared storage); a point task on a node that does not see the index or adapter folder it needs downloads it
from the MLflow run that logged it, so index and adapter also travel through the tracking server.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ragvsft import ray_cluster, tracking
from ragvsft.config import ExperimentConfig, RayConfig
from ragvsft.errors import RagvsftError
from ragvsft.pipelines import evaluate, finetune, index
from ragvsft.pipelines.common import load_experiment_corpus, quiet_libraries
from ragvsft.pipelines.sweep import KeepFn, evaluate_point, finetune_key, index_key
from ragvsft.preflight import adapter_arms
from ragvsft.sweep import SweepPoint


def _task_setup(config: ExperimentConfig) -> Console:
    """In a Ray worker: torch threads for the CPUs the task holds, quiet libraries; the driver owns the terminal."""
    import torch

    torch.set_num_threads(ray_cluster.task_threads(config.ray.cpus))
    quiet_libraries()
    return Console(quiet=True)


def _index_task(config: ExperimentConfig, parent_run_id: str) -> dict[str, str]:
    built = index.main(config, _task_setup(config), parent_run_id=parent_run_id)
    return {"path": str(built.built.path), "uri": built.artifact_uri}


def _finetune_task(config: ExperimentConfig, parent_run_id: str) -> dict[str, Any]:
    trained = finetune.main(config, _task_setup(config), parent_run_id=parent_run_id)
    return {"path": str(trained.adapter_dir), "uri": trained.adapter_uri, "result": trained}


def _local(folder: dict[str, str], config: ExperimentConfig, kind: str) -> Path:
    """The folder a task produced, here: as it is when this node sees it, else downloaded from its MLflow run."""
    path = Path(folder["path"])
    if path.is_dir():
        return path
    dest = config.output_dir / "fetched" / kind / path.name
    tracking.fetch_artifacts(tracking.tracking_uri(), folder["uri"], dest)
    return dest


def _point_task(config: ExperimentConfig, values: dict[str, Any], position: str, parent_run_id: str,
                built: dict[str, str], trained: dict[str, Any] | None) -> tuple[Any, dict[str, dict], tuple | None]:
    console = _task_setup(config)
    corpus = load_experiment_corpus(config, console)
    ft = None
    if trained is not None:
        ft = dataclasses.replace(trained["result"], adapter_dir=_local(trained, config, "adapters"))
    loaded = evaluate.Loaded.for_experiment(config)
    result, specs = evaluate_point(config, values, position, corpus, parent_run_id, _local(built, config, "index"), ft,
                                   loaded, console)
    lookups = None if loaded.cache is None else (loaded.cache.generations, loaded.cache.scores)
    return result, specs, lookups


def _on_ray(config: ExperimentConfig) -> ExperimentConfig:
    """What a task runs: every path absolute, and no Ray of its own (an index task embeds in the task)."""
    return dataclasses.replace(ray_cluster.portable(config), ray=RayConfig())


def run_points(order: list[SweepPoint], base: ExperimentConfig, parent_run_id: str, loaded: evaluate.Loaded,
               console: Console, keep: KeepFn) -> None:
    """Every point as a Ray task on the ``[ray]`` cluster; ``keep`` hears each point as it finishes. The first failure
    cancels what is left and is raised, naming the point."""
    settings = base.ray
    assert settings.address is not None  # the sweep recipe comes here only when Ray is configured
    with ray_cluster.connected(settings.address) as ray:
        console.print(f"{ray_cluster.cluster_line(ray)}; each task asks for cpus={settings.cpus:g}, "
                      f"gpus={settings.gpus:g}", highlight=False)
        options = {"num_cpus": settings.cpus, "num_gpus": settings.gpus}
        index_task = ray.remote(_index_task).options(name="ragvsft-index", **options)
        finetune_task = ray.remote(_finetune_task).options(name="ragvsft-finetune", **options)
        point_task = ray.remote(_point_task).options(name="ragvsft-point", **options)
        indexes: dict[tuple, Any] = {}
        adapters: dict[tuple, Any] = {}
        pending: dict[Any, tuple[int, SweepPoint]] = {}
        for n, point in enumerate(order, start=1):
            config = _on_ray(point.config)
            ikey = index_key(config)
            if ikey not in indexes:
                indexes[ikey] = index_task.remote(config, parent_run_id)
            trained = None
            if adapter_arms(config):
                fkey = finetune_key(config)
                if fkey not in adapters:
                    adapters[fkey] = finetune_task.remote(config, parent_run_id)
                trained = adapters[fkey]
            ref = point_task.remote(config, point.values, f"{n}/{len(order)}", parent_run_id, indexes[ikey], trained)
            pending[ref] = (n, point)
        console.print(f"queued {len(indexes)} index builds, {len(adapters)} fine-tunes and {len(order)} points")
        started = time.perf_counter()
        try:
            while pending:
                (ref,), _ = ray.wait(list(pending), num_returns=1)
                n, point = pending.pop(ref)
                try:
                    result, specs, lookups = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    raise RagvsftError(f"sweep point {point.label} failed on Ray: {_cause(exc)}") from None
                keep(n, result, specs)
                _count_lookups(loaded, lookups)
                console.print(f"point {len(order) - len(pending)}/{len(order)} done: {escape(point.label)} "
                              f"({time.perf_counter() - started:.0f} s)", highlight=False)
        finally:
            for ref in [*pending, *indexes.values(), *adapters.values()]:  # a failure or Ctrl-C: nothing left running
                ray.cancel(ref, force=True)
            # A task whose worker died (and was retried, or cancelled) leaves its run RUNNING: close it.
            tracking.end_unfinished_children(tracking.tracking_uri(), parent_run_id)


def _cause(exc: Exception) -> str:
    """The error a task raised, without Ray's traceback wrapping: ours in our words, others with their type."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, RagvsftError):
        return str(cause)
    if cause is not None:
        return f"{type(cause).__name__}: {cause}"
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


def _count_lookups(loaded: evaluate.Loaded, lookups: tuple | None) -> None:
    """Add a task's cache lookups (answers, scores) to the driver's, so the sweep's hit rates cover every point."""
    if loaded.cache is None or lookups is None:
        return
    for mine, theirs in zip((loaded.cache.generations, loaded.cache.scores), lookups):
        mine.hits += theirs.hits
        mine.misses += theirs.misses

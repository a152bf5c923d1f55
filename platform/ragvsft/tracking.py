"""MLflow, in one place: the only module that imports mlflow.

Tracking URI: ``MLFLOW_TRACKING_URI`` when set (a shared server), else a
SQLite file ``mlflow.db`` in the current directory, with artifacts beside it
in ``mlruns/`` — open both with the command ``ui_command()`` prints.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mlflow

# MLflow narrates database migrations and experiment creation at INFO; a
# first run would open with a screenful of it.
for _name in ("mlflow", "alembic"):
    logging.getLogger(_name).setLevel(logging.WARNING)

MAX_PARAM_CHARS = 6000  # MLflow rejects longer param values


def tracking_uri(environ: Mapping[str, str] = os.environ, cwd: Path | None = None) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///<cwd>/mlflow.db``."""
    return environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(cwd or Path.cwd()).resolve() / 'mlflow.db'}"


def ui_command(uri: str) -> str:
    """The command that opens the runs in a browser."""
    return f"mlflow ui --backend-store-uri {uri}" if uri.startswith("sqlite:") else f"open {uri} in a browser"


def experiment_name(corpus_name: str) -> str:
    """One MLflow experiment per corpus, so runs on the same documents line up."""
    return f"ragvsft/{corpus_name}"


@contextmanager
def run(
    *,
    uri: str,
    experiment: str,
    name: str,
    description: str,
    tags: Mapping[str, str] | None = None,
    parent_run_id: str | None = None,
) -> Iterator[str]:
    """Open an MLflow run (a child of ``parent_run_id`` when given, even from another process); yields its id.

    An exception marks the run FAILED and propagates.
    """
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    # A child opened while its parent is active in this process must say nested=True.
    nested = parent_run_id is not None and mlflow.active_run() is not None
    with mlflow.start_run(run_name=name, description=description, tags=dict(tags or {}),
                          parent_run_id=parent_run_id, nested=nested) as active:
        yield active.info.run_id


def log_params(params: Mapping[str, Any]) -> None:
    mlflow.log_params({k: str(v)[:MAX_PARAM_CHARS] for k, v in params.items()})


def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
    mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)


def log_dict(data: Any, artifact_file: str) -> None:
    mlflow.log_dict(data, artifact_file)


def log_table(rows: list[dict[str, Any]], artifact_file: str) -> None:
    """Per-row results, shown as a table in the run's artifacts (and comparable across runs)."""
    if rows:
        mlflow.log_table({k: [r.get(k) for r in rows] for k in rows[0]}, artifact_file=artifact_file)


def log_artifacts(folder: Path, artifact_path: str) -> str:
    """Upload a folder; returns its artifact URI (what the model registry points at)."""
    mlflow.log_artifacts(str(folder), artifact_path=artifact_path)
    return f"{mlflow.get_artifact_uri(artifact_path)}"


def log_figure(figure: Any, artifact_file: str) -> None:
    mlflow.log_figure(figure, artifact_file)


def log_dataset(rows: list[dict[str, Any]], *, name: str, source: str, digest: str, context: str) -> None:
    """Record the questions a run used as an MLflow dataset input (lineage shown in the run page)."""
    import warnings

    import pandas as pd

    with warnings.catch_warnings():
        # A local path "can be interpreted in multiple ways" by MLflow's source registry; any of them is right.
        warnings.simplefilter("ignore", UserWarning)
        dataset = mlflow.data.from_pandas(pd.DataFrame(rows), source=source, name=name, digest=digest[:36])
    mlflow.log_input(dataset, context=context)


def register_version(uri: str, *, name: str, source: str, run_id: str, description: str, alias: str,
                     tags: Mapping[str, str] | None = None) -> str:
    """Register ``source`` (an artifact URI) as a new version of registered model ``name``; point ``alias`` at it.

    Works for any folder of files (adapters, indexes), not only MLflow-format models.
    """
    client = mlflow.MlflowClient(tracking_uri=uri)
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name, description=f"ragvsft {name}")
    version = client.create_model_version(name, source=source, run_id=run_id, description=description,
                                          tags=dict(tags or {}))
    client.set_registered_model_alias(name, alias, version.version)
    return str(version.version)


def end_unfinished_children(uri: str, parent_run_id: str) -> None:
    """Mark child runs of a killed pipeline process KILLED instead of leaving them RUNNING forever."""
    client = mlflow.MlflowClient(tracking_uri=uri)
    parent = client.get_run(parent_run_id)
    for child in client.search_runs([parent.info.experiment_id],
                                    filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'"):
        if child.info.status == "RUNNING":
            client.set_terminated(child.info.run_id, status="KILLED")


def get_run(uri: str, run_id: str) -> Any:
    """Read a run back (tests and reports)."""
    return mlflow.MlflowClient(tracking_uri=uri).get_run(run_id)

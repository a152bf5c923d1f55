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
    *, uri: str, experiment: str, name: str, description: str, tags: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Open an MLflow run; yields its id. An exception marks the run FAILED and propagates."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=name, description=description, tags=dict(tags or {})) as active:
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


def log_artifact(path: Path, artifact_path: str | None = None) -> None:
    mlflow.log_artifact(str(path), artifact_path=artifact_path)


def get_run(uri: str, run_id: str) -> Any:
    """Read a run back (tests and reports)."""
    return mlflow.MlflowClient(tracking_uri=uri).get_run(run_id)

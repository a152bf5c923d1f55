"""Joining a Ray cluster for one command (``ragvsft sweep --ray``, ``ragvsft index --ray``).

Ray is the engine: tasks and actors are Ray's, scheduled by Ray, with the resources ``[ray]`` asks for. What
ragvsft adds is what a task on another process (or machine) needs to find the same things the command sees:

- every path of the experiment made absolute (a Ray worker does not run in the command's folder);
- the tracking store's address forwarded (``MLFLOW_TRACKING_URI``; a SQLite store's path made absolute), so every
  task logs to the same runs. Credentials are never sent through Ray: a cluster's nodes need them in their own
  environment (``MLFLOW_TRACKING_TOKEN``, ``OPENAI_API_KEY`` for a judge), set where ``ray start`` runs.

Ray moves task arguments between its own processes with pickle: a Ray cluster must be one you trust, reachable
only from machines you trust (Ray's own guidance; since Ray 2.52 its clusters also require a token).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ragvsft import tracking
from ragvsft.config import ExperimentConfig
from ragvsft.errors import RagvsftError

LOCAL = "local"  # the address that starts a Ray instance on this machine for the command (Ray's own word for it)
INSTALL = "pip install 'ragvsft[ray]' (Ray with Ray Data) on this machine and every node of the cluster"


def portable(config: ExperimentConfig, cwd: Path | None = None) -> ExperimentConfig:
    """``config`` with every path absolute (from ``cwd``), so a Ray worker running elsewhere finds the same files.

    A model name that is an existing relative folder becomes absolute too; packaged names and hub ids stay.

    Example:
        >>> portable(ExperimentConfig(corpus=Path("corpora/demo")), Path("/work")).corpus
        PosixPath('/work/corpora/demo')
    """
    here = (cwd or Path.cwd()).resolve()

    def path(p: Path) -> Path:
        return p if p.is_absolute() else here / p

    def model(spec: str) -> str:
        return str(here / spec) if not Path(spec).is_absolute() and (here / spec).is_dir() else spec

    return dataclasses.replace(
        config, corpus=path(config.corpus), output_dir=path(config.output_dir),
        index=dataclasses.replace(config.index, embedder=model(config.index.embedder)),
        model=dataclasses.replace(config.model, base_model=model(config.model.base_model),
                                  cache_dir=path(config.model.cache_dir)))


def worker_env(cwd: Path | None = None) -> dict[str, str]:
    """What every Ray worker of this command gets in its environment: the tracking store's address."""
    return {"MLFLOW_TRACKING_URI": tracking.tracking_uri(cwd=cwd)}


@contextmanager
def connected(address: str) -> Iterator[Any]:
    """Ray, connected to ``address`` (:data:`LOCAL`: a Ray instance started here, ended on leaving) for the block.

    Fails with the reason (Ray not installed, no cluster at the address) instead of running without Ray.
    """
    try:
        import ray
    except ImportError:
        raise RagvsftError(f"--ray needs Ray: {INSTALL}") from None
    if ray.is_initialized():  # a caller (a test, a notebook) connected already: use that connection as it is
        yield ray
        return
    os.environ.setdefault("RAY_DATA_DISABLE_PROGRESS_BARS", "1")  # the command shows its own progress
    _check_reachable(address)
    try:
        ray.init(address=address, runtime_env={"env_vars": worker_env()}, include_dashboard=False,
                 log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise RagvsftError(f"cannot connect to the Ray cluster at {address!r}: {exc}; {_HINT}") from None
    try:
        yield ray
    finally:
        ray.shutdown()


_HINT = ("check the head's address and that `ray start --head` runs there (--ray local starts a Ray instance here "
         "instead); a cluster that requires a token (Ray's default on one machine since 2.59) needs "
         "RAY_AUTH_MODE=token here too, with its token in ~/.ray/auth_token or RAY_AUTH_TOKEN")


def _check_reachable(address: str) -> None:
    """A ``host:port`` with nothing listening fails now: Ray itself would retry for minutes before saying so."""
    host, sep, port = address.rpartition(":")
    if "://" in address or not sep or not port.isdigit():
        return  # local, auto, or Ray Client: Ray answers those quickly
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise RagvsftError(f"cannot connect to the Ray cluster at {address!r}: nothing answers there ({exc}); "
                           f"{_HINT}") from None


def cluster_line(ray: Any) -> str:
    """What the cluster offers, for the console: ``"Ray: 2 nodes, 16 CPUs, 2 GPUs"``."""
    resources = ray.cluster_resources()
    nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
    gpus = f", {resources['GPU']:g} GPUs" if resources.get("GPU") else ""
    return f"Ray: {nodes} node{'s' if nodes != 1 else ''}, {resources.get('CPU', 0):g} CPUs{gpus}"


def task_threads(cpus: float) -> int:
    """torch threads for a task granted ``cpus`` CPUs (at least one)."""
    return max(1, int(cpus))

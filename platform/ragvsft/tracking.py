"""MLflow, in one place: the only module that imports mlflow.

Every call names its run explicitly (``MlflowClient`` with run ids, never the
fluent "active run"), so recipes in other processes — and later on other
machines — log to the right run safely.

Tracking URI: ``MLFLOW_TRACKING_URI`` when set (a shared server), else a
SQLite file ``mlflow.db`` in the current directory, with artifacts beside it
in ``mlruns/`` — open both with the command ``ui_command()`` prints.

Registered models: ``ragvsft-<corpus>-index`` and ``ragvsft-<corpus>-adapter``,
each version a folder of files logged as run artifacts; ``resolve_version``
brings one back to a local folder from wherever the tracking server keeps it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import socket
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import mlflow
import psutil
from mlflow.entities import DatasetInput, InputTag, Metric, Param
from mlflow.exceptions import MlflowException

from ragvsft.errors import RagvsftError
from ragvsft.urls import masked_uri, shown_url

# MLflow narrates database migrations and experiment creation at INFO; a
# first run would open with a screenful of it.
for _name in ("mlflow", "alembic"):
    logging.getLogger(_name).setLevel(logging.WARNING)

WHAT_TAG = "ragvsft.what"  # the description a run was opened with, kept when a verdict is put above it
PROCESS_TAG = "ragvsft.process"  # "<host>:<pid>:<process start time>" of the process that opened a run
MAX_PARAM_CHARS = 6000  # MLflow rejects longer param values
DATASET_CONTEXT_TAG = "mlflow.data.context"  # how MLflow's UI labels a dataset input (training / evaluation)
# MLflow 3.17's UI opens an experiment in its GenAI pages unless the URL (or the reviewer's last toggle) asks for
# "machine learning" (its GenAI run page even lists no artifacts); every link we print asks for it. The UI ignores
# the experiment-kind tag when it picks the page; we set it for MLflow's own lists and for other MLflow versions.
ML_WORKFLOW = "workflowType=machine_learning"
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}
VIEW_TAG_PREFIX = "mlflow.sharedViewState."  # an experiment tag MLflow's runs page opens as a saved view
UI_DEFAULT = "http://127.0.0.1:5000"  # where `mlflow ui` listens unless told otherwise
_KEY_UNSAFE = re.compile(r"[^\w.\- ]+")  # what MLflow refuses in a metric key part (or reads as a path)


def tracking_uri(environ: Mapping[str, str] = os.environ, cwd: Path | None = None) -> str:
    """``MLFLOW_TRACKING_URI`` if set, else ``sqlite:///<cwd>/mlflow.db``.

    Example:
        >>> tracking_uri({"MLFLOW_TRACKING_URI": "http://127.0.0.1:5000"})
        'http://127.0.0.1:5000'
    """
    return environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(cwd or Path.cwd()).resolve() / 'mlflow.db'}"


def ui_command(uri: str) -> str:
    """The command that opens the runs in a browser; it never shows a password the URI holds (a database's is
    named through the variable it came from).

    Example:
        >>> ui_command("https://me:s3cret@mlflow.example.com/")
        'open https://mlflow.example.com in a browser'
    """
    if uri.startswith(("http://", "https://")):
        return f"open {ui_base(uri)} in a browser"
    if masked_uri(uri) != uri and uri == os.environ.get("MLFLOW_TRACKING_URI"):
        return 'mlflow ui --backend-store-uri "$MLFLOW_TRACKING_URI"'
    return f"mlflow ui --backend-store-uri {masked_uri(uri)}"


STORE_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "file", "databricks")


def check_store(uri: str, timeout_s: float = 10.0) -> None:
    """Fail in one line, within ``timeout_s``, when the tracking store ``uri`` cannot be used: a scheme MLflow does
    not know, a server or database that does not answer or refuses us, a file that is not a database.

    Why: MLflow retries a store that does not answer for minutes (4 min for a closed port, 1 min 45 s for a
    database here) and then prints a traceback. Commands call this once at the start; a store that goes away
    mid-run still gets MLflow's retries.
    """
    scheme = urllib.parse.urlsplit(uri).scheme.partition("+")[0]
    shown = masked_uri(uri)
    if scheme not in (*STORE_SCHEMES, ""):  # "": a folder, MLflow's file store
        raise RagvsftError(f"MLFLOW_TRACKING_URI {shown!r}: MLflow cannot keep runs there; use one of "
                           f"{', '.join(s + '://' for s in STORE_SCHEMES)} (or unset it for ./mlflow.db)")
    try:
        if scheme == "sqlite":
            _check_sqlite(Path(uri.removeprefix("sqlite:///")))
        elif scheme in ("http", "https"):
            _check_server(uri, timeout_s)
        elif scheme in ("postgresql", "mysql", "mssql"):
            _check_database(uri, scheme, timeout_s)
    except RagvsftError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the driver raises becomes the one line
        password = urllib.parse.urlsplit(uri).password
        reason = _innermost(exc)
        todo = ("move it aside, or set MLFLOW_TRACKING_URI to another store" if scheme == "sqlite" else
                "start it, or fix MLFLOW_TRACKING_URI (unset, runs go to ./mlflow.db)")
        raise RagvsftError(f"the MLflow tracking store {shown} cannot be used: "
                           f"{reason.replace(password, '***') if password else reason}; {todo}") from None


def _check_sqlite(db: Path) -> None:
    """Read the schema's version, read-only: "file is not a database" for anything else. (Not a page-by-page
    ``sqlite_files.check_pages``: a store can be large, and this runs at every command's start.)"""
    if db.exists():
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
            connection.execute("pragma schema_version")


def _check_server(uri: str, timeout_s: float) -> None:
    """One request, no retries, through MLflow's own client (so its credentials variables apply)."""
    saved = {key: os.environ.get(key) for key in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ.update(MLFLOW_HTTP_REQUEST_MAX_RETRIES="0", MLFLOW_HTTP_REQUEST_TIMEOUT=str(int(timeout_s)))
    try:
        mlflow.MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
    except MlflowException as exc:
        status = re.search(r"error code (\d{3})", str(exc))
        if status is None:
            raise
        hint = {"401": "; set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN)",
                "403": "; this account may not read its experiments"}.get(status[1], "; is it an MLflow server?")
        raise RagvsftError(f"the MLflow tracking server {masked_uri(uri)} answered HTTP {status[1]}{hint}") from None
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _check_database(uri: str, scheme: str, timeout_s: float) -> None:
    import sqlalchemy

    connect_args = {"connect_timeout": int(timeout_s)} if scheme in ("postgresql", "mysql") else {}
    try:
        engine = sqlalchemy.create_engine(uri, connect_args=connect_args)
    except (ModuleNotFoundError, sqlalchemy.exc.NoSuchModuleError) as exc:
        driver = {"postgresql": "pip install 'psycopg[binary]'", "mysql": "pip install pymysql, then mysql+pymysql://",
                  "mssql": "pip install pyodbc"}[scheme]
        raise RagvsftError(f"MLFLOW_TRACKING_URI {masked_uri(uri)}: SQLAlchemy has no driver for it here ({exc}); "
                           f"{driver}") from None
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


def _innermost(exc: BaseException) -> str:
    """The root cause's message ("[Errno 111] Connection refused"), not the wrappers' screenful."""
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def metric_key_part(text: str) -> str:
    """``text`` (a user's tag, say) as one ``/``-separated part of an MLflow metric key.

    Unchanged where MLflow takes it as it is (letters, digits, ``_ - .`` and spaces; ``:`` too, but not on
    Windows, so not here). Otherwise every run of other characters becomes ``_``, the result is cut to 80
    characters, and 8 hex digits of the text's sha256 follow, so two texts never share a key.

    Example:
        >>> metric_key_part("multi_doc"), metric_key_part("labeller=openai:big")
        ('multi_doc', 'labeller_openai_big-7dfb37f7')
    """
    safe = _KEY_UNSAFE.sub("_", text)
    if safe == text and len(text) <= 80 and text.strip(" .") and text == text.strip():
        return text
    return f"{safe.strip()[:80] or '_'}-{hashlib.sha256(text.encode()).hexdigest()[:8]}"


def experiment_name(corpus_name: str) -> str:
    """One MLflow experiment per corpus, so runs on the same documents line up (model and date go in run names)."""
    return f"ragvsft/{corpus_name}"


def run_title(name: str, corpus: str, model: str, when: float | None = None) -> str:
    """The name of a top-level run: what was run, on which corpus, with which model, when.

    Example:
        >>> run_title("run-demo", "demo", "/models/SmolLM2-135M-Instruct", when=0)
        'run-demo · demo · SmolLM2-135M-Instruct · 1970-01-01 00:00'
    """
    stamp = time.strftime("%Y-%m-%d %H:%M", time.gmtime(time.time() if when is None else when))
    return f"{name} · {corpus} · {Path(model).name or model} · {stamp}"


def ui_base(uri: str) -> str:
    """Where a browser finds the runs: the tracking server itself, or ``mlflow ui``'s default address."""
    # A link: no user:password@ (the browser asks for them), no query string.
    return shown_url(uri).rstrip("/") if uri.startswith(("http://", "https://")) else UI_DEFAULT


def run_url(uri: str, experiment_id: str, run_id: str) -> str:
    """Example:
    >>> run_url("sqlite:///mlflow.db", "1", "abc")
    'http://127.0.0.1:5000/#/experiments/1/runs/abc?workflowType=machine_learning'
    """
    return f"{ui_base(uri)}/#/experiments/{experiment_id}/runs/{run_id}?{ML_WORKFLOW}"


def view_link(experiment_id: str, view_key: str) -> str:
    """A link, relative to the UI's address, that opens a saved view of an experiment's runs table (MLflow opens
    links in descriptions in a new tab, which is what applies a saved view: a page load)."""
    return f"#/experiments/{experiment_id}/runs?{ML_WORKFLOW}&viewStateShareKey={view_key}"


def registered_name(corpus_name: str, kind: Literal["index", "adapter", "release"]) -> str:
    """The registered model holding a corpus' index, adapter or release (index + adapter pair) versions.

    Example:
        >>> registered_name("demo", "index")
        'ragvsft-demo-index'
    """
    return f"ragvsft-{corpus_name}-{kind}"


class RunLogger:
    """Logs to one run by its id; what ``run()`` yields.

    Example:
        >>> with run(uri=uri, experiment="ragvsft/demo", name="index-demo", description="") as logged:  # doctest: +SKIP
        ...     logged.log_metrics({"chunks": 210})
    """

    def __init__(self, client: mlflow.MlflowClient, run_id: str, artifact_uri: str) -> None:
        self.client, self.run_id, self.artifact_uri = client, run_id, artifact_uri

    def set_tags(self, tags: Mapping[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_tag(self.run_id, key, value)

    def describe(self, lead: str) -> None:
        """Put ``lead`` (Markdown, e.g. the verdict) above what the run's description said when it was opened."""
        what = self.client.get_run(self.run_id).data.tags.get(WHAT_TAG, "")
        self.client.set_tag(self.run_id, "mlflow.note.content", f"{lead}\n\n{what}".strip())

    def artifact_link(self, path: str) -> str:
        """A link, relative to the UI's address, to one of this run's artifacts."""
        experiment = self.client.get_run(self.run_id).info.experiment_id
        return f"#/experiments/{experiment}/runs/{self.run_id}/artifacts/{path}?{ML_WORKFLOW}"

    def log_params(self, params: Mapping[str, Any]) -> None:
        self.client.log_batch(self.run_id, params=[Param(k, param_value(v)) for k, v in params.items()])

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, step or 0) for k, v in metrics.items()])

    def log_dict(self, data: Any, artifact_file: str) -> None:
        self.client.log_dict(self.run_id, data, artifact_file)

    def log_table(self, rows: list[dict[str, Any]], artifact_file: str) -> None:
        """Per-row results, shown as a table in the run's artifacts (and comparable across runs)."""
        if rows:
            self.client.log_table(self.run_id, {k: [r.get(k) for r in rows] for k in rows[0]}, artifact_file)

    def log_artifacts(self, folder: Path, artifact_path: str) -> str:
        """Upload a folder; returns its artifact URI (what the model registry points at)."""
        self.client.log_artifacts(self.run_id, str(folder), artifact_path)
        return f"{self.artifact_uri}/{artifact_path}"

    def log_figure(self, figure: Any, artifact_file: str) -> None:
        """Log a matplotlib figure, then close it (pyplot keeps every open figure; a sweep draws many)."""
        import matplotlib.pyplot as plt

        self.client.log_figure(self.run_id, figure, artifact_file)
        plt.close(figure)

    def log_dataset(self, rows: list[dict[str, Any]], *, name: str, source: str, digest: str, context: str) -> None:
        """Record the questions a run used as an MLflow dataset input (lineage shown in the run page)."""
        import warnings

        import pandas as pd

        with warnings.catch_warnings():
            # A local path "can be interpreted in multiple ways" by MLflow's source registry; any of them is right.
            warnings.simplefilter("ignore", UserWarning)
            dataset = mlflow.data.from_pandas(pd.DataFrame(rows), source=source, name=name, digest=digest[:36])
        entity = DatasetInput(dataset._to_mlflow_entity(), tags=[InputTag(DATASET_CONTEXT_TAG, context)])
        self.client.log_inputs(self.run_id, datasets=[entity])


_READY_STORES: set[str] = set()


def _client(uri: str) -> mlflow.MlflowClient:
    """A client for ``uri``. A SQLite store is created on its first use in a process under a file lock beside it:
    MLflow creates and migrates the schema on first connection, and two commands doing that at once on a new
    store crash one of them (``table ... already exists``)."""
    if uri.startswith("sqlite:///") and uri not in _READY_STORES:
        db = Path(uri.removeprefix("sqlite:///"))
        db.parent.mkdir(parents=True, exist_ok=True)
        with open(db.with_name(db.name + ".lock"), "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes, or by the kernel if killed
            client = mlflow.MlflowClient(tracking_uri=uri)
            client.search_experiments(max_results=1)  # the tracking tables
            client.search_registered_models(max_results=1)  # the registry's, a second store on the same file
        _READY_STORES.add(uri)
    return mlflow.MlflowClient(tracking_uri=uri)


def _machine_tags() -> dict[str, str]:
    """Where a run ran and how busy the machine was when it started: timings mean little without both."""
    cores = os.cpu_count() or 1
    return {"ragvsft.host": socket.gethostname(),
            "ragvsft.load": f"{os.getloadavg()[0]:.2f} (1-min load average at start; {cores} cores)"}


def _this_process() -> str:
    me = psutil.Process()
    return f"{socket.gethostname()}:{me.pid}:{me.create_time():.0f}"


def _dead(process: str) -> bool:
    """Whether the process a :data:`PROCESS_TAG` names is known to be gone: it ran on this machine, and no process
    with its pid and start time runs now (a pid can be reused; with the start time it cannot)."""
    host, pid, started = process.rsplit(":", 2)
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: it cannot be checked from here
    try:
        return f"{psutil.Process(int(pid)).create_time():.0f}" != started
    except psutil.NoSuchProcess:
        return True


def _end_dead_runs(client: mlflow.MlflowClient, experiment_id: str) -> None:
    """Mark FAILED the runs a killed process left RUNNING (SIGKILL or a power cut end a process with no chance to
    close its run), so the UI never shows a run that will not finish as still running."""
    host = socket.gethostname()
    stale = client.search_runs([experiment_id], filter_string=f"attributes.status = 'RUNNING' and "
                                                              f"tags.`{PROCESS_TAG}` LIKE '{host}:%'")
    for found in stale:
        if _dead(found.data.tags[PROCESS_TAG]):
            client.set_tag(found.info.run_id, "ragvsft.ended", "its process died; marked failed by a later command")
            client.set_terminated(found.info.run_id, status="FAILED")


def _experiment_id(client: mlflow.MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name, tags=EXPERIMENT_KIND)
        except MlflowException:  # created meanwhile by a pipeline running beside this one
            experiment = client.get_experiment_by_name(name)
            if experiment is None:
                raise
    if experiment.lifecycle_stage == "deleted":
        raise RagvsftError(f"MLflow experiment {name!r} is deleted; restore it (mlflow experiments restore "
                           f"--experiment-id {experiment.experiment_id}) or empty its trash (mlflow gc)")
    return experiment.experiment_id


@contextmanager
def run(
    *,
    uri: str,
    experiment: str,
    name: str,
    description: str,
    tags: Mapping[str, str] | None = None,
    parent_run_id: str | None = None,
) -> Iterator[RunLogger]:
    """Open an MLflow run (a child of ``parent_run_id`` when given, from any process); yields its ``RunLogger``.

    An exception marks the run FAILED (Ctrl-C: KILLED) and propagates; a run whose process was killed outright is
    marked FAILED by the next run opened in its experiment on the same machine.
    """
    client = _client(uri)
    all_tags = {"mlflow.note.content": description, "mlflow.source.name": "ragvsft", "mlflow.source.type": "LOCAL",
                WHAT_TAG: description, PROCESS_TAG: _this_process(), **_machine_tags(), **(tags or {})}
    if parent_run_id is not None:
        all_tags["mlflow.parentRunId"] = parent_run_id
    experiment_id = _experiment_id(client, experiment)
    _end_dead_runs(client, experiment_id)
    created = client.create_run(experiment_id, run_name=name, tags=all_tags)
    logger = RunLogger(client, created.info.run_id, created.info.artifact_uri)
    try:
        yield logger
    except BaseException as exc:
        client.set_terminated(logger.run_id, status="KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    client.set_terminated(logger.run_id, status="FINISHED")


def experiment_id(uri: str, name: str) -> str:
    """The id of experiment ``name`` (created when missing)."""
    return _experiment_id(_client(uri), name)


def describe_experiment(uri: str, experiment_id: str, markdown: str) -> None:
    """Set the experiment's description (the list of experiments shows it) and its kind."""
    client = _client(uri)
    for key, value in {"mlflow.note.content": markdown, **EXPERIMENT_KIND}.items():
        client.set_experiment_tag(experiment_id, key, value)


def save_view(uri: str, experiment_id: str, key: str, name: str, state: Mapping[str, Any]) -> None:
    """Store a runs-table view (filter, order, columns) as an experiment tag MLflow's UI lists under "Views" and
    opens from :func:`view_link`. The envelope is MLflow 3.17's saved-view format: a name, times in ms, and the
    view state as a JSON string."""
    now = int(time.time() * 1000)
    envelope = {"name": name, "createdAt": now, "updatedAt": now, "state": json.dumps(dict(state))}
    _client(uri).set_experiment_tag(experiment_id, VIEW_TAG_PREFIX + key, json.dumps(envelope))


def register_version(uri: str, *, name: str, source: str, run_id: str, description: str, alias: str,
                     tags: Mapping[str, str] | None = None, same_as: tuple[str, str] | None = None,
                     model_description: str = "") -> str:
    """Register ``source`` (an artifact URI of ``run_id``) as a new version of ``name`` and point ``alias`` at it.

    With ``same_as=(tag, value)``, a version already registered with that tag
    value (e.g. the same index fingerprint) gets the alias instead of a duplicate.
    ``model_description`` says what the registered model holds (set when it differs).
    Works for any folder of files (adapters, indexes), not only MLflow-format models.
    """
    client = _client(uri)
    try:
        found = client.get_registered_model(name)
        if model_description and found.description != model_description:
            client.update_registered_model(name, description=model_description)
    except MlflowException:
        client.create_registered_model(name, description=model_description or f"ragvsft {name}")
    version = None
    if same_as is not None:
        tag, value = same_as
        version = next((v.version for v in client.search_model_versions(f"name = '{name}'")
                        if v.tags.get(tag) == value), None)
    if version is None:
        version = client.create_model_version(name, source=source, run_id=run_id, description=description,
                                              tags=dict(tags or {})).version
    else:  # found again: its tags say what it was last registered with (e.g. the index it was evaluated with)
        for key, value in (tags or {}).items():
            client.set_model_version_tag(name, version, key, value)
    client.set_registered_model_alias(name, alias, version)
    return str(version)


def update_version(uri: str, name: str, version: str, *, description: str, tags: Mapping[str, str]) -> None:
    """Replace a registered version's description and add (or overwrite) tags."""
    client = _client(uri)
    client.update_model_version(name, version, description=description)
    for key, value in tags.items():
        client.set_model_version_tag(name, version, key, value)


def alias_version(uri: str, name: str, alias: str) -> str | None:
    """The version number ``alias`` points at in registered model ``name``; None when either does not exist."""
    client = _client(uri)
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def version_tags(uri: str, name: str, version: str) -> dict[str, str]:
    """The tags of one registered version; raises naming the version when it does not exist."""
    client = _client(uri)
    try:
        return dict(client.get_model_version(name, version).tags)
    except MlflowException:
        raise RagvsftError(f"registered model {name!r} has no version {version!r} in {masked_uri(uri)}") from None


def set_alias(uri: str, name: str, alias: str, version: str) -> None:
    """Point ``alias`` at ``version`` of ``name``, checked to exist."""
    version_tags(uri, name, version)
    _client(uri).set_registered_model_alias(name, alias, version)


@dataclass(frozen=True)
class LocalVersion:
    """A registered version, downloaded to a local folder."""

    name: str
    version: str
    path: Path
    tags: dict[str, str]


def resolve_version(uri: str, name: str, ref: str, cache_dir: Path) -> LocalVersion:
    """The local folder of version ``ref`` of ``name``: an alias (``champion``, ``challenger``) or a number.

    Files come through the tracking server (or from its artifact store) once,
    into ``cache_dir/<name>/v<N>-<source hash>``, all or nothing; later calls reuse that folder. The hash of the
    version's source (its run's artifact URI) keeps versions of other stores apart: a new ``mlflow.db``, or
    another server, numbers its versions from 1 again, and a folder named ``v1`` alone would serve the old one.

    Example:
        >>> resolve_version(uri, "ragvsft-demo-index", "champion", Path(".cache/ragvsft/registry")).path  # doctest: +SKIP
        PosixPath('.cache/ragvsft/registry/ragvsft-demo-index/v3-5f0c2a9e81d4')
    """
    client = _client(uri)
    try:
        found = client.get_model_version(name, ref) if ref.isdigit() else client.get_model_version_by_alias(name, ref)
    except MlflowException:
        raise RagvsftError(f"registered model {name!r} has no version {ref!r} in {masked_uri(uri)}; a complete "
                           "`ragvsft run` registers one (alias challenger)") from None
    dest = cache_dir / name / f"v{found.version}-{hashlib.sha256(found.source.encode()).hexdigest()[:12]}"
    try:
        fetch_artifacts(uri, found.source, dest)
    except RagvsftError as exc:
        raise RagvsftError(f"cannot download version {found.version} of {name!r}: {exc}") from None
    return LocalVersion(name, str(found.version), dest, dict(found.tags))


def fetch_artifacts(uri: str, artifact_uri: str, dest: Path) -> None:
    """The artifact folder ``artifact_uri`` (through the tracking server ``uri``, or from its store) into ``dest``,
    all or nothing; an existing ``dest`` is kept as it is."""
    if dest.is_dir():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        local = mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri, dst_path=str(tmp), tracking_uri=uri)
        try:
            os.rename(local, dest)
        except OSError:
            if not dest.is_dir():  # not a concurrent download that finished first
                raise
    except MlflowException as exc:
        raise RagvsftError(f"cannot download {artifact_uri}: {exc.message}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def find_run(uri: str, experiment: str, tags: Mapping[str, str]) -> Any | None:
    """The newest finished run of ``experiment`` carrying all ``tags``, or None."""
    client = _client(uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return None
    where = " and ".join([f"tags.`{k}` = '{v}'" for k, v in tags.items()] + ["attributes.status = 'FINISHED'"])
    runs = client.search_runs([found.experiment_id], filter_string=where, order_by=["attributes.start_time DESC"],
                              max_results=1)
    return runs[0] if runs else None


def end_unfinished_children(uri: str, parent_run_id: str) -> None:
    """Mark child runs of a killed pipeline process KILLED instead of leaving them RUNNING forever."""
    client = _client(uri)
    parent = client.get_run(parent_run_id)
    for child in client.search_runs([parent.info.experiment_id],
                                    filter_string=f"tags.mlflow.parentRunId = '{parent_run_id}'"):
        if child.info.status == "RUNNING":
            client.set_terminated(child.info.run_id, status="KILLED")


def param_value(value: Any) -> str:
    """``value`` as a run's params keep it (text, cut to what MLflow accepts): what a logged param compares to."""
    return str(value)[:MAX_PARAM_CHARS]


def run_params(uri: str, run_id: str) -> dict[str, str] | None:
    """The params of run ``run_id``, or None when the store has no such run (deleted, another store)."""
    try:
        return dict(_client(uri).get_run(run_id).data.params)
    except MlflowException:
        return None


def get_run(uri: str, run_id: str) -> Any:
    """Read a run back (tests and reports)."""
    return _client(uri).get_run(run_id)


def existing_run(uri: str, run_id: str) -> RunLogger:
    """A logger for a run that exists already (finished or not), e.g. to add a report rendered again later."""
    client = _client(uri)
    try:
        found = client.get_run(run_id)
    except MlflowException:
        raise RagvsftError(f"run {run_id} is not in the tracking store {masked_uri(uri)}; set MLFLOW_TRACKING_URI to the store "
                           "the experiment logged to") from None
    return RunLogger(client, run_id, found.info.artifact_uri)

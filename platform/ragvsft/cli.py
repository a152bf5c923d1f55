"""The ``ragvsft`` command. Each subcommand loads the experiment config and runs one recipe."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ragvsft.config import ExperimentConfig, load_config
from ragvsft.errors import RagvsftError

app = typer.Typer(
    help="Measure retrieval (RAG) against LoRA fine-tuning on your own documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts quote TOML tables ("[sweep]", "[retrain.gates]"): print them as written
)
# Piped to a file or a CI log, rich would assume 80 columns and cut every table cell short.
_width = None if sys.stdout.isatty() else 160
# emoji=False: user text (ids, questions) may hold ":name:" codes, which must print as typed.
console = Console(soft_wrap=True, width=_width, emoji=False)
err_console = Console(stderr=True, soft_wrap=True, width=_width, emoji=False)

ExperimentArg = Annotated[Path, typer.Argument(help="Experiment file, e.g. experiments/demo.toml.", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a config value: --set index.chunk_chars=400 (repeatable)."),
]

RayOpt = Annotated[
    str | None,
    typer.Option("--ray", metavar="ADDRESS", show_default=False,
                 help="Run on Ray (sets [ray] address): 'local' starts a Ray instance on this machine, 'auto' joins "
                      "the cluster this machine belongs to, HOST:PORT a cluster's head, ray://HOST:10001 through Ray "
                      "Client. Needs pip install 'ragvsft[ray]'."),
]


def _load(experiment: Path, overrides: list[str] | None, *, writes: bool = True) -> ExperimentConfig:
    """The experiment's config; for a command that ``writes``, also fail now, in one line, if it could not keep its
    results (see ``_ready``)."""
    config = load_config(experiment, overrides or [])
    if writes:
        _ready(config)
    return config


def _ready(config: ExperimentConfig) -> None:
    """Refuse now what would fail later, after minutes of work or MLflow's retries, as a traceback: a tracking store
    that does not answer, an output or cache folder that cannot be written."""
    from ragvsft import tracking
    from ragvsft.folders import check_writable

    tracking.check_store(tracking.tracking_uri())
    check_writable(config)


def _with_ray(overrides: list[str] | None, address: str | None) -> list[str]:
    """``--ray ADDRESS`` as the ``--set`` it stands for (a JSON string is a TOML string: any address is quoted)."""
    return [*(overrides or []), *([f"ray.address={json.dumps(address)}"] if address is not None else [])]


def _fail(exc: Exception) -> typer.Exit:
    # escape(): messages quote user input, which may contain [brackets] rich would eat.
    err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
    return typer.Exit(code=2)


@app.callback()
def _setup(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show library log messages.")] = False) -> None:
    # The recipes report warnings (skipped files...) on the console themselves;
    # library logging is for --verbose, or it would say everything twice.
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    from ragvsft.pipelines.common import quiet_libraries

    quiet_libraries()


@app.command()
def check(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """Validate the experiment file, its corpus (documents, qa.jsonl, split), models, devices, endpoints and the
    MLflow tracking store exactly as `run` does before it starts, without calling any model endpoint; then count eval
    questions with a near-duplicate in the training split (near_duplicate_similarity) and chunks longer than the
    embedder reads. Loads only the base model's tokenizer (to count the training answers) and the embedder (to
    compare questions). A [sweep] table is checked too, every point as `sweep` checks it before it starts."""
    from ragvsft.builders import build_embedder
    from ragvsft.config import read_experiment
    from ragvsft.indexing import overlong_chunks_check
    from ragvsft.pipelines.common import checked_corpus, report_leaks
    from ragvsft.sweep import load_sweep

    try:
        config = _load(experiment, set_)
        plan = load_sweep(experiment, set_ or []) if "sweep" in read_experiment(experiment) else None
        corpus = checked_corpus(config, console, points=[p.config for p in plan.points] if plan else [])
        if plan:
            console.print(f"sweep: {len(plan.points)} points over {', '.join(plan.axes)}")
        embedder = build_embedder(config.index, measuring=True)
        report_leaks(config, corpus, console, embedder)
        if note := overlong_chunks_check(embedder, corpus.docs, config.index.chunk_chars,
                                         config.index.chunk_overlap_chars):
            console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    except RagvsftError as exc:
        raise _fail(exc) from None
    console.print("[green]ok[/]")


@app.command()
def index(experiment: ExperimentArg, set_: SetOpt = None, ray: RayOpt = None) -> None:
    """Build (or reuse) the FAISS index and score retrieval on the eval questions; logs an MLflow run. With --ray,
    Ray Data actors embed the chunks ([ray] embed_actors, cpus, gpus) and the index is built here: the same index
    a local build makes."""
    from ragvsft.pipelines import index as recipe

    try:
        recipe.main(_load(experiment, _with_ray(set_, ray)), console)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def search(
    experiment: ExperimentArg,
    question: Annotated[str, typer.Argument(help="The question to retrieve chunks for.", show_default=False)],
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=100, help="How many chunks to show.")] = 5,
    set_: SetOpt = None,
) -> None:
    """Print the top-k chunks for a question, with document ids and scores."""
    from ragvsft.pipelines import search as recipe

    try:
        recipe.main(_load(experiment, set_, writes=False), console, question, k)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def run(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """The whole experiment: index + LoRA fine-tune in parallel, then base / rag / finetuned / hybrid evaluated
    on the same questions, all logged to MLflow, with a summary table at the end."""
    from ragvsft.pipelines import run as recipe

    try:
        recipe.main(_load(experiment, set_), console)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def sweep(experiment: ExperimentArg, set_: SetOpt = None, ray: RayOpt = None) -> None:
    """Run the experiment at every point of its [sweep] table (a grid of "key" = [values], or [[sweep.points]]):
    indexes, adapters, answers and scores whose inputs did not change are reused, so a rerun resumes and a new
    value computes only the new points. Ends with the ceiling analysis and the decision report. With --ray, index
    builds, fine-tunes and points are Ray tasks ([ray] cpus, gpus each), all logging to the same tracking store."""
    from ragvsft.pipelines import sweep as recipe
    from ragvsft.sweep import load_sweep

    try:
        plan = load_sweep(experiment, _with_ray(set_, ray))
        _ready(plan.base)
        recipe.main(plan, console)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def report(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """Render the decision report again from the last run's or sweep's results (<output_dir>/report/results.json):
    verdict, arm comparison with costs, curves and plateaus; Markdown + self-contained HTML, logged to MLflow."""
    from ragvsft.pipelines import report as recipe

    try:
        recipe.main(_load(experiment, set_), console)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def serve(
    experiment: ExperimentArg,
    host: Annotated[str | None, typer.Option(help="Address to bind (default: serve.host, 127.0.0.1). Any other than "
                                                  "loopback requires RAGVSFT_API_KEY in the environment.")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="TCP port (default: serve.port, 8000).")] = None,
    set_: SetOpt = None,
) -> None:
    """Answer questions over HTTP with the registered champion (else the challenger) in every mode: POST /v1/ask,
    OpenAI-compatible /v1/models and /v1/chat/completions (streaming too), /healthz, /readyz, /metrics; API docs
    at /docs. One base model serves all modes; requests are micro-batched; a new champion is hot-reloaded.
    Everything served comes from the tracking store (MLFLOW_TRACKING_URI): the corpus folder need not be on this
    machine."""
    from ragvsft.pipelines import serve as recipe

    try:
        recipe.main(_load(experiment, set_), console, host=host, port=port)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def promote(
    experiment: ExperimentArg,
    version: Annotated[str | None, typer.Option(help="Release version to promote (an index + adapter pair; see the "
                                                     "ragvsft-<corpus>-release model in `mlflow ui`). "
                                                     "Default: the challenger.")] = None,
    set_: SetOpt = None,
) -> None:
    """Make a release (an evaluated index + adapter pair) the champion: one registry write, so a running server
    hot-reloads index and adapter together."""
    from ragvsft import releases, tracking
    from ragvsft.corpus import corpus_name

    try:
        config = _load(experiment, set_)
        if version is not None and not version.isdigit():
            raise RagvsftError(f"--version takes a release version number, got {version!r}")
        record = releases.promote(tracking.tracking_uri(), corpus_name(config.corpus), version=version)
    except RagvsftError as exc:
        raise _fail(exc) from None
    console.print(f"champion: {record.describe}")


@app.command()
def retrain(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """One retraining pass: diff the corpus against the champion release; embed only new and changed chunks into a
    new index version; retrain the adapter if its training questions (or settings) changed; answer the eval
    questions with champion and challenger; promote only when the gates pass ([retrain.gates]). Every decision is an
    MLflow run. Exit status: 0 promoted or nothing to do, 1 gates failed, 2 bad input, 3 another pass is running."""
    from ragvsft.lock import LockedError
    from ragvsft.pipelines import retrain as recipe

    try:
        result = recipe.main(_load(experiment, set_), console)
    except LockedError as exc:
        err_console.print(f"[bold red]locked:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(code=3) from None
    except RagvsftError as exc:
        raise _fail(exc) from None
    raise typer.Exit(code=result.exit_code)


@app.command()
def schedule(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """Run `ragvsft retrain` on the cron expression in retrain.schedule, in this process, until Ctrl-C / SIGTERM.
    The job store (<output_dir>/schedule.sqlite) survives restarts: a pass that fell due while the scheduler was
    down runs once when it is back (within retrain.misfire_grace_s; later ones are logged as missed)."""
    from ragvsft.pipelines import schedule as recipe

    try:
        recipe.main(_load(experiment, set_), console, experiment, set_ or [])
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def synthesize(
    experiment: ExperimentArg,
    per_chunk: Annotated[int | None, typer.Option(min=1, help="Questions asked per chunk (synthesize.per_chunk).",
                                                  show_default=False)] = None,
    max_questions: Annotated[int | None, typer.Option(min=0, help="Stop once this many pairs are kept; 0: every chunk "
                                                                  "(synthesize.max_questions).", show_default=False)]
    = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing qa.synthetic.jsonl.")] = False,
    set_: SetOpt = None,
) -> None:
    """Have a labeller model (synthesize.labeller: an OpenAI-compatible endpoint, or a local model) write
    question/answer pairs from the corpus' chunks into <corpus>/qa.synthetic.jsonl, which the corpus loader reads
    beside qa.jsonl. Pairs whose answer the question gives away, whose answer its chunk does not support, or that
    repeat a question already kept are dropped and counted; splits are leak-free and eval pairs are tagged
    seen_fact / unseen_fact. Logs an MLflow run."""
    from ragvsft.pipelines import synthesize as recipe

    flags = [f"synthesize.{key}={value}" for key, value in (("per_chunk", per_chunk), ("max_questions", max_questions))
             if value is not None]
    try:
        recipe.main(_load(experiment, [*(set_ or []), *flags]), console, overwrite=overwrite)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command("validate-metrics")
def validate_metrics(
    experiment: ExperimentArg,
    judge: Annotated[bool, typer.Option("--judge", help="Also validate the LLM judge ([evaluate.judge]; slow on a CPU).")]
    = False,
    max_questions: Annotated[int, typer.Option(min=0, help="Build the labelled set from at most this many eval "
                                                           "questions (0: all).")] = 0,
    repeat: Annotated[bool, typer.Option(help="Score everything twice to check the scores are deterministic "
                                              "(--no-repeat halves the time a judge takes).")] = True,
    labelled: Annotated[Path | None, typer.Option(
        "--labelled", metavar="FILE.jsonl",
        help="Validate on your own judged answers instead: one JSON object per line with question, evidence (a "
             "string or a list), answer, label (1 supported, 0 not) and optional kind and id.")] = None,
    set_: SetOpt = None,
) -> None:
    """Check the faithfulness scorers on a labelled set: built from the corpus (gold answers, copied, restated and
    reworded ones vs swapped numbers and names, invented details, other answers, restatements with one detail
    wrong, true sentences from other documents), or your own judged answers (--labelled). Reports AUROC with a
    95 % interval, per kind and over answers of similar length, cost and determinism; logs an MLflow run."""
    from ragvsft.pipelines import validate_metrics as recipe

    try:
        recipe.main(_load(experiment, set_), console, judge=judge, max_questions=max_questions, repeat=repeat,
                    labelled_file=labelled)
    except RagvsftError as exc:
        raise _fail(exc) from None


if __name__ == "__main__":
    app()

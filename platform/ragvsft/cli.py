"""The ``ragvsft`` command. Each subcommand loads the experiment config and runs one recipe."""

from __future__ import annotations

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
)
# Piped to a file or a CI log, rich would assume 80 columns and cut every table cell short.
_width = None if sys.stdout.isatty() else 160
console = Console(soft_wrap=True, width=_width)
err_console = Console(stderr=True, soft_wrap=True, width=_width)

ExperimentArg = Annotated[Path, typer.Argument(help="Experiment file, e.g. experiments/demo.toml.", show_default=False)]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", "-s", help="Override a config value: --set index.chunk_chars=400 (repeatable)."),
]


def _load(experiment: Path, overrides: list[str] | None) -> ExperimentConfig:
    return load_config(experiment, overrides or [])


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
    """Validate the experiment file and its corpus (documents, qa.jsonl, split) without loading any model."""
    from ragvsft.pipelines.common import load_experiment_corpus

    try:
        config = _load(experiment, set_)
        load_experiment_corpus(config, console)
    except RagvsftError as exc:
        raise _fail(exc) from None
    console.print("[green]ok[/]")


@app.command()
def index(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """Build (or reuse) the FAISS index and score retrieval on the eval questions; logs an MLflow run."""
    from ragvsft.pipelines import index as recipe

    try:
        recipe.main(_load(experiment, set_), console)
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
        recipe.main(_load(experiment, set_), console, question, k)
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
def sweep(experiment: ExperimentArg, set_: SetOpt = None) -> None:
    """Run the experiment at every point of its [sweep] table (a grid of "key" = [values], or [[sweep.points]]):
    indexes, adapters, answers and scores whose inputs did not change are reused, so a rerun resumes and a new
    value computes only the new points. Ends with the ceiling analysis and the decision report."""
    from ragvsft.pipelines import sweep as recipe
    from ragvsft.sweep import load_sweep

    try:
        recipe.main(load_sweep(experiment, set_ or []), console)
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
    at /docs. One base model serves all modes; requests are micro-batched; a new champion is hot-reloaded."""
    from ragvsft.pipelines import serve as recipe

    try:
        recipe.main(_load(experiment, set_), console, host=host, port=port)
    except RagvsftError as exc:
        raise _fail(exc) from None


@app.command()
def promote(
    experiment: ExperimentArg,
    version: Annotated[str | None, typer.Option(help="Adapter version to promote, with the index version it was "
                                                     "evaluated with (a corpus without adapters: the index version). "
                                                     "Default: the challenger.")] = None,
    index_version: Annotated[str | None, typer.Option(help="Promote this index version instead of the paired one.")]
    = None,
    set_: SetOpt = None,
) -> None:
    """Point the registry's `champion` alias at an evaluated index + adapter pair (a running server hot-reloads)."""
    from ragvsft import tracking
    from ragvsft.corpus import corpus_name
    from ragvsft.serve.versions import promote as move

    try:
        config = _load(experiment, set_)
        for name, value in (("--version", version), ("--index-version", index_version)):
            if value is not None and not value.isdigit():
                raise RagvsftError(f"{name} takes a version number, got {value!r}")
        pick = move(tracking.tracking_uri(), corpus_name(config.corpus), version=version, index_version=index_version)
    except RagvsftError as exc:
        raise _fail(exc) from None
    console.print(f"champion: index v{pick.index_version}"
                  + (f", adapter v{pick.adapter_version}" if pick.adapter_version else " (no adapter registered)"))


@app.command("validate-metrics")
def validate_metrics(
    experiment: ExperimentArg,
    judge: Annotated[bool, typer.Option("--judge", help="Also validate the LLM judge ([evaluate.judge]; slow on a CPU).")]
    = False,
    max_questions: Annotated[int, typer.Option(min=0, help="Build the labelled set from at most this many eval "
                                                           "questions (0: all).")] = 0,
    repeat: Annotated[bool, typer.Option(help="Score everything twice to check the scores are deterministic "
                                              "(--no-repeat halves the time a judge takes).")] = True,
    set_: SetOpt = None,
) -> None:
    """Check the faithfulness scorers on a labelled set built from the corpus (gold answers vs swapped numbers and
    names, invented details, other answers): AUROC per scorer, cost, determinism; logs an MLflow run."""
    from ragvsft.pipelines import validate_metrics as recipe

    try:
        recipe.main(_load(experiment, set_), console, judge=judge, max_questions=max_questions, repeat=repeat)
    except RagvsftError as exc:
        raise _fail(exc) from None


if __name__ == "__main__":
    app()

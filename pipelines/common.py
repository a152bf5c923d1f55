"""What every recipe needs: a progress bar, the corpus, peak memory."""

from __future__ import annotations

import resource
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ragvsft.config import ExperimentConfig
from ragvsft.corpus import Corpus, load_corpus
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def load_experiment_corpus(config: ExperimentConfig, console: Console) -> Corpus:
    corpus = load_corpus(config.corpus, seed=config.seed, eval_fraction=config.eval_fraction)
    for skipped in corpus.docs.skipped:
        console.print(f"[yellow]warning:[/] skipped {escape(skipped.path)}: {escape(skipped.reason)}")
    console.print(
        f"corpus [bold]{corpus.name}[/]: {len(corpus.documents)} documents"
        f"{f' ({len(corpus.docs.skipped)} skipped)' if corpus.docs.skipped else ''}, "
        f"{len(corpus.split('train'))} train / {len(corpus.split('eval'))} eval questions"
    )
    return corpus


# (label, done, total, info): how a recipe running in a child process reports progress to the parent.
ForwardFn = Callable[[str, int, int, str], None]
StepFn = Callable[..., None]  # (done, total, info="")


@contextmanager
def progress_bar(console: Console) -> Iterator[Progress]:
    """Steps, elapsed time, ETA and a free-text field (loss...) for long work."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[info]}"), console=console, transient=True,
    ) as progress:
        yield progress


@contextmanager
def step_progress(console: Console, label: str, forward: ForwardFn | None = None) -> Iterator[StepFn]:
    """A ``(done, total, info="")`` callback: drives a local bar, or forwards to a parent process's bar."""
    if forward is not None:
        yield lambda done, total, info="": forward(label, done, total, info)
        return
    with progress_bar(console) as progress:
        task = progress.add_task(label, total=None, info="")
        yield lambda done, total, info="": progress.update(task, completed=done, total=total, info=info)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

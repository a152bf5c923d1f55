"""What every recipe needs: a progress bar, the corpus, peak memory."""

from __future__ import annotations

import resource
from collections.abc import Iterator
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


@contextmanager
def progress_bar(console: Console) -> Iterator[Progress]:
    """Steps, rate and ETA for long work; silent when output is not a terminal."""
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("eta"), TimeRemainingColumn(), console=console, transient=True,
    ) as progress:
        yield progress


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

"""What every recipe needs: a progress bar, the corpus, peak memory."""

from __future__ import annotations

import os
import resource
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ragvsft.config import ExperimentConfig
from ragvsft.corpus import Corpus, load_corpus
from ragvsft.documents import Document, DocumentSet, SkippedFile
from ragvsft.embedders import Embedder
from ragvsft.errors import CorpusError
from ragvsft.preflight import corpus_warnings, preflight
from ragvsft.wording import first_few


def quiet_libraries() -> None:
    """Per process (the CLI and each pipeline process): our progress bars and messages, not the libraries', and no
    usage reports to their makers (MLflow, Ray and the Hugging Face hub send them by default; a tool for private
    documents sends nothing unless the user sets these variables otherwise)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # per-tensor "Loading weights" bars
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # per-file bars of registry downloads
    for variable, off in (("MLFLOW_DISABLE_TELEMETRY", "true"), ("RAY_USAGE_STATS_ENABLED", "0"),
                          ("HF_HUB_DISABLE_TELEMETRY", "1")):
        os.environ.setdefault(variable, off)
    # Deprecation notices from inside transformers/peft are for their maintainers, not our users.
    warnings.filterwarnings("ignore", category=FutureWarning)


def load_experiment_corpus(config: ExperimentConfig, console: Console) -> Corpus:
    corpus = load_corpus(config.corpus, seed=config.seed, eval_fraction=config.eval_fraction)
    if config.strict_corpus and (skipped := corpus.docs.skipped):
        raise CorpusError(skipped[0].path, f"{skipped[0].reason} (strict_corpus = true: {len(skipped)} file(s) "
                                           "skipped in docs/ are errors; fix them or set strict_corpus = false)")
    print_reading(corpus.docs, console)
    accepting = sum(bool(q.also_accept) for q in corpus.split("eval"))  # so a user sees the field was read
    console.print(f"corpus [bold]{escape(corpus.name)}[/]: {escape(documents_count(corpus.docs))}, "
                  f"{len(corpus.split('train'))} train / {len(corpus.split('eval'))} eval questions"
                  + (f" ({accepting} with also_accept)" if accepting else ""))
    return corpus


def documents_count(docs: DocumentSet) -> str:
    """How many documents were read, by type where there are several, and how many files were skipped.

    Example:
        >>> read = tuple(Document(name, "text") for name in ("a.md", "b.md", "c.pdf"))
        >>> documents_count(DocumentSet(read, (), ""))
        '3 documents (2 .md, 1 .pdf)'
    """
    types = Counter(PurePosixPath(d.id).suffix.lower() or "no suffix" for d in docs.documents)
    notes = [", ".join(f"{n} {suffix}" for suffix, n in sorted(types.items(), key=lambda t: (-t[1], t[0])))] \
        if len(types) > 1 else []
    notes += [f"{len(docs.skipped)} skipped"] if docs.skipped else []
    return f"{len(docs.documents)} documents" + (f" ({'; '.join(notes)})" if notes else "")


def print_reading(docs: DocumentSet, console: Console) -> None:
    """What reading the documents left out or found twice: the files skipped (warnings), the base64 data dropped,
    the documents that repeat another."""
    for line in skipped_lines(docs.skipped):
        console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False)
    for line in (encoded_line(docs.encoded), copies_line(docs.documents)):
        if line:
            console.print(escape(line), highlight=False)


def copies_line(documents: Sequence[Document]) -> str | None:
    """One line on the documents whose text another document has word for word (a PDF beside its Word original,
    "Copy of ..."), or None. Retrieval returns their passages once (``FaissStore.search_many``), so this is news,
    not a fault.

    Example:
        >>> copies_line([Document("a.md", "x"), Document("a (copy).md", "x"), Document("b.md", "y")])
        '1 document repeats another word for word (a (copy).md = a.md): retrieval returns each passage once'
    """
    first: dict[str, str] = {}
    pairs = [(d.id, first[d.text]) for d in documents if first.setdefault(d.text, d.id) != d.id]
    if not pairs:
        return None
    return (f"{len(pairs)} document{' repeats' if len(pairs) == 1 else 's repeat'} another word for word "
            f"({first_few([f'{copy} = {original}' for copy, original in pairs])}): retrieval returns each passage once")


def encoded_line(encoded: Sequence[tuple[str, int]]) -> str | None:
    """One line on the base64 data left out of documents (``ragvsft.encoded_data``), or None.

    Example:
        >>> encoded_line([("guide.md", 409_600), ("faq.md", 2_048)])[:73]
        'left out 402 KiB of base64 data (pictures pasted as data: URIs, encoded a'
    """
    if not encoded:
        return None
    ids = [doc_id for doc_id, _ in encoded]
    kib = round(sum(chars for _, chars in encoded) / 1024)
    return (f"left out {kib} KiB of base64 data (pictures pasted as data: URIs, encoded attachments) from "
            f"{len(ids)} document{'s' if len(ids) > 1 else ''} ({first_few(ids)}): it holds no text to retrieve")


def skipped_lines(skipped: Sequence[SkippedFile]) -> list[str]:
    """One line per reason files were skipped for: a document folder exported from a shared drive may hold thousands
    of pictures and spreadsheets, and a line each would bury the few files that need fixing.

    Example:
        >>> skipped_lines([SkippedFile(f"docs/{n}.png", "unsupported file type '.png'") for n in range(5)])
        ["skipped 5 files: unsupported file type '.png' (docs/0.png, docs/1.png, docs/2.png and 2 more)"]
    """
    by_reason: dict[str, list[str]] = {}
    for file in skipped:
        by_reason.setdefault(file.reason, []).append(file.path)
    lines = []
    for reason, paths in by_reason.items():
        if len(paths) == 1:
            lines.append(f"skipped {paths[0]}: {reason}")
        else:
            lines.append(f"skipped {len(paths)} files: {reason} ({first_few(paths)})")
    return lines


def checked_corpus(config: ExperimentConfig, console: Console, *, points: Sequence[ExperimentConfig] = ()) -> Corpus:
    """The experiment's corpus after every check a run can make up front (:func:`ragvsft.preflight.corpus_warnings`
    once, :func:`ragvsft.preflight.preflight` for ``config`` or each of a sweep's ``points``), with what they warn
    about printed once."""
    corpus = load_experiment_corpus(config, console)
    notes = corpus_warnings(corpus) + [note for c in (points or [config]) for note in preflight(c, corpus)]
    for note in dict.fromkeys(notes):
        console.print(f"[yellow]warning:[/] {escape(note)}", highlight=False)
    return corpus


def report_leaks(config: ExperimentConfig, corpus: Corpus, console: Console, embedder: Embedder) -> int:
    """Count eval questions with a paraphrase in the training split (``near_duplicate_similarity``, with the
    index's embedder) and say so: a fine-tuned arm answering them recalls a trained question. Returns the count."""
    from ragvsft.near_duplicates import train_eval_leaks

    threshold = config.near_duplicate_similarity
    found = train_eval_leaks(corpus.qa, embedder, threshold)
    # A paraphrase tagged seen_fact is there on purpose: the slice that measures what fine-tuning memorised.
    declared = {q.id for q in corpus.split("eval") if "seen_fact" in q.tags}
    leaks = [leak for leak in found if leak.eval_id not in declared]
    evals = len(corpus.split("eval"))
    note = f"; {len(found) - len(leaks)} more are tagged seen_fact, on purpose" if len(found) > len(leaks) else ""
    if not leaks:
        console.print(f"near-duplicate check: none of the {evals} eval questions repeats a training question in "
                      f"other words (cosine ≥ {threshold:g}, same answer){note}", highlight=False)
        return 0
    shown = ", ".join(f"{leak.eval_id} ~ {leak.train_id} ({leak.similarity:.2f})" for leak in leaks[:5])
    console.print(f"[yellow]warning:[/] {len(leaks)} of {evals} eval questions have a near-duplicate in train "
                  f"(cosine ≥ {threshold:g}): {escape(shown)}{' …' if len(leaks) > 5 else ''}; give each pair the "
                  f"same split, or tag it seen_fact if that is the point{note}", highlight=False)
    return len(leaks)


# (label, done, total, info): how a recipe running in a child process reports progress to the parent.
ForwardFn = Callable[[str, int, int, str], None]
StepFn = Callable[..., None]  # (done, total, info="")


class ProgressReporter:
    """Live bars (steps, elapsed, ETA, loss...) on a terminal; a line per 10 % step elsewhere (CI logs, files)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[info]}"),
            console=console, transient=True, disable=not self.live,
        )
        self.tasks: dict[str, TaskID] = {}
        self.printed: dict[str, int] = {}  # label -> last tenth printed

    def update(self, label: str, done: int, total: int, info: str = "") -> None:
        if label not in self.tasks:
            self.tasks[label] = self.bar.add_task(label, total=total or None, info=info)
        self.bar.update(self.tasks[label], completed=done, total=total or None, info=info)
        tenth = done * 10 // total if total else 0
        if not self.live and total and tenth > self.printed.get(label, -1):
            self.printed[label] = tenth
            elapsed = self.bar.tasks[self.tasks[label]].elapsed or 0.0
            self.console.print(f"{label}: {done}/{total} {info} ({elapsed:.0f} s)", highlight=False)


@contextmanager
def progress(console: Console) -> Iterator[ProgressReporter]:
    reporter = ProgressReporter(console)
    with reporter.bar:
        yield reporter


@contextmanager
def step_progress(console: Console, label: str, forward: ForwardFn | None = None) -> Iterator[StepFn]:
    """A ``(done, total, info="")`` callback: drives a local bar, or forwards to a parent process's bar."""
    if forward is not None:
        yield lambda done, total, info="": forward(label, done, total, info)
        return
    with progress(console) as reporter:
        yield lambda done, total, info="": reporter.update(label, done, total, info)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_mb(path: Path) -> float:
    """Size of the files under ``path`` in MB (10^6 bytes): what an index or adapter costs to store and ship."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / 1e6

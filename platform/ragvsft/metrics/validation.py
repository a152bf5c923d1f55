"""How well a scorer separates supported from unsupported answers on a labelled set, and what it costs.

Example:
    >>> from ragvsft.metrics import TokenSupport
    >>> labelled = [LabelledAnswer("q1", "Limit?", "14 bar", "14 bar", ("Limit: 14 bar.",), "gold", True),
    ...             LabelledAnswer("q1", "Limit?", "20 bar", "14 bar", ("Limit: 14 bar.",), "swapped_number", False)]
    >>> report = validate(TokenSupport(), labelled)
    >>> report.auroc, report.auroc_by_kind, report.deterministic, report.length_matched
    (1.0, {'gold': 1.0, 'swapped_number': 1.0}, True, 1.0)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ragvsft.metrics.base import Metric, Sample
from ragvsft.metrics.labelled_set import LabelledAnswer
from ragvsft.stats import auroc, auroc_ci, correlation, length_matched_auroc


@dataclass(frozen=True)
class ScorerReport:
    """One scorer on one labelled set."""

    name: str
    scores: list[float | None]
    auroc: float
    """Chance a supported answer scores above an unsupported one (ties half, ``None`` as 0)."""
    interval: tuple[float, float]
    """95 % bootstrap interval of ``auroc``, resampling questions (their answers together)."""
    auroc_by_kind: dict[str, float]
    """The same for one kind of answer against every answer of the other label: where the scorer fails."""
    length_matched: float
    """AUROC over supported/unsupported pairs of similar length only: near 0.5 for a scorer that measures length."""
    length_matched_pairs: int
    correlation: float
    """Point-biserial correlation of the scores with the labels."""
    seconds_per_1000: float
    """Wall time to score 1,000 answers on this machine (first pass)."""
    unscored: int
    """Answers the scorer returned ``None`` for (nothing asserted, or a judge reply it could not parse)."""
    parse_failures: int | None
    """Judge replies that could not be parsed; ``None`` for judge-free scorers."""
    deterministic: bool | None
    """Whether a second pass gave identical scores (``None``: not repeated)."""


def validate(metric: Metric, labelled: Sequence[LabelledAnswer], *, repeat: bool = True,
             on_progress: Callable[[int, int], None] | None = None) -> ScorerReport:
    """Score ``labelled`` with ``metric`` (twice when ``repeat``) and measure separation and cost.

    ``on_progress(done, total)`` is called after each batch of answers (an LLM judge takes minutes).
    """
    samples = [Sample(a.question, a.answer, a.gold_answer, a.evidence) for a in labelled]
    labels = [a.supported for a in labelled]
    total = len(samples) * (2 if repeat else 1)
    report = on_progress or (lambda done, total: None)
    started = time.perf_counter()
    scores, failures = _score(metric, samples, lambda done: report(done, total))
    seconds = time.perf_counter() - started
    deterministic = None
    if repeat:  # the same scorer on the same answers must give the same numbers
        again, _ = _score(metric, samples, lambda done: report(len(samples) + done, total))
        deterministic = again == scores
    by_kind, labels_of = {}, {}
    for a in labelled:
        labels_of.setdefault(a.kind, set()).add(a.supported)
    for kind in sorted(labels_of):
        # This kind's answers against every answer of the other label (a kind holding both labels: against none
        # outside it, so its AUROC is within the kind).
        keep = [i for i, a in enumerate(labelled) if a.kind == kind or a.supported not in labels_of[kind]]
        by_kind[kind] = auroc([scores[i] for i in keep], [labels[i] for i in keep])
    estimate = auroc_ci(scores, labels, [a.qa_id for a in labelled])
    matched, pairs = length_matched_auroc(scores, labels, [len(a.answer.split()) for a in labelled])
    return ScorerReport(
        name=metric.name, scores=scores, auroc=estimate.mean, interval=(estimate.low, estimate.high),
        auroc_by_kind=by_kind, length_matched=matched, length_matched_pairs=pairs,
        correlation=correlation(scores, labels), seconds_per_1000=seconds * 1000 / max(len(samples), 1),
        unscored=sum(s is None for s in scores), parse_failures=failures, deterministic=deterministic,
    )


def _score(metric: Metric, samples: Sequence[Sample], on_batch: Callable[[int], object],
           batch: int = 64) -> tuple[list[float | None], int | None]:
    """Scores in batches (for progress), and the judge's parse failures summed over them (``None``: no judge)."""
    scores: list[float | None] = []
    failures: int | None = None
    for start in range(0, len(samples), batch):
        scores += metric.score(samples[start:start + batch])
        if hasattr(metric, "parse_failures"):
            failures = (failures or 0) + metric.parse_failures
        on_batch(len(scores))
    return scores, failures

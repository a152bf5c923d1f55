"""Statistics for the report: bootstrap intervals, paired arm comparisons, AUROC. Seeded: same data, same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A mean and its 95 % bootstrap interval over ``n`` values.

    Example:
        >>> mean_ci([1.0, 0.0, 1.0, 1.0], seed=0).mean
        0.75
    """

    mean: float
    low: float
    high: float
    n: int

    def __str__(self) -> str:
        return f"{self.mean:.3f} [{self.low:.3f}, {self.high:.3f}]"


def mean_ci(values: Sequence[float | None], *, seed: int = 0, resamples: int = 2000, level: float = 0.95) -> Estimate:
    """Percentile bootstrap of the mean; ``None`` values (metric not applicable) are left out."""
    data = np.array([v for v in values if v is not None], dtype=float)
    if data.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    low, high = _bootstrap_interval(data, np.random.default_rng(seed), resamples, level)
    return Estimate(float(data.mean()), low, high, int(data.size))


def _bootstrap_interval(data: np.ndarray, rng: np.random.Generator, resamples: int, level: float) -> tuple[float, float]:
    """Percentile interval of the mean of ``data`` resampled with replacement."""
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


@dataclass(frozen=True)
class PairedTest:
    """Mean difference ``a - b`` over the questions both arms answered, its 95 % paired-bootstrap interval, and the
    two-sided sign-flip permutation p-value.

    Example:
        >>> str(PairedTest(0.12, 0.08, 0.16, 0.0004, 171))
        '+0.120 [+0.080, +0.160], p<0.001'
    """

    diff: float
    low: float
    high: float
    p: float
    n: int

    def __str__(self) -> str:
        return f"{self.diff:+.3f} [{self.low:+.3f}, {self.high:+.3f}], {format_p(self.p)}"


def format_p(p: float) -> str:
    """``p<0.001``, ``p<0.01``, else two decimals (``p=0.04``, ``p=0.73``)."""
    if p != p:
        return "p=n/a"
    return "p<0.001" if p < 0.001 else "p<0.01" if p < 0.01 else f"p={p:.2f}"


def paired_test(
    a: Sequence[float | None], b: Sequence[float | None], *, seed: int = 0, resamples: int = 10000, level: float = 0.95
) -> PairedTest:
    """Compare two arms on the same questions (``a[i]`` and ``b[i]`` are the same question).

    Questions where either value is ``None`` are left out. The interval
    resamples questions (paired bootstrap); the p-value flips the sign of each
    question's difference at random (exact under "the arms are exchangeable"),
    counting the observed one, so it is never 0.
    """
    if len(a) != len(b):
        raise ValueError(f"paired values must align: {len(a)} vs {len(b)}")
    diffs = np.array([x - y for x, y in zip(a, b) if x is not None and y is not None], dtype=float)
    if diffs.size == 0:
        return PairedTest(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    low, high = _bootstrap_interval(diffs, rng, resamples, level)
    signs = rng.choice([-1.0, 1.0], size=(resamples, diffs.size))
    extreme = int(np.sum(np.abs((signs * diffs).mean(axis=1)) >= abs(diffs.mean()) - 1e-12))
    return PairedTest(float(diffs.mean()), low, high, (extreme + 1) / (resamples + 1), int(diffs.size))


MIN_QUESTIONS_TO_COMPARE = 10  # below this a bootstrap interval is too unstable to read, whatever p can reach


def too_few_questions(n: int, comparisons: int, *, alpha: float = 0.05) -> str:
    """Why ``n`` paired questions cannot separate arms over ``comparisons`` Holm-adjusted pairs; empty when they can.

    The smallest two-sided sign-flip p-value on ``n`` questions is 2 / 2**n (every question favours the same arm),
    and Holm multiplies the smallest one by the number of pairs.

    Example:
        >>> too_few_questions(4, 6).split(";")[0]
        'only 4 eval questions: no difference between arms can reach p < 0.05 (the smallest possible p over 6 pair(s) is 0.75)'
        >>> too_few_questions(40, 6)
        ''
    """
    smallest = min(1.0, max(comparisons, 1) * 2.0 ** (1 - n))
    if smallest >= alpha:
        reason = (f"no difference between arms can reach p < {alpha:g} (the smallest possible p over {comparisons} "
                  f"pair(s) is {smallest:.2g})")
    elif n < MIN_QUESTIONS_TO_COMPARE:
        reason = "confidence intervals from so few questions are unreliable"
    else:
        return ""
    return f"only {n} eval questions: {reason}; add eval questions before reading the comparisons"


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (family-wise error over several arm pairs), in the input order.

    Example:
        >>> holm([0.01, 0.04, 0.03])
        [0.03, 0.06, 0.06]
    """
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[i]))
        adjusted[i] = round(running, 12)
    return adjusted


def auroc(scores: Sequence[float | None], labels: Sequence[bool]) -> float:
    """Area under the ROC curve: the chance a positive scores above a negative (ties count half).

    ``None`` scores count as 0 — a scorer that gives up on an answer has not vouched for it.

    Example:
        >>> auroc([0.9, 0.8, 0.3, 0.8], [True, True, False, False])
        0.875
    """
    from scipy.stats import rankdata

    values = np.array([0.0 if s is None else s for s in scores], dtype=float)
    positive = np.asarray(labels, dtype=bool)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if not n_pos or not n_neg:
        return float("nan")
    ranks = rankdata(values)  # average ranks for ties: Mann-Whitney U
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auroc_ci(scores: Sequence[float | None], labels: Sequence[bool], groups: Sequence[str], *, seed: int = 0,
             resamples: int = 1000, level: float = 0.95) -> Estimate:
    """AUROC with a percentile bootstrap interval that resamples whole ``groups`` (answers to one question move
    together: they share evidence, so they are not independent).

    Example:
        >>> e = auroc_ci([0.9, 0.2, 0.8, 0.3, 0.4, 0.6], [True, False] * 3, ["a", "a", "b", "b", "c", "c"])
        >>> e.mean, e.n, e.low <= e.mean <= e.high
        (0.8888888888888888, 6, True)
    """
    point = auroc(scores, labels)
    members: dict[str, list[int]] = {}
    for i, group in enumerate(groups):
        members.setdefault(group, []).append(i)
    blocks = [np.array(ix) for ix in members.values()]
    values, positive = np.array([0.0 if s is None else s for s in scores]), np.asarray(labels, dtype=bool)
    rng, draws = np.random.default_rng(seed), []
    for _ in range(resamples):
        ix = np.concatenate([blocks[b] for b in rng.integers(0, len(blocks), len(blocks))])
        if positive[ix].any() and not positive[ix].all():
            draws.append(auroc(values[ix], positive[ix]))
    if not draws or point != point:
        return Estimate(point, float("nan"), float("nan"), len(values))
    tail = (1 - level) / 2
    return Estimate(point, float(np.quantile(draws, tail)), float(np.quantile(draws, 1 - tail)), len(values))


def length_matched_auroc(scores: Sequence[float | None], labels: Sequence[bool], lengths: Sequence[int], *,
                         tolerance: float = 0.25, slack: int = 2) -> tuple[float, int]:
    """AUROC over only the (positive, negative) pairs of similar length, and how many such pairs there are.

    Two answers are of similar length when their word counts differ by at most ``slack`` words or ``tolerance``
    of the longer one. A scorer that ranks by length alone is near 0.5 here, however well it does overall (the
    example: 0.75 overall, a coin toss among pairs of equal length).

    Example:
        >>> length_matched_auroc([1.0, 0.9, 0.1, 0.95], [True, True, False, False], [2, 12, 2, 12])
        (0.5, 2)
    """
    values = np.array([0.0 if s is None else s for s in scores])
    positive, words = np.asarray(labels, dtype=bool), np.asarray(lengths, dtype=float)
    neg_values, neg_words = values[~positive], words[~positive]
    wins, pairs = 0.0, 0
    for value, length in zip(values[positive], words[positive]):
        close = np.abs(neg_words - length) <= np.maximum(slack, tolerance * np.maximum(neg_words, length))
        against = neg_values[close]
        wins += float((value > against).sum() + 0.5 * (value == against).sum())
        pairs += int(close.sum())
    return (wins / pairs if pairs else float("nan")), pairs


def correlation(scores: Sequence[float | None], labels: Sequence[bool]) -> float:
    """Pearson correlation of scores with 0/1 labels (point-biserial); ``None`` scores count as 0.

    Example:
        >>> round(correlation([1.0, 0.8, 0.1, 0.0], [True, True, False, False]), 3)
        0.983
    """
    values = np.array([0.0 if s is None else s for s in scores], dtype=float)
    target = np.asarray(labels, dtype=float)
    if values.std() == 0 or target.std() == 0:
        return float("nan")
    return float(np.corrcoef(values, target)[0, 1])

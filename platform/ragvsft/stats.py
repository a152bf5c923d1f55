"""Means with bootstrap confidence intervals, seeded so the same results give the same numbers."""

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
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    tail = (1 - level) / 2
    return Estimate(float(data.mean()), float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail)), int(data.size))


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")

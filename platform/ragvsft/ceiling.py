"""Where prompting + RAG stops improving: curves over a sweep, the plateau, and the oracle bound.

A curve follows one arm along one swept key with every other swept key at the
experiment file's own value (or, when the file's value is not on that axis,
the axis' first value). Every point is a mean with its 95 % bootstrap
interval, and keeps its per-question scores so any two points can be compared
question by question.

The plateau of a curve is its smallest setting whose paired difference to the
curve's best setting is not significant (Holm-adjusted over the curve's
points, at ``alpha``): more than that buys nothing measurable. ``base`` is the
curve's ``top_k = 0`` and ``few_shot = 0`` end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ragvsft.evaluation import EvalRecord
from ragvsft.results import ExperimentResults, PointResult
from ragvsft.stats import Estimate, PairedTest, holm, mean_ci, paired_test, percentile


@dataclass(frozen=True)
class CurvePoint:
    """One arm at one setting: ``x`` on the curve, the mean with its interval, and each question's score."""

    x: float
    estimate: Estimate
    scores: dict[str, float | None]  # question id -> the metric's value
    prompt_tokens: float  # mean tokens the prompts held (question, passages, examples)
    latency_ms_p50: float = float("nan")
    vs_best: PairedTest | None = None  # paired difference to the curve's best point (Holm-adjusted p)


@dataclass(frozen=True)
class Curve:
    """``arm`` along ``axis`` (a config key, or ``training examples``); ``series`` names one line of a family."""

    arm: str
    axis: str
    points: list[CurvePoint]
    series: str = ""
    plateau: CurvePoint | None = None
    best: CurvePoint | None = None


@dataclass(frozen=True)
class Ceiling:
    """The curves of a sweep and the single points that bound them, for one quality metric."""

    metric: str
    curves: dict[str, Curve] = field(default_factory=dict)
    at_base: dict[str, CurvePoint] = field(default_factory=dict)  # every arm at the experiment file's setting

    @property
    def rag(self) -> CurvePoint | None:
        """RAG at the plateau of its top-k curve; without a top-k sweep, the ``rag`` arm as configured."""
        curve = self.curves.get("rag_top_k")
        return curve.plateau if curve and curve.plateau else self.at_base.get("rag")


def point_of(records: Sequence[EvalRecord], metric: str, x: float, seed: int = 0) -> CurvePoint:
    """Summarise one arm's records at one setting.

    Example:
        >>> r = EvalRecord("rag", "q1", "?", "a", "a", (), (), (), 1.0, 9.0, 2, {"token_f1": 1.0}, prompt_tokens=40)
        >>> p = point_of([r], "token_f1", 4)
        >>> p.x, p.estimate.mean, p.prompt_tokens
        (4, 1.0, 40.0)
    """
    scores = {r.qa_id: r.scores.get(metric) for r in records}
    prompt_tokens = sum(r.prompt_tokens for r in records) / len(records) if records else float("nan")
    return CurvePoint(x, mean_ci(list(scores.values()), seed=seed), scores, prompt_tokens,
                      percentile([r.latency_ms for r in records], 50))


def compare(a: CurvePoint, b: CurvePoint, seed: int = 0) -> PairedTest:
    """Paired difference ``a - b`` over the questions both answered."""
    shared = [q for q in a.scores if q in b.scores]
    return paired_test([a.scores[q] for q in shared], [b.scores[q] for q in shared], seed=seed)


def locate_plateau(curve: Curve, alpha: float, seed: int = 0) -> Curve:
    """The curve with its best point, each point's paired test against the best, and the plateau.

    Example:
        >>> pts = [point_of([EvalRecord("rag", f"q{i}", "?", "a", "", (), (), (), 0, 0, 1, {"f1": float(i < n)})
        ...         for i in range(40)], "f1", k) for k, n in ((1, 5), (2, 30), (4, 31))]
        >>> c = locate_plateau(Curve("rag", "index.top_k", pts), alpha=0.05)
        >>> c.best.x, c.plateau.x
        (4, 2)
    """
    points = [p for p in curve.points if p.estimate.n]
    if not points:
        return curve
    best = max(points, key=lambda p: p.estimate.mean)
    tests = [compare(p, best, seed) for p in points]
    adjusted = holm([t.p if p is not best else 1.0 for p, t in zip(points, tests)])
    with_tests = [replace(p, vs_best=replace(t, p=q)) for p, t, q in zip(points, tests, adjusted)]
    plateau = next(p for p in sorted(with_tests, key=lambda p: p.x)
                   if p.x == best.x or not (p.vs_best.p < alpha))  # NaN p (no shared questions) counts as "same"
    best = next(p for p in with_tests if p.x == best.x)
    return replace(curve, points=sorted(with_tests, key=lambda p: p.x), best=best, plateau=plateau)


def _base_value(results: ExperimentResults, axis: str) -> Any:
    listed = [p.values.get(axis) for p in results.points]
    return results.base_values.get(axis) if results.base_values.get(axis) in listed else listed[0]


def _slice(results: ExperimentResults, vary: Sequence[str], fixed: dict[str, Any] | None = None) -> list[PointResult]:
    """Points where every swept key outside ``vary`` is at its base value (or at ``fixed``'s)."""
    fixed = fixed or {}
    want = {a: fixed.get(a, _base_value(results, a)) for a in results.axes if a not in vary}
    return [p for p in results.points if all(p.values.get(a) == v for a, v in want.items())]


def base_point(results: ExperimentResults) -> PointResult:
    """The point at the experiment file's own settings (an axis that does not list the file's value: its first)."""
    return _slice(results, ())[0]


def analyse(results: ExperimentResults, metric: str, *, alpha: float = 0.05, seed: int = 0) -> Ceiling:
    """Every curve the sweep's axes allow, each with its plateau, plus every arm at the base setting.

    Example:
        >>> ceiling = analyse(ExperimentResults.load(path), "token_f1")  # doctest: +SKIP
        >>> ceiling.curves["rag_top_k"].plateau.x  # doctest: +SKIP
        4
    """
    arms = {arm for p in results.points for arm in p.records}
    at_base = {arm: point_of(rs, metric, 0, seed) for arm, rs in base_point(results).records.items()}
    curves: dict[str, Curve] = {}

    def along(arm: str, key: str, *, label: str = "", fixed: dict[str, Any] | None = None, series: str = "",
              start: CurvePoint | None = None) -> Curve | None:
        """``arm`` along the swept ``key``; x is the key's value, or the training examples for ``label``."""
        points = [point_of(p.records[arm], metric, p.train_examples if label else p.values[key], seed)
                  for p in _slice(results, (key,), fixed) if arm in p.records]
        points = ([start] if start is not None else []) + points
        if len({p.x for p in points}) < 2:
            return None
        return locate_plateau(Curve(arm, label or key, points, series), alpha, seed)

    base_start = replace(at_base["base"], x=0) if "base" in at_base else None
    if "index.top_k" in results.axes:
        for arm in sorted(arms & {"rag", "hybrid", "oracle", "oracle_finetuned"}):
            # k = 0 of the RAG curve is the base model: no passages at all.
            curves[f"{arm}_top_k"] = along(arm, "index.top_k", start=base_start if arm == "rag" else None)
    if "prompt.few_shot" in results.axes:
        for arm in sorted(arms & {"base", "rag", "finetuned", "hybrid"}):
            curves[f"{arm}_few_shot"] = along(arm, "prompt.few_shot")
    if "finetune.train_fraction" in results.axes:
        recipes = ([""] if "finetune.recipe" not in results.axes
                   else list(dict.fromkeys(p.values["finetune.recipe"] for p in results.points)))
        for arm in sorted(arms & {"finetuned", "hybrid"}):
            for recipe in recipes:
                curves[f"{arm}_examples" + (f"_{recipe}" if recipe else "")] = along(
                    arm, "finetune.train_fraction", label="training examples", series=recipe,
                    fixed={"finetune.recipe": recipe} if recipe else None)
    return Ceiling(metric, {k: c for k, c in curves.items() if c is not None}, at_base)


def best_over(results: ExperimentResults, arm: str, metric: str, seed: int = 0) -> tuple[CurvePoint, dict] | None:
    """The arm's best point anywhere in the sweep, with the setting it was measured at."""
    found = [(point_of(p.records[arm], metric, 0, seed), p.values) for p in results.points if arm in p.records]
    found = [(c, v) for c, v in found if c.estimate.n]
    return max(found, key=lambda cv: cv[0].estimate.mean) if found else None

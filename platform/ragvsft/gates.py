"""Promotion gates: may a challenger release replace the champion?

For every gated arm, answered by both releases on the same eval questions:

1. **quality**: the challenger's primary metric may not be lower than the
   champion's beyond chance — it fails only when the whole 95 % paired
   bootstrap interval of (challenger - champion) lies below zero;
2. **faithfulness floor**: arms that answer from retrieved passages must have
   a mean ``faithfulness`` of at least the floor (closed-book arms are judged
   against gold documents they never saw; the quality gate covers them); a
   floor of 0 turns this gate off;
3. **latency**: the challenger's p95 may be at most ``latency_p95_ratio`` times
   the champion's, and at most ``max_latency_ms_p95`` when that is set.

Without a champion (the first release) only the absolute gates apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass

from ragvsft.arms import ARMS
from ragvsft.evaluation import EvalRecord
from ragvsft.stats import paired_test, percentile


@dataclass(frozen=True)
class GateSettings:
    """Thresholds of the promotion gates (``[retrain.gates]`` in the experiment file).

    Example:
        >>> GateSettings().latency_p95_ratio
        1.5
    """

    metric: str = "token_f1"
    """Primary metric: the challenger fails when (challenger - champion) is below zero with its whole 95 % paired
    bootstrap interval."""
    faithfulness_floor: float = 0.4
    """Mean ``faithfulness`` every arm that answers from passages (rag, hybrid) must reach. Set for the question-aware
    scorer (2026-11-26), which no longer credits restated question words or half a wrong figure: the demo's
    SmolLM2-135M rag and hybrid arms measure 0.45 and 0.44 with it (0.51 and 0.60 with the earlier scorer, when
    this floor was 0.5)."""
    latency_p95_ratio: float = 1.5
    """The challenger's p95 latency may be at most this multiple of the champion's, measured on the same questions
    (a cached answer keeps the latency measured when it was generated)."""
    max_latency_ms_p95: float = 0.0
    """An absolute ceiling on the challenger's p95 latency in ms (0: none)."""


@dataclass(frozen=True)
class Gate:
    """One row of the gate table.

    Example:
        >>> Gate("hybrid", "token_f1", 0.30, 0.33, 0.03, -0.01, 0.07, "CI high >= 0", True).row()["passed"]
        True
    """

    arm: str
    check: str
    champion: float | None
    challenger: float
    diff: float | None
    ci_low: float | None
    ci_high: float | None
    threshold: str
    passed: bool

    def row(self) -> dict[str, object]:
        return asdict(self)


def _p95(records: Sequence[EvalRecord]) -> float:
    return percentile([r.latency_ms for r in records], 95)


def check_gates(champion: Mapping[str, Sequence[EvalRecord]] | None, challenger: Mapping[str, Sequence[EvalRecord]],
                settings: GateSettings, *, seed: int = 0) -> list[Gate]:
    """The gate table for every arm the challenger answered (``champion`` None: the first release).

    Example:
        >>> from ragvsft.evaluation import EvalRecord
        >>> def recs(f1, ms): return [EvalRecord("rag", f"q{i}", "", "", "", (), (), (), 0.0, ms, 1,
        ...                                       {"token_f1": f1, "faithfulness": 0.9}) for i in range(20)]
        >>> gates = check_gates({"rag": recs(0.6, 100.0)}, {"rag": recs(0.2, 120.0)}, GateSettings())
        >>> [(g.check, g.passed) for g in gates]
        [('token_f1', False), ('faithfulness floor', True), ('latency p95', True)]
    """
    gates = []
    for arm, new in challenger.items():
        old = {r.qa_id: r for r in (champion or {}).get(arm, ())}
        if old:
            shared = [r for r in new if r.qa_id in old]
            test = paired_test([r.scores.get(settings.metric) for r in shared],
                               [old[r.qa_id].scores.get(settings.metric) for r in shared], seed=seed)
            gates.append(Gate(arm, settings.metric, _mean(old.values(), settings.metric), _mean(new, settings.metric),
                              test.diff, test.low, test.high, "CI high >= 0", test.n == 0 or test.high >= 0))
        if settings.faithfulness_floor > 0 and arm in ARMS and ARMS[arm].context != "none":
            faithful = _mean(new, "faithfulness")  # NaN when no answer could be scored: that fails the floor
            gates.append(Gate(arm, "faithfulness floor", _mean(old.values(), "faithfulness") if old else None, faithful,
                              None, None, None, f">= {settings.faithfulness_floor:g}",
                              faithful >= settings.faithfulness_floor))
        ceilings = ([_p95(list(old.values())) * settings.latency_p95_ratio] if old else []) + (
            [settings.max_latency_ms_p95] if settings.max_latency_ms_p95 > 0 else [])
        if ceilings:
            p95 = _p95(new)
            gates.append(Gate(arm, "latency p95", _p95(list(old.values())) if old else None, p95, None, None, None,
                              f"<= {min(ceilings):,.0f} ms", p95 <= min(ceilings)))
    return gates


def _mean(records: Iterable[EvalRecord], metric: str) -> float:
    values = [v for r in records if (v := r.scores.get(metric)) is not None]
    return sum(values) / len(values) if values else float("nan")

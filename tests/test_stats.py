"""Bootstrap intervals, paired arm comparisons, AUROC: seeded, and right on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from ragvsft.evaluation import EvalRecord, compare_arms
from ragvsft.report import winners
from ragvsft.stats import Estimate, PairedTest, auroc, correlation, format_p, holm, mean_ci, paired_test


def test_bootstrap_interval_is_seeded_and_covers_the_mean() -> None:
    values = [1.0] * 30 + [0.0] * 70 + [None] * 5
    first, again = mean_ci(values, seed=3), mean_ci(values, seed=3)
    assert first == again and first.n == 100
    assert first.mean == pytest.approx(0.3)
    assert 0.2 < first.low < 0.3 < first.high <= 0.41
    assert mean_ci([None]).n == 0


def test_paired_test_finds_a_real_difference() -> None:
    rng = np.random.default_rng(1)
    base = rng.uniform(0, 0.5, 150)
    better = base + 0.1 + rng.normal(0, 0.05, 150)  # +0.1 on every question, small noise
    test = paired_test(list(better), list(base), seed=0)
    assert test.diff == pytest.approx(0.1, abs=0.02)
    assert 0.0 < test.low < test.diff < test.high < 0.2
    assert test.p < 0.001 and test.n == 150
    assert paired_test(list(better), list(base), seed=0) == test  # seeded


def test_paired_test_is_paired() -> None:
    # Two arms with widely spread scores, one always 0.02 higher on the same question: unpaired intervals
    # would overlap completely; the paired test sees the consistent gain.
    spread = np.linspace(0, 0.9, 60)
    test = paired_test(list(spread + 0.02), list(spread))
    assert test.diff == pytest.approx(0.02) and test.low == pytest.approx(0.02) and test.p < 0.001


def test_paired_test_without_a_difference() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.uniform(0, 1, 200), rng.uniform(0, 1, 200)  # exchangeable arms
    test = paired_test(list(a), list(b), seed=0)
    assert test.low < 0 < test.high and test.p > 0.05
    same = paired_test([0.5] * 20, [0.5] * 20)
    assert same.diff == 0.0 and same.p == 1.0


def test_paired_test_skips_questions_missing_on_either_side() -> None:
    test = paired_test([1.0, None, 1.0, 0.0], [0.0, 1.0, None, 0.0])
    assert test.n == 2 and test.diff == 0.5
    assert paired_test([None], [1.0]).n == 0
    with pytest.raises(ValueError, match="align"):
        paired_test([1.0], [1.0, 0.0])


def test_holm_and_p_formatting() -> None:
    assert holm([0.01, 0.04, 0.03]) == [0.03, 0.06, 0.06]
    assert holm([0.5, 0.9]) == [1.0, 1.0]
    assert holm([]) == []
    assert [format_p(p) for p in (0.0004, 0.004, 0.0449, 0.73)] == ["p<0.001", "p<0.01", "p=0.04", "p=0.73"]
    assert str(PairedTest(0.12, 0.08, 0.16, 0.004, 10)) == "+0.120 [+0.080, +0.160], p<0.01"


def test_auroc() -> None:
    assert auroc([0.9, 0.8, 0.2, 0.1], [True, True, False, False]) == 1.0
    assert auroc([0.1, 0.2, 0.8, 0.9], [True, True, False, False]) == 0.0
    assert auroc([0.5, 0.5, 0.5, 0.5], [True, True, False, False]) == 0.5  # ties count half
    assert auroc([None, 0.5], [True, False]) == 0.0  # a scorer that gave up did not vouch for the answer
    assert np.isnan(auroc([0.5, 0.6], [True, True]))
    assert correlation([1.0, 1.0, 0.0, 0.0], [True, True, False, False]) == pytest.approx(1.0)


def _records(arm: str, values: list[float | None]) -> list[EvalRecord]:
    return [EvalRecord(arm, f"q{i}", "q", "a", "a", (), (), (), 0.0, 1.0, 1, {"token_f1": v})
            for i, v in enumerate(values)]


def test_compare_arms_pairs_by_question_and_adjusts_over_pairs() -> None:
    rng = np.random.default_rng(0)
    base = list(rng.uniform(0, 0.3, 80))
    records = {
        "base": _records("base", base),
        "rag": _records("rag", [v + 0.2 for v in base]),
        "finetuned": list(reversed(_records("finetuned", [v + 0.1 for v in base]))),  # order must not matter
    }
    out = compare_arms(records, ["token_f1", "not_scored"], seed=0)
    assert list(out) == [("rag", "base"), ("finetuned", "base"), ("finetuned", "rag")]
    assert out["rag", "base"]["token_f1"].diff == pytest.approx(0.2)
    assert out["finetuned", "rag"]["token_f1"].diff == pytest.approx(-0.1)
    assert "not_scored" not in out["rag", "base"]
    raw = paired_test([r.scores["token_f1"] for r in records["rag"]], base, seed=0).p
    assert out["rag", "base"]["token_f1"].p == pytest.approx(min(1.0, 3 * raw))  # Holm: smallest of 3 times 3


def test_winners_pick_the_best_mean_and_lowest_latency() -> None:
    summaries = {
        "base": {"token_f1": Estimate(0.1, 0.0, 0.2, 10), "latency_ms_p50": 100.0},
        "rag": {"token_f1": Estimate(0.6, 0.5, 0.7, 10), "latency_ms_p50": 300.0},
        "closed": {"token_f1": Estimate(float("nan"), float("nan"), float("nan"), 0), "latency_ms_p50": 50.0},
    }
    assert winners(summaries, ["token_f1", "latency_ms_p50"]) == {"token_f1": "rag", "latency_ms_p50": "closed"}

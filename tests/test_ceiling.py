"""Ceiling analysis and verdict rules on results built by hand: each rule fires on the numbers it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragvsft.ceiling import analyse
from ragvsft.decision_report import comparison, render_html, render_markdown
from ragvsft.evaluation import EvalRecord
from ragvsft.results import ExperimentResults, PointResult
from ragvsft.verdict import decide

N = 40
SETTINGS = {"metric": "token_f1", "alpha": 0.05, "faithfulness_threshold": 0.5, "cpu_hour_price": 0.1,
            "gpu_hour_price": 2.5}
SPECS = {"base": {"context": "none", "adapter": False, "description": "base model"},
         "rag": {"context": "retrieved", "adapter": False, "description": "retrieval"},
         "finetuned": {"context": "none", "adapter": True, "description": "adapter"},
         "hybrid": {"context": "retrieved", "adapter": True, "description": "adapter + retrieval"},
         "oracle": {"context": "oracle", "adapter": False, "description": "gold passages"}}


def arm(name: str, correct: int, *, latency_ms: float = 100.0, prompt_tokens: int = 50) -> list[EvalRecord]:
    """``correct`` of N questions right (the first ones, so arms nest and paired tests are sharp)."""
    return [EvalRecord(name, f"q{i}", "?", "gold", "answer", (), (), (), 1.0, latency_ms, 4,
                       {"token_f1": float(i < correct), "faithfulness": float(i < correct)}, prompt_tokens)
            for i in range(N)]


def point(values: dict, correct: dict[str, int], *, examples: int = 100, **latency: float) -> PointResult:
    return PointResult(values, {a: arm(a, c, latency_ms=latency.get(a, 100.0), prompt_tokens=50 + 100 * values.get(
        "index.top_k", 1) * (a != "base")) for a, c in correct.items()},
                       {a: 20.0 for a in correct}, {a: 900.0 for a in correct}, train_examples=examples,
                       index_mb=1.5, adapter_mb=3.0, train_s=120.0)


def results(points: list[PointResult], axes: tuple[str, ...] = (), base: dict | None = None) -> ExperimentResults:
    return ExperimentResults("x", "corpus", "sweep" if axes else "run", "run-id", axes, base or {}, SPECS, SETTINGS,
                             points)


def test_the_rag_curve_starts_at_base_and_its_plateau_is_the_first_setting_no_worse_than_the_best() -> None:
    pts = [point({"index.top_k": k}, {"base": 5, "rag": c}) for k, c in ((1, 10), (2, 30), (4, 31), (8, 29))]
    ceiling = analyse(results(pts, ("index.top_k",), {"index.top_k": 2}), "token_f1")
    curve = ceiling.curves["rag_top_k"]
    assert [p.x for p in curve.points] == [0, 1, 2, 4, 8] and curve.points[0].estimate.mean == 5 / N
    assert curve.best.x == 4 and curve.plateau.x == 2
    assert curve.points[1].vs_best.p < 0.05 <= curve.points[2].vs_best.p
    assert [p.prompt_tokens for p in curve.points] == [50, 150, 250, 450, 850]


def test_the_finetuning_curve_runs_over_training_examples_per_recipe() -> None:
    pts = [point({"finetune.train_fraction": f, "finetune.recipe": r}, {"base": 5, "finetuned": c}, examples=int(f * 100))
           for (f, r, c) in ((0.5, "closed_book", 10), (1.0, "closed_book", 20), (0.5, "raft", 12), (1.0, "raft", 30))]
    ceiling = analyse(results(pts, ("finetune.train_fraction", "finetune.recipe"),
                              {"finetune.train_fraction": 1.0, "finetune.recipe": "closed_book"}), "token_f1")
    assert set(ceiling.curves) == {"finetuned_examples_closed_book", "finetuned_examples_raft"}
    raft = ceiling.curves["finetuned_examples_raft"]
    assert [(p.x, p.estimate.mean) for p in raft.points] == [(50, 12 / N), (100, 30 / N)] and raft.series == "raft"
    assert ceiling.at_base["finetuned"].estimate.mean == 20 / N  # the file's own setting: closed_book, 1.0


@pytest.mark.parametrize(("correct", "latency", "rule"), [
    ({"base": 10, "rag": 11, "finetuned": 10, "hybrid": 11, "oracle": 12}, {}, "nothing_helps"),
    ({"base": 10, "rag": 14, "finetuned": 12, "hybrid": 30, "oracle": 11}, {}, "cannot_read_context"),
    ({"base": 5, "rag": 20, "finetuned": 15, "hybrid": 32, "oracle": 36}, {}, "both"),
    ({"rag": 10, "hybrid": 24}, {}, "both"),  # no closed-book arm measured: hybrid against RAG alone
    ({"base": 5, "rag": 20, "finetuned": 32, "hybrid": 30, "oracle": 22}, {}, "finetune_closed_book"),
    ({"base": 5, "rag": 20, "finetuned": 20, "hybrid": 20, "oracle": 21}, {"finetuned": 40.0}, "finetune_closed_book"),
    ({"base": 5, "rag": 30, "finetuned": 10, "hybrid": 30, "oracle": 31}, {}, "rag_enough"),
    ({"base": 5, "rag": 20, "finetuned": 8, "hybrid": 21, "oracle": 38}, {}, "retrieval_bottleneck"),
])
def test_each_verdict_rule_fires_on_its_numbers(correct: dict[str, int], latency: dict, rule: str) -> None:
    res = results([point({}, correct, **latency)])
    verdict = decide(res, analyse(res, "token_f1"))
    assert verdict.rule == rule, str(verdict)
    assert "[" in verdict.evidence  # the evidence quotes intervals


def test_a_faster_fine_tune_matches_rag_only_when_its_interval_rules_out_a_loss_beyond_the_margin() -> None:
    # 2 of 40 questions apart: no significant difference (p=0.5), but the interval of (fine-tune - RAG) reaches
    # well below -0.05: too few questions to tell, which must not read as "the fine-tune matches RAG".
    res = results([point({}, {"base": 5, "rag": 22, "finetuned": 20, "hybrid": 22, "oracle": 22}, finetuned=40.0)])
    ceiling = analyse(res, "token_f1")
    verdict = decide(res, ceiling)
    assert verdict.rule == "rag_enough", str(verdict)
    assert "The closed-book fine-tune is faster (p50 41 ms vs 101 ms), but its difference to RAG, -0.05 [-0.12, " \
           "+0.00], does not rule out a loss beyond 0.05 (report.match_margin)" in verdict.evidence
    # A team that accepts a loss of up to 0.15 for the speed: the same numbers match.
    wide = decide(res, ceiling, match_margin=0.15)
    assert wide.rule == "finetune_closed_book" and "-0.05 [-0.12, +0.00] vs RAG" in wide.evidence, str(wide)


def test_the_report_states_measured_costs_and_embeds_its_plots(tmp_path: Path) -> None:
    res = results([point({}, {"base": 5, "rag": 30, "finetuned": 10, "hybrid": 30, "oracle": 31},
                         rag=300.0)])
    ceiling = analyse(res, "token_f1")
    rows = {r.arm: r for r in comparison(res, ceiling, SETTINGS)}
    assert rows["rag"].latency_ms_p50 == 301.0 and rows["rag"].index_mb == 1.5 and rows["rag"].adapter_mb == 0
    assert rows["hybrid"].adapter_mb == 3.0 and rows["hybrid"].train_s == 120.0 and rows["base"].train_s == 0
    assert rows["rag"].hallucination_rate == pytest.approx(1 - 30 / N)
    assert rows["base"].unfaithful_share == pytest.approx(1 - 5 / N)
    # 4 new tokens at 20 tokens/s + 1 ms retrieval = 0.201 s per answer, at 0.1 USD/hour, times 1,000.
    assert rows["rag"].usd_per_1000 == pytest.approx(0.201 * 1000 / 3600 * 0.1)
    (tmp_path / "arms.png").write_bytes(b"\x89PNG fake")
    text = render_markdown(res, ceiling, decide(res, ceiling), list(rows.values()), {"arms": "arms.png"}, SETTINGS)
    assert "## Verdict: RAG is enough." in text and "| rag | retrieval | 0.750 [" in text
    page = render_html(text, tmp_path)
    assert "<table>" in page and 'src="data:image/png;base64,' in page


def test_the_report_cautions_when_too_few_questions_can_separate_the_arms() -> None:
    correct = {"base": 1, "rag": 4, "finetuned": 2, "hybrid": 4}
    few = results([PointResult({}, {a: arm(a, c)[:4] for a, c in correct.items()}, {a: 20.0 for a in correct},
                               {a: 900.0 for a in correct})])
    many = results([point({}, correct)])
    for res, cautioned in ((few, True), (many, False)):
        ceiling = analyse(res, "token_f1")
        text = render_markdown(res, ceiling, decide(res, ceiling), comparison(res, ceiling, SETTINGS), {}, SETTINGS)
        assert ("**Caution:** only 4 eval questions: no difference between arms can reach p < 0.05 (the smallest "
                "possible p over 6 pair(s) is 0.75)" in text) is cautioned


def test_results_round_trip_through_json(tmp_path: Path) -> None:
    res = results([point({"index.top_k": 2}, {"base": 5, "rag": 30})], ("index.top_k",), {"index.top_k": 2})
    res.save(tmp_path / "results.json")
    back = ExperimentResults.load(tmp_path / "results.json")
    assert back == res

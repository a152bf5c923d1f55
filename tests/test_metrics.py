"""Every metric through the same table of cases (perfect, empty, unsupported, paraphrase, numbers, unicode)."""

from __future__ import annotations

import numpy as np
import pytest

from ragvsft.metrics import AnswerRelevance, ContextRecallAtK, ExactMatch, Sample, TokenF1, TokenSupport
from ragvsft.metrics.text import normalize_answer
from ragvsft.report import winners
from ragvsft.stats import Estimate, mean_ci

EVIDENCE = ("The X-200 pump's maximum pressure is 14 bar. Requests go to Zoë Ångström in room B-12.",)

# case id, sample, expected (exact_match, token_f1, faithfulness)
CASES = [
    ("perfect", Sample("Max pressure?", "14 bar", "14 bar", EVIDENCE), (1.0, 1.0, 1.0)),
    ("perfect-with-article-and-punctuation", Sample("Max pressure?", "The 14 bar.", "14 bar", EVIDENCE), (1.0, 1.0, 1.0)),
    ("empty", Sample("Max pressure?", "", "14 bar", EVIDENCE), (0.0, 0.0, None)),
    ("unsupported", Sample("Max pressure?", "30 psi", "14 bar", EVIDENCE), (0.0, 0.0, 0.0)),
    ("sentence-paraphrase", Sample("Max pressure?", "It is 14 bar", "14 bar", EVIDENCE), (0.0, 2 / 3, 1.0)),
    ("wrong-number", Sample("Max pressure?", "15 bar", "14 bar", EVIDENCE), (0.0, 0.5, 0.5)),
    ("unicode", Sample("Who?", "zoë ångström", "Zoë Ångström", EVIDENCE), (1.0, 1.0, 1.0)),
    ("half-invented", Sample("Who?", "Zoë Ångström Pettersen", "Zoë Ångström", EVIDENCE), (0.0, 0.8, 2 / 3)),
]


@pytest.mark.parametrize(("sample", "expected"), [pytest.param(s, e, id=i) for i, s, e in CASES])
def test_correctness_and_faithfulness_table(sample: Sample, expected: tuple) -> None:
    em, f1, faithful = expected
    assert ExactMatch().score([sample]) == [em]
    assert TokenF1().score([sample]) == [pytest.approx(f1)]
    got = TokenSupport().score([sample])[0]
    assert got == (None if faithful is None else pytest.approx(faithful))


def test_no_evidence_means_no_faithfulness_score() -> None:
    assert TokenSupport().score([Sample("q", "14 bar", "14 bar")]) == [None]


def test_normalisation() -> None:
    assert normalize_answer("  The   Tripdesk, portal!  ") == "tripdesk portal"
    assert normalize_answer("ＡＢＣ") == "abc"  # NFKC folds full-width letters


def test_context_recall() -> None:
    samples = [
        Sample("q", "a", "a", retrieved_doc_ids=("x.md", "y.md"), sources=("y.md",)),
        Sample("q", "a", "a", retrieved_doc_ids=("x.md",), sources=("y.md",)),
        Sample("q", "a", "a", retrieved_doc_ids=(), sources=("y.md",)),  # closed book
        Sample("q", "a", "a", retrieved_doc_ids=("x.md",), sources=()),  # no gold source
    ]
    assert ContextRecallAtK().score(samples) == [1.0, 0.0, None, None]


class BagOfWordsEmbedder:
    """A transparent embedder for testing the metric's arithmetic: word-count vectors, normalised."""

    dim = 8
    identity = "bow"

    def embed(self, texts, *, on_batch=None):
        vocab = ["leave", "weeks", "22", "pressure", "bar", "14", "pizza", "x"]
        rows = np.array([[t.lower().split().count(w) for w in vocab] for t in texts], dtype=np.float32) + 1e-6
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_answer_relevance_orders_on_topic_above_off_topic() -> None:
    scores = AnswerRelevance(BagOfWordsEmbedder()).score([
        Sample("leave weeks", "22 weeks leave", "22 weeks"),
        Sample("leave weeks", "pizza", "22 weeks"),
        Sample("leave weeks", "", "22 weeks"),
    ])
    assert scores[0] > 0.8 and scores[1] < 0.1 and scores[2] == 0.0


def test_bootstrap_interval_is_seeded_and_covers_the_mean() -> None:
    values = [1.0] * 30 + [0.0] * 70 + [None] * 5
    first, again = mean_ci(values, seed=3), mean_ci(values, seed=3)
    assert first == again and first.n == 100
    assert first.mean == pytest.approx(0.3)
    assert 0.2 < first.low < 0.3 < first.high <= 0.41
    assert mean_ci([None]).n == 0


def test_winners_pick_the_best_mean_and_lowest_latency() -> None:
    summaries = {
        "base": {"token_f1": Estimate(0.1, 0.0, 0.2, 10), "latency_ms_p50": 100.0},
        "rag": {"token_f1": Estimate(0.6, 0.5, 0.7, 10), "latency_ms_p50": 300.0},
        "closed": {"token_f1": Estimate(float("nan"), float("nan"), float("nan"), 0), "latency_ms_p50": 50.0},
    }
    assert winners(summaries, ["token_f1", "latency_ms_p50"]) == {"token_f1": "rag", "latency_ms_p50": "closed"}

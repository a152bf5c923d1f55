"""The answer and score cache: a cached answer equals a fresh one; any change in the inputs misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from lm_fixtures import lora_adapter
from ragvsft.cache import CachedGenerator, CachedMetric, ResultCache
from ragvsft.generators import HFGenerator
from ragvsft.metrics import Sample, build_metrics
from ragvsft.prompts import PromptTemplate

QUESTIONS = ["How long is parental leave?", "Who signs travel?", "What is the pump's pressure?"]


@pytest.fixture
def gen(tiny_lm_dir: Path, tmp_path: Path) -> HFGenerator:
    return HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path / "models", batch_size=2)


def test_a_cached_answer_equals_a_fresh_one_and_changes_miss(gen: HFGenerator, tiny_lm_dir: Path,
                                                             tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache.sqlite")
    cached = CachedGenerator(gen, cache)
    conversations = [PromptTemplate().messages(q) for q in QUESTIONS]
    fresh = gen.generate(conversations, max_new_tokens=6)
    first = cached.generate(conversations, max_new_tokens=6)
    assert (cache.generations.hits, cache.generations.misses) == (0, 3)
    assert [g.text for g in first] == [g.text for g in fresh] and [g.new_tokens for g in first] == [
        g.new_tokens for g in fresh]

    # Read back from disk by a new process' worth of objects: same answers, and the latency measured then.
    again = CachedGenerator(gen, ResultCache(tmp_path / "cache.sqlite"))
    replay = again.generate(conversations, max_new_tokens=6)
    assert replay == first and again.cache.generations.hits == 3

    # Another prompt, another decoding setting, another adapter: each misses.
    again.generate([PromptTemplate().messages("A question never asked?")], max_new_tokens=6)
    again.generate(conversations[:1], max_new_tokens=5)
    again.generate(conversations[:1], max_new_tokens=6, stop=["\n"])
    assert again.cache.generations.misses == 3
    adapter = lora_adapter(tiny_lm_dir, tmp_path / "adapter", base_identity=gen.identity)
    tuned = CachedGenerator(HFGenerator(str(tiny_lm_dir), cache_dir=tmp_path / "models", adapter=adapter),
                            again.cache)
    tuned.generate(conversations, max_new_tokens=6)
    assert again.cache.generations.misses == 6


def test_scores_are_cached_per_metric_scorer_and_sample(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache.sqlite")
    (f1,) = build_metrics(["token_f1"], embedder=None, judge=None)
    metric = CachedMetric(f1, cache, scorer="embedder-a")
    samples = [Sample("q", "22 weeks", "22 weeks"), Sample("q", "nine", "22 weeks")]
    assert metric.score(samples) == f1.score(samples) == [1.0, 0.0]
    assert metric.score(samples) == [1.0, 0.0] and (cache.scores.hits, cache.scores.misses) == (2, 2)
    CachedMetric(f1, cache, scorer="embedder-b").score(samples)  # another embedder: scored again
    metric.score([Sample("q", "22 weeks", "21 weeks")])
    assert cache.scores.misses == 5
    f1.version += 1  # the metric's definition changed: its old scores are not reused
    assert metric.score(samples) == [1.0, 0.0] and cache.scores.misses == 7
    # An answer accepted since: scored again, not the cached 0.
    assert metric.score([Sample("q", "nine", "22 weeks", also_accept=("nine",))]) == [1.0]


# A damaged cache file or entry: see test_damage_matrix.py (set aside and started anew; a bad entry is a miss).

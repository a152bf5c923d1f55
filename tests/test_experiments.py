"""The shipped experiment files and the second corpus load and mean what their comments say."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragvsft.config import load_config
from ragvsft.corpus import load_corpus
from ragvsft.sweep import load_sweep

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_experiment_is_valid(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    config = load_config(path)
    assert config.corpus.is_dir()
    if "[sweep]" in path.read_text() or "[[sweep.points]]" in path.read_text():
        assert len(load_sweep(path).points) >= 2


def test_the_incidents_corpus_has_span_answers_in_long_single_passages() -> None:
    corpus = load_corpus(ROOT / "corpora" / "incidents")
    assert (len(corpus.split("train")), len(corpus.split("eval"))) == (120, 120)
    texts = {d.id: d.text for d in corpus.documents}
    assert min(len(t) for t in texts.values()) > 1800
    for qa in corpus.qa:
        (source,) = qa.sources
        assert qa.answer in texts[source], qa.id
    words = sorted(len(qa.answer.split()) for qa in corpus.qa)
    assert words[len(words) // 2] >= 5  # median answer: a phrase, not a code
    tags = {t for qa in corpus.split("eval") for t in qa.tags}
    assert {"seen_fact", "unseen_fact"} <= tags

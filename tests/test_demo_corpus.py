"""The shipped demo corpus: valid, as described in its README, reproducible, and retrievable with the real embedder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragvsft import tracking
from ragvsft.cli import app
from ragvsft.corpus import load_corpus
from ragvsft.qa import normalize_question

DEMO = Path(__file__).resolve().parents[1] / "corpora" / "demo"


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(DEMO)


def test_size_formats_and_splits(corpus) -> None:
    assert len(corpus.documents) >= 40 and not corpus.docs.skipped
    assert {Path(d.id).suffix for d in corpus.documents} == {".md", ".txt", ".html"}
    assert len(corpus.qa) >= 300 and all(q.sources and q.split_from_file for q in corpus.qa)
    train, evals = corpus.split("train"), corpus.split("eval")
    assert {normalize_question(q.question) for q in train}.isdisjoint(normalize_question(q.question) for q in evals)
    tags = Counter(t for q in evals for t in q.tags)
    assert tags["seen_fact"] >= 50 and tags["unseen_fact"] >= 30 and tags["multi_doc"] >= 10
    assert not any("unseen_fact" in q.tags for q in train)


def test_seen_facts_have_a_paraphrase_in_training_and_unseen_do_not(corpus) -> None:
    def fact(q):
        return q.id.split("-")[0]

    trained = {fact(q) for q in corpus.split("train")}
    for q in corpus.split("eval"):
        assert (fact(q) in trained) == ("seen_fact" in q.tags), q.id


def test_answers_appear_in_their_sources(corpus) -> None:
    texts = {d.id: d.text.casefold() for d in corpus.documents}
    for q in corpus.qa:
        assert any(q.answer.casefold() in texts[s] for s in q.sources), q.id


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    shutil.copy(DEMO / "generate.py", tmp_path / "generate.py")
    subprocess.run([sys.executable, str(tmp_path / "generate.py")], check=True, capture_output=True, timeout=120)
    assert (tmp_path / "qa.jsonl").read_bytes() == (DEMO / "qa.jsonl").read_bytes()
    assert _tree(tmp_path / "docs") == _tree(DEMO / "docs")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_real_embedder_retrieves_the_demo_sources(tmp_path: Path, mlflow_uri: str) -> None:
    """End to end with the packaged all-MiniLM-L6-v2: the README's retrieval figures, as a floor."""
    exp = tmp_path / "demo.toml"
    exp.write_text(f'corpus = "{DEMO}"\noutput_dir = "{tmp_path / "out"}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["index", str(exp)])
    assert result.exit_code == 0, result.output
    run = tracking.get_run(mlflow_uri, result.output.split("logged run ")[1].split(";")[0])
    metrics = run.data.metrics
    assert metrics["retrieval_questions"] == len(load_corpus(DEMO).split("eval"))
    assert metrics["hit_at_5"] >= 0.85 and metrics["hit_at_1"] >= 0.7 and metrics["mrr"] >= 0.75
    assert metrics["hit_at_5_chance"] < 0.15  # 210 passages in 49 documents: chance finds few sources

from __future__ import annotations

from pathlib import Path

import pytest

from ragvsft.chunking import Chunk
from ragvsft.corpus import load_corpus
from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.errors import RagvsftError
from ragvsft.indexing import IndexSpec, build_index, load_index
from ragvsft.langchain_retriever import as_langchain
from ragvsft.retrieval_eval import chance_scores, score_retrieval
from ragvsft.retriever import DenseRetriever
from ragvsft.store import Hit


def hits(*doc_ids: str) -> list[Hit]:
    return [Hit(Chunk(f"{d}#0", d, "t", 0), 1.0 - r / 10, r) for r, d in enumerate(doc_ids, start=1)]


def test_scores_by_hand() -> None:
    scores = score_retrieval(
        [hits("a", "b"), hits("x", "y", "b"), hits("x", "x", "x", "x", "x", "b"), hits("x")],
        [["a"], ["b", "c"], ["b"], ["a"]],
    )
    assert scores.questions == 4
    assert scores.hit_at_1 == pytest.approx(1 / 4)
    assert scores.hit_at_5 == pytest.approx(2 / 4)
    assert scores.mrr == pytest.approx((1 + 1 / 3 + 1 / 6 + 0) / 4)
    assert score_retrieval([], []).questions == 0


def test_chance_scores_by_hand() -> None:
    # Four distinct passages: a holds one, b three, and c a copy of one of b's (counted once, as retrieval returns it).
    chunks = [Chunk("a#0", "a", "p0", 0), *(Chunk(f"b#{i}", "b", f"p{i}", i) for i in (1, 2, 3)), Chunk("c#0", "c", "p3", 0)]
    one_in_four = 1 / 4 * (1 + 1 / 2 + 1 / 3 + 1 / 4)  # the passage is equally likely at each of the 4 ranks
    chance = chance_scores(chunks, [["a"], ["c"], ["b"]])
    assert chance.hit_at_1 == pytest.approx((1 / 4 + 1 / 4 + 3 / 4) / 3)
    assert chance.hit_at_5 == pytest.approx(1.0)  # 4 passages: every ranking holds them all
    assert chance.mrr == pytest.approx((one_in_four + one_in_four + 3 / 4 + 1 / 4 * 1 / 2) / 3)
    assert chance_scores(chunks, []).questions == 0


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    """The real packaged embedder: retrieval quality needs real weights."""
    return SentenceTransformerEmbedder("all-MiniLM-L6-v2")


@pytest.fixture
def retriever(small_corpus: Path, tmp_path: Path, minilm) -> DenseRetriever:
    spec = IndexSpec(minilm.identity, chunk_chars=200, chunk_overlap_chars=20)
    build_index(load_corpus(small_corpus).docs, lambda: minilm, tmp_path / "idx", spec)
    return DenseRetriever(minilm, load_index(tmp_path / "idx", expected_embedder=minilm.identity, hnsw_ef_search=64)[0])


def test_real_embedder_finds_the_right_document(retriever: DenseRetriever) -> None:
    assert retriever.search("What is the pressure limit of the X-200 pump?", 1)[0].chunk.doc_id == "manuals/pump.html"
    assert retriever.search("how many weeks of leave for new parents", 1)[0].chunk.doc_id == "policies/leave.md"
    top = retriever.search("booking flights", 3)
    assert top[0].chunk.doc_id == "policies/travel.txt" and top[0].score > top[-1].score


def test_langchain_retriever_in_a_chain(retriever: DenseRetriever) -> None:
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables import RunnableLambda

    lc = as_langchain(retriever, k=2)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("Who receives parental leave requests?")
    assert len(docs) == 2
    assert docs[0].metadata["doc_id"] == "policies/leave.md"
    assert docs[0].metadata["chunk_id"].startswith("policies/leave.md#") and docs[0].metadata["rank"] == 1
    assert "Ines Marlow" in docs[0].page_content
    chain = lc | RunnableLambda(lambda ds: " | ".join(d.metadata["doc_id"] for d in ds))
    assert chain.invoke("maximum pressure bar").startswith("manuals/pump.html")
    assert len(lc.batch(["leave", "travel"])) == 2


def test_dimension_mismatch_is_refused(retriever: DenseRetriever, tiny_embedder_dir: Path) -> None:
    with pytest.raises(RagvsftError) as info:
        DenseRetriever(SentenceTransformerEmbedder(str(tiny_embedder_dir)), retriever.store)
    assert str(info.value) == ("the embedder gives 32-d vectors but the index holds 384-d vectors; "
                               "rebuild the index with `ragvsft index <experiment>`")


def test_search_within_ranks_only_the_given_documents(retriever: DenseRetriever) -> None:
    question = "What is the pressure limit of the X-200 pump?"
    (within,) = retriever.search_within([question], [("policies/leave.md", "policies/travel.txt")], k=5)
    assert within and {h.chunk.doc_id for h in within} <= {"policies/leave.md", "policies/travel.txt"}
    assert [h.rank for h in within] == list(range(1, len(within) + 1))
    assert all(a.score >= b.score for a, b in zip(within, within[1:]))
    # Among the pump manual's chunks, the same order and scores as unrestricted search gives them.
    (pump,) = retriever.search_within([question], [("manuals/pump.html",)], k=1)
    best = retriever.search(question, 1)[0]
    assert pump[0].chunk == best.chunk and pump[0].score == pytest.approx(best.score, abs=1e-5)
    assert retriever.search_within([question, question], [(), ("nowhere.md",)], k=3) == [[], []]

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragvsft.chunking import Chunk
from ragvsft.errors import RagvsftError
from ragvsft.store import FaissStore


def random_unit(n: int, dim: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def chunks(n: int) -> list[Chunk]:
    return [Chunk(f"d{i % 7}.md#{i}", f"d{i % 7}.md", f"text {i} é", i * 10) for i in range(n)]


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_search_matches_brute_force(index_type: str) -> None:
    vectors, queries = random_unit(500, 16), random_unit(20, 16, seed=1)
    store = FaissStore(16, index_type=index_type, hnsw_ef_search=200)  # type: ignore[arg-type]
    store.add(vectors, chunks(500))
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :5]
    results = store.search_many(queries, k=5)
    got = [[int(h.chunk.id.split("#")[1]) for h in hits] for hits in results]
    agree = np.mean([len(set(g) & set(e)) / 5 for g, e in zip(got, expected.tolist())])
    assert agree == 1.0 if index_type == "flat" else agree >= 0.9
    for hits, query in zip(results, queries):
        assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:]))
        top = int(hits[0].chunk.id.split("#")[1])
        assert hits[0].score == pytest.approx(float(query @ vectors[top]), abs=1e-5)


def test_ivf_probing_every_list_is_exact_and_fewer_lists_trade_recall(tmp_path: Path) -> None:
    vectors, queries = random_unit(2000, 16), random_unit(50, 16, seed=1)
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]

    def recall(store: FaissStore) -> float:
        got = [[int(h.chunk.id.split("#")[1]) for h in hits] for hits in store.search_many(queries, k=10)]
        return float(np.mean([len(set(g) & set(e)) / 10 for g, e in zip(got, expected.tolist())]))

    every = FaissStore(16, index_type="ivf", ivf_lists=16, ivf_probe=16)
    every.add(vectors, chunks(2000))
    assert recall(every) == 1.0  # all 16 clusters searched: exact
    few = FaissStore(16, index_type="ivf", ivf_lists=16, ivf_probe=2)
    few.add(vectors, chunks(2000))
    assert 0.2 < recall(few) < 1.0  # 2 of 16 clusters: approximate, by design
    # The probe count travels in index.faiss; stored vectors come back whole (incremental builds copy them).
    few.save(tmp_path)
    loaded = FaissStore.load(tmp_path)
    assert recall(loaded) == recall(few)
    np.testing.assert_allclose(loaded.vectors([0, 1999]), vectors[[0, 1999]], atol=1e-6)
    # Training draws a fixed sample: two builds are the same index.
    again = FaissStore(16, index_type="ivf", ivf_lists=16, ivf_probe=2)
    again.add(vectors, chunks(2000))
    assert [[h.chunk.id for h in r] for r in again.search_many(queries, 10)] == [
        [h.chunk.id for h in r] for r in few.search_many(queries, 10)]


def test_save_load_roundtrip_without_pickle(tmp_path: Path) -> None:
    store = FaissStore(8)
    store.add(random_unit(30, 8), chunks(30))
    store.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chunks.jsonl", "index.faiss"]
    loaded = FaissStore.load(tmp_path)
    assert loaded.chunks == store.chunks and loaded.dim == 8
    query = random_unit(1, 8, seed=5)[0]
    assert [h.chunk for h in loaded.search(query, 3)] == [h.chunk for h in store.search(query, 3)]


def saved_store(folder: Path, n: int = 3) -> FaissStore:
    store = FaissStore(8)
    store.add(random_unit(n, 8), chunks(n))
    store.save(folder)
    return store


REBUILD = "rebuild it with `ragvsft index <experiment>`"


def test_load_rejects_mismatched_metadata(tmp_path: Path) -> None:
    saved_store(tmp_path)
    lines = (tmp_path / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "chunks.jsonl").write_text("\n".join(lines[:2]) + "\n", encoding="utf-8")
    with pytest.raises(RagvsftError) as info:
        FaissStore.load(tmp_path)
    assert str(info.value) == f"{tmp_path}: index.faiss holds 3 vectors but chunks.jsonl lists 2 chunks; {REBUILD}"


@pytest.mark.parametrize("missing", ["index.faiss", "chunks.jsonl"])
def test_load_names_a_missing_file(tmp_path: Path, missing: str) -> None:
    saved_store(tmp_path)
    (tmp_path / missing).unlink()
    with pytest.raises(RagvsftError) as info:
        FaissStore.load(tmp_path)
    assert str(info.value) == f"{tmp_path / missing}: file missing; {REBUILD}"


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "folder"])
def test_load_names_a_corrupt_index_file(tmp_path: Path, damage: str) -> None:
    saved_store(tmp_path, n=30)
    path = tmp_path / "index.faiss"
    if damage == "folder":
        path.unlink()
        path.mkdir()
    else:
        good = path.read_bytes()
        path.write_bytes({"garbage": b"half an index", "empty": b"", "truncated": good[: len(good) // 2]}[damage])
    with pytest.raises(RagvsftError) as info:
        FaissStore.load(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}: not a readable FAISS index (") and message.endswith(f"); {REBUILD}")
    assert "\n" not in message and "Error in" not in message  # FAISS's C++ location is dropped
    if damage == "folder":
        assert "(Is a directory)" in message


@pytest.mark.parametrize(("line", "problem"), [
    (b"not json", "malformed JSON (Expecting value at column 1)"),
    (b'{"id": "d1.md#1", "doc_id": "d1.md"', "malformed JSON (Expecting ',' delimiter at column 36)"),
    (b'{"id": "d1.md#1"}', "expected a chunk with fields ['doc_id', 'id', 'start_char', 'text'], got ['id']"),
    (b'{"id": "a", "doc_id": "a", "text": "t", "start_char": 0, "extra": 1}',
     "expected a chunk with fields ['doc_id', 'id', 'start_char', 'text'], got ['doc_id', 'extra', 'id', 'start_char', 'text']"),
    (b"[1, 2]", "expected a chunk with fields ['doc_id', 'id', 'start_char', 'text'], got list"),
    (b'{"id": "a", "doc_id": "a", "text": 5, "start_char": "0"}', "chunk field(s) ['text', 'start_char'] have the wrong type"),
    (b'{"id": "a", "doc_id": "a", "text": "\xff", "start_char": 0}', "not valid UTF-8"),
])
def test_load_names_the_malformed_chunks_line(tmp_path: Path, line: bytes, problem: str) -> None:
    saved_store(tmp_path)
    path = tmp_path / "chunks.jsonl"
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([lines[0], line, lines[2]]) + b"\n")
    with pytest.raises(RagvsftError) as info:
        FaissStore.load(tmp_path)
    assert str(info.value) == f"{path}:2: {problem}; {REBUILD}"


def test_load_ignores_blank_lines_in_chunks(tmp_path: Path) -> None:
    store = saved_store(tmp_path)
    path = tmp_path / "chunks.jsonl"
    path.write_text(path.read_text(encoding="utf-8") + "\n\n", encoding="utf-8")
    assert FaissStore.load(tmp_path).chunks == store.chunks


def test_k_larger_than_store_and_empty_store() -> None:
    assert FaissStore(4).search(random_unit(1, 4)[0], 5) == []
    store = FaissStore(4)
    store.add(random_unit(2, 4), chunks(2))
    assert len(store.search(random_unit(1, 4)[0], 10)) == 2
    with pytest.raises(ValueError, match="expected vectors of shape"):
        store.add(random_unit(2, 5), chunks(2))


@pytest.mark.parametrize("index_type", ["flat", "hnsw"])
def test_a_copied_documents_chunks_are_returned_once_and_count_for_either_copy(index_type: str) -> None:
    from ragvsft.retrieval_eval import score_retrieval

    # 40 chunks of 8 documents; policy.md saved twice more ("policy (copy).md", "policy.docx"), and one passage
    # pasted into 10 other documents: a top 3 of raw FAISS holds the same text up to 3 times.
    vectors, queries = random_unit(40, 16), random_unit(10, 16, seed=1)
    base = [Chunk(f"d{i % 8}.md#{i}", f"d{i % 8}.md", f"text {i}", 0) for i in range(40)]
    policy = [Chunk(f"policy.md#{n}", "policy.md", f"policy {n}", 0) for n in range(4)]
    copies = [Chunk(c.id.replace("policy.md", name), name, c.text, 0) for name in ("policy (copy).md", "policy.docx")
              for c in policy]
    pasted = [Chunk(f"p{n}.md#0", f"p{n}.md", "the pasted passage", 0) for n in range(10)]
    store = FaissStore(16, index_type=index_type, hnsw_ef_search=200)  # type: ignore[arg-type]
    policy_vectors = queries[:4]  # each of the first 4 queries is nearest a policy chunk, and its copies
    store.add(np.vstack([vectors, policy_vectors, policy_vectors, policy_vectors, np.repeat(queries[4:5], 10, 0)]),
              base + policy + copies + pasted)
    for k in (1, 3, 10):
        for hits in store.search_many(queries, k=k):
            assert len(hits) == k and [h.rank for h in hits] == list(range(1, k + 1))
            assert len({h.chunk.text for h in hits}) == k  # each text once
    hits = store.search_many(queries, k=3)
    assert [(h.chunk.id, h.also_in) for h in hits[0][:1]] == [("policy.md#0", ("policy (copy).md", "policy.docx"))]
    assert hits[4][0].chunk.doc_id == "p0.md" and len(hits[4][0].also_in) == 9
    assert all(h.also_in == () for row in hits[5:] for h in row if not h.chunk.text.startswith(("policy", "the")))
    # A question whose source names a copy finds it at rank 1 through the copy returned.
    scores = score_retrieval(hits[:4], [["policy.docx"], ["policy (copy).md"], ["policy.md"], ["policy.docx"]])
    assert (scores.hit_at_1, scores.mrr) == (1.0, 1.0)

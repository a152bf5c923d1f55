from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ragvsft.corpus import load_corpus
from ragvsft.embedders import SentenceTransformerEmbedder, embedder_identity
from ragvsft.errors import RagvsftError
from ragvsft.indexing import IndexSpec, build_index, load_index, read_current
from ragvsft.store import FaissStore


@pytest.fixture
def embedder(tiny_embedder_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(str(tiny_embedder_dir), batch_size=4)


def spec_for(embedder: SentenceTransformerEmbedder, **overrides) -> IndexSpec:
    return IndexSpec(**{"embedder_identity": embedder.identity, "chunk_chars": 60, "chunk_overlap_chars": 10} | overrides)


def test_build_publishes_a_complete_version_with_manifest(small_corpus: Path, tmp_path: Path, embedder) -> None:
    docs = load_corpus(small_corpus).docs
    progress: list[tuple[str, int, int]] = []
    built = build_index(docs, lambda: embedder, tmp_path / "idx", spec_for(embedder),
                        on_progress=lambda *a: progress.append(a))
    assert not built.reused
    assert read_current(tmp_path / "idx") == built.path.name
    manifest = built.manifest
    assert manifest["corpus"]["docs_sha256"] == docs.sha256
    assert manifest["embedder"] == {"identity": embedder.identity, "dim": 32}
    assert manifest["chunking"]["chunk_chars"] == 60 and manifest["chunking"]["chunk_overlap_chars"] == 10
    assert manifest["counts"]["chunks"] >= len(docs.documents)
    assert progress[-1] == ("embed", manifest["counts"]["chunks"], manifest["counts"]["chunks"])
    store, loaded_manifest = load_index(tmp_path / "idx")
    assert loaded_manifest == manifest and len(store) == manifest["counts"]["chunks"]
    # The stored vectors are the embedder's vectors for the stored chunks.
    first = embedder.embed([store.chunks[0].text])[0]
    assert store.search(first, 1)[0].chunk == store.chunks[0]


def test_unchanged_corpus_is_a_no_op_and_changes_rebuild(small_corpus: Path, tmp_path: Path, embedder) -> None:
    root = tmp_path / "idx"
    first = build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder))

    def must_not_load():
        raise AssertionError("an unchanged corpus must not load the embedder")

    again = build_index(load_corpus(small_corpus).docs, must_not_load, root, spec_for(embedder))
    assert again.reused and again.path == first.path and again.manifest == first.manifest

    rechunked = build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder, chunk_chars=80))
    assert not rechunked.reused and rechunked.path != first.path

    (small_corpus / "docs" / "policies" / "leave.md").write_text("Parental leave is 26 weeks.", encoding="utf-8")
    edited = build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder))
    assert not edited.reused and edited.path not in {first.path, rechunked.path}
    assert read_current(root) == edited.path.name


def test_interrupted_build_leaves_the_previous_version_live(
    small_corpus: Path, tmp_path: Path, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "idx"
    good = build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder))
    (small_corpus / "docs" / "new.md").write_text("A new document about the Q-9 valve.", encoding="utf-8")

    def crash_half_way(self: FaissStore, folder: Path) -> None:
        (folder / "index.faiss").write_bytes(b"half an index")
        raise KeyboardInterrupt  # Ctrl-C while writing

    monkeypatch.setattr(FaissStore, "save", crash_half_way)
    with pytest.raises(KeyboardInterrupt):
        build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder))
    assert read_current(root) == good.path.name
    assert sorted(p.name for p in root.iterdir()) == ["CURRENT", good.path.name]
    monkeypatch.undo()
    store, manifest = load_index(root)
    assert manifest == good.manifest and len(store) == good.manifest["counts"]["chunks"]


def test_leftovers_of_a_killed_build_are_ignored_then_removed(small_corpus: Path, tmp_path: Path, embedder) -> None:
    root = tmp_path / "idx"
    good = build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder))
    dead = root / ".tmp-999999999-dead"  # what `kill -9` mid-build leaves: no cleanup ran
    dead.mkdir()
    (dead / "index.faiss").write_bytes(b"partial")
    assert load_index(root)[1] == good.manifest
    build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder, chunk_chars=90))
    assert not dead.exists()


def test_old_versions_are_pruned(small_corpus: Path, tmp_path: Path, embedder) -> None:
    root = tmp_path / "idx"
    for size in (50, 60, 70, 80, 90):
        build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder, chunk_chars=size))
    assert len(list(root.glob("v-*"))) <= 3
    assert (root / read_current(root)).is_dir()


def test_loading_before_any_build_explains_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RagvsftError, match="no index built yet; run `ragvsft index"):
        load_index(tmp_path / "idx")


def test_identity_depends_on_weights(tiny_embedder_dir: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny_embedder_dir, copy)
    assert embedder_identity(str(copy)).split("@")[1] == embedder_identity(str(tiny_embedder_dir)).split("@")[1]
    weights = next(copy.rglob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    assert embedder_identity(str(copy)).split("@")[1] != embedder_identity(str(tiny_embedder_dir)).split("@")[1]


def test_hnsw_index_builds_and_searches(small_corpus: Path, tmp_path: Path, embedder) -> None:
    built = build_index(load_corpus(small_corpus).docs, lambda: embedder, tmp_path / "idx",
                        spec_for(embedder, index_type="hnsw", hnsw_m=8))
    store, _ = load_index(tmp_path / "idx")
    assert built.manifest["index"]["type"] == "hnsw"
    query = embedder.embed([store.chunks[1].text])[0]
    assert store.search(query, 1)[0].chunk == store.chunks[1]
    assert np.isclose(store.search(query, 1)[0].score, 1.0, atol=1e-4)

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from ragvsft.corpus import load_corpus
from ragvsft.documents import load_documents
from ragvsft.embedders import SentenceTransformerEmbedder, embedder_identity
from ragvsft.errors import RagvsftError
from ragvsft.indexing import (
    FORMAT_VERSION,
    IndexSpec,
    build_index,
    load_index,
    load_index_version,
    overlong_chunks_note,
    read_current,
    settings_differences,
)
from ragvsft.store import FaissStore


@pytest.fixture
def embedder(tiny_embedder_dir: Path) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(str(tiny_embedder_dir), batch_size=4)


def loading(embedder: SentenceTransformerEmbedder) -> dict:
    return {"expected_embedder": embedder.identity, "hnsw_ef_search": 64}


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
    store, loaded_manifest = load_index(tmp_path / "idx", **loading(embedder))
    assert loaded_manifest == manifest and len(store) == manifest["counts"]["chunks"]
    # The stored vectors are the embedder's vectors for the stored chunks.
    first = embedder.embed([store.chunks[0].text])[0]
    assert store.search(first, 1)[0].chunk == store.chunks[0]


def test_chunks_longer_than_the_embedder_reads_are_counted_and_named(tmp_path: Path, embedder) -> None:
    # The embedder silently ignores what is past its limit: the build counts it, and warns when it matters.
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "long.md").write_text(" ".join(f"Clause {n} sets the notice period." for n in range(60)))
    docs = load_documents(tmp_path / "docs")
    embedder.model.max_seq_length = 16  # what the model reads, in tokens
    built = build_index(docs, lambda: embedder, tmp_path / "idx", spec_for(embedder, chunk_chars=300))
    tokens, limit = embedder.reads([c.text for c in FaissStore.load(built.path).chunks])
    chunking = built.manifest["chunking"]
    assert limit == 16 and max(tokens) > 16
    assert chunking["chunks_over_embedder_limit"] == sum(n > 16 for n in tokens) > 0
    assert chunking["tokens_not_embedded_share"] == pytest.approx(sum(n - 16 for n in tokens if n > 16) / sum(tokens),
                                                                  abs=1e-4)
    note = overlong_chunks_note(built.manifest)
    assert note.startswith(f"{chunking['chunks_over_embedder_limit']} of {len(tokens)} chunks are longer than the 16 "
                           f"tokens the embedder reads (the longest: {max(tokens)}): ")
    assert "lower index.chunk_chars from 300 to about " in note
    # Chunks within the limit: nothing to say.
    short = build_index(docs, lambda: embedder, tmp_path / "idx2", spec_for(embedder, chunk_chars=40))
    assert short.manifest["chunking"]["tokens_not_embedded_share"] < 0.01 and overlong_chunks_note(short.manifest) == ""


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
    store, manifest = load_index(root, **loading(embedder))
    assert manifest == good.manifest and len(store) == good.manifest["counts"]["chunks"]


def test_leftovers_of_a_killed_build_are_ignored_then_removed(small_corpus: Path, tmp_path: Path, embedder) -> None:
    root = tmp_path / "idx"
    good = build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder))
    dead = root / ".tmp-999999999-dead"  # what `kill -9` mid-build leaves: no cleanup ran
    dead.mkdir()
    (dead / "index.faiss").write_bytes(b"partial")
    assert load_index(root, **loading(embedder))[1] == good.manifest
    build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder, chunk_chars=90))
    assert not dead.exists()


def test_old_versions_are_pruned(small_corpus: Path, tmp_path: Path, embedder) -> None:
    root = tmp_path / "idx"
    for size in (50, 60, 70, 80, 90):
        build_index(load_corpus(small_corpus).docs, lambda: embedder, root, spec_for(embedder, chunk_chars=size))
    assert len(list(root.glob("v-*"))) <= 3
    assert (root / read_current(root)).is_dir()


def test_loading_before_any_build_explains_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(RagvsftError) as info:
        load_index(tmp_path / "idx", expected_embedder="any", hnsw_ef_search=64)
    assert str(info.value) == f"{tmp_path / 'idx'}: no index built yet; run `ragvsft index <experiment>` first"


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
    store, _ = load_index(tmp_path / "idx", expected_embedder=embedder.identity, hnsw_ef_search=123)
    assert built.manifest["index"]["type"] == "hnsw" and store.index.hnsw.efSearch == 123
    query = embedder.embed([store.chunks[1].text])[0]
    assert store.search(query, 1)[0].chunk == store.chunks[1]
    assert np.isclose(store.search(query, 1)[0].score, 1.0, atol=1e-4)


def test_ivf_index_builds_records_its_settings_and_keeps_other_fingerprints(
    small_corpus: Path, tmp_path: Path, embedder
) -> None:
    docs = load_corpus(small_corpus).docs
    built = build_index(docs, lambda: embedder, tmp_path / "idx", spec_for(embedder, index_type="ivf", ivf_probe=4))
    store, _ = load_index(tmp_path / "idx", expected_embedder=embedder.identity, hnsw_ef_search=64)
    assert built.manifest["index"] | {"ivf_lists": 1, "ivf_probe": 4} == built.manifest["index"]  # 3 chunks: 1 list
    query = embedder.embed([store.chunks[1].text])[0]
    assert store.search(query, 1)[0].chunk == store.chunks[1]
    # A new probe count is a new version (it lives in index.faiss); the IVF settings leave other types' alone.
    flat = spec_for(embedder)
    assert spec_for(embedder, index_type="ivf", ivf_probe=8).fingerprint("d") != spec_for(
        embedder, index_type="ivf", ivf_probe=4).fingerprint("d")
    assert dataclasses.replace(flat, ivf_probe=99, ivf_lists=7).fingerprint("d") == flat.fingerprint("d")
    assert settings_differences(built.manifest, spec_for(embedder, index_type="ivf", ivf_probe=8)) == [
        "ivf_probe: built 4, configured 8"]


REBUILD = "rebuild it with `ragvsft index <experiment>`"


@pytest.fixture
def built(small_corpus: Path, tmp_path: Path, embedder):
    return build_index(load_corpus(small_corpus).docs, lambda: embedder, tmp_path / "idx", spec_for(embedder))


def test_load_index_version_loads_one_folder(built, embedder) -> None:
    store, manifest = load_index_version(built.path, **loading(embedder))
    assert manifest == built.manifest and len(store) == built.manifest["counts"]["chunks"] and store.dim == 32


def test_wrong_embedder_is_refused(built, tmp_path: Path) -> None:
    other = embedder_identity("all-MiniLM-L6-v2")
    with pytest.raises(RagvsftError) as info:
        load_index(tmp_path / "idx", expected_embedder=other, hnsw_ef_search=64)
    assert str(info.value) == (
        f"{built.path}: the index was built with {built.manifest['embedder']['identity']} but the experiment's "
        f"embedder is {other}; run `ragvsft index <experiment>` again"
    )


@pytest.mark.parametrize(("manifest_text", "problem"), [
    (None, f"file missing, the index version is incomplete; {REBUILD}"),
    ('{\n  "format": 1,\n  "embedder": \n', f"malformed JSON (Expecting value at column 1); {REBUILD}"),
    ("[1]", f"expected a JSON object, got list; {REBUILD}"),
    ("[" * 100_000, f"nested too deep to read (a hostile or broken file); {REBUILD}"),
    ('{"format": 99}', f"index format 99 is not supported (this version reads format {FORMAT_VERSION}); {REBUILD}"),
    ('{"embedder": {}}', f"index format None is not supported (this version reads format {FORMAT_VERSION}); {REBUILD}"),
    ('{"format": 1, "embedder": {"dim": 32}}', f"no embedder identity recorded; {REBUILD}"),
])
def test_bad_manifest_names_the_file(built, tmp_path: Path, embedder, manifest_text: str | None, problem: str) -> None:
    path = built.path / "manifest.json"
    if manifest_text is None:
        path.unlink()
    else:
        path.write_text(manifest_text, encoding="utf-8")
    where = f"{path}:4" if "malformed" in problem else str(path)  # JSON errors name the line
    with pytest.raises(RagvsftError) as via_root:
        load_index(tmp_path / "idx", **loading(embedder))
    with pytest.raises(RagvsftError) as via_folder:
        load_index_version(built.path, **loading(embedder))
    assert str(via_root.value) == str(via_folder.value) == f"{where}: {problem}"


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-2] ^= 1
    path.write_bytes(bytes(data))


DAMAGES = {  # name -> (damage, file at fault, the problem the recorded sizes and checksums name)
    "index truncated": (lambda f: (f / "index.faiss").write_bytes(b"half an index"), "index.faiss",
                        "holds 13 bytes where"),
    "index emptied": (lambda f: (f / "index.faiss").write_bytes(b""), "index.faiss", "holds 0 bytes where"),
    "index missing": (lambda f: (f / "index.faiss").unlink(), "index.faiss", "file missing"),
    "index edited, same size": (lambda f: _flip_last_byte(f / "index.faiss"), "index.faiss",
                                "contents differ from the checksum"),
    "chunks missing": (lambda f: (f / "chunks.jsonl").unlink(), "chunks.jsonl", "file missing"),
    "chunks rewritten": (lambda f: (f / "chunks.jsonl").write_text('{"id": 1}\n', encoding="utf-8"), "chunks.jsonl",
                         "holds 10 bytes where"),
    "chunks edited, same size": (lambda f: _flip_last_byte(f / "chunks.jsonl"), "chunks.jsonl",
                                 "contents differ from the checksum"),
}


@pytest.mark.parametrize("case", list(DAMAGES))
def test_damaged_store_raises_through_load_index(built, tmp_path: Path, embedder, case: str) -> None:
    damage, file, problem = DAMAGES[case]
    damage(built.path)
    with pytest.raises(RagvsftError) as info:
        load_index(tmp_path / "idx", **loading(embedder))
    assert str(info.value).startswith(f"{built.path / file}: {problem}") and str(info.value).endswith(REBUILD)


@pytest.mark.parametrize("case", list(DAMAGES))
def test_index_builds_a_damaged_version_again_instead_of_reusing_it(
        built, small_corpus: Path, tmp_path: Path, embedder, case: str) -> None:
    damage, file, _ = DAMAGES[case]
    damage(built.path)
    again = build_index(load_corpus(small_corpus).docs, lambda: embedder, tmp_path / "idx", spec_for(embedder))
    assert not again.reused and again.path == built.path and file in again.damaged
    store, manifest = load_index(tmp_path / "idx", **loading(embedder))
    assert len(store) == manifest["counts"]["chunks"] == built.manifest["counts"]["chunks"]


@pytest.mark.parametrize(("damage", "file", "problem"), [
    (lambda folder: (folder / "index.faiss").write_bytes(b"half an index"), "index.faiss", "not a readable FAISS index"),
    (lambda folder: (folder / "chunks.jsonl").write_text('{"id": 1}\n', encoding="utf-8"), "chunks.jsonl:1", "expected a chunk"),
])
def test_a_version_without_recorded_checksums_is_still_checked_by_its_reader(
        built, tmp_path: Path, embedder, damage, file: str, problem: str) -> None:
    manifest_path = built.path / "manifest.json"  # as written before checksums were recorded
    manifest_path.write_text(json.dumps({k: v for k, v in built.manifest.items() if k != "files"}), encoding="utf-8")
    damage(built.path)
    with pytest.raises(RagvsftError) as info:
        load_index(tmp_path / "idx", **loading(embedder))
    assert str(info.value).startswith(f"{built.path / file}: {problem}") and str(info.value).endswith(REBUILD)


def test_a_damaged_record_of_the_files_is_reported(built, tmp_path: Path, embedder) -> None:
    manifest_path = built.path / "manifest.json"
    manifest_path.write_text(json.dumps(built.manifest | {"files": {"index.faiss": "?"}}), encoding="utf-8")
    with pytest.raises(RagvsftError, match="index.faiss: no size or checksum recorded for it"):
        load_index(tmp_path / "idx", **loading(embedder))


def test_current_naming_a_missing_or_bogus_version(built, tmp_path: Path, embedder) -> None:
    root = tmp_path / "idx"
    (root / "CURRENT").write_text("v-0000\n", encoding="utf-8")
    with pytest.raises(RagvsftError) as info:
        load_index(root, **loading(embedder))
    assert str(info.value) == f"{root / 'v-0000'}: index version named in {root / 'CURRENT'} is missing; {REBUILD}"
    (root / "CURRENT").write_text("../elsewhere\n", encoding="utf-8")
    with pytest.raises(RagvsftError) as info:
        load_index(root, **loading(embedder))
    assert str(info.value) == f"{root / 'CURRENT'}: '../elsewhere' is not an index version name; {REBUILD}"


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner, self.texts = inner, 0
        self.identity, self.dim = inner.identity, inner.dim

    def embed(self, texts, *, on_batch=None):
        self.texts += len(texts)
        return self.inner.embed(texts, on_batch=on_batch)


@pytest.mark.parametrize("index_type", ["flat", "hnsw", "ivf"])
def test_incremental_update_searches_like_a_full_rebuild_and_embeds_only_new_chunks(
    tmp_path: Path, embedder, index_type: str
) -> None:
    from conftest import SMALL_DOCS, write_corpus

    spec = spec_for(embedder, index_type=index_type)
    before = build_index(load_corpus(write_corpus(tmp_path / "a")).docs, lambda: embedder, tmp_path / "idx-a", spec)
    old_store, _ = load_index_version(before.path, **loading(embedder))
    # One document added, one modified, one deleted.
    docs = {k: v for k, v in SMALL_DOCS.items() if k != "manuals/pump.html"}
    docs["policies/travel.txt"] += " Trains are booked two weeks ahead. Taxis need a receipt."
    docs["it/laptops.md"] = "# Laptops\n\nLaptops are replaced every four years. The helpdesk is on floor 3.\n"
    changed = load_documents(write_corpus(tmp_path / "b", docs=docs) / "docs")
    counting = CountingEmbedder(embedder)
    incremental = build_index(changed, lambda: counting, tmp_path / "idx-inc", spec, reuse=old_store)
    full = build_index(changed, lambda: embedder, tmp_path / "idx-full", spec)

    counts = incremental.manifest["counts"]
    kept = {c.text for c in old_store.chunks}
    new_texts = [c.text for c in load_index_version(full.path, **loading(embedder))[0].chunks if c.text not in kept]
    assert counting.texts == counts["embedded"] == len(new_texts) > 0
    assert counts["reused_vectors"] == counts["chunks"] - counts["embedded"] > 0
    inc_store, _ = load_index_version(incremental.path, **loading(embedder))
    full_store, _ = load_index_version(full.path, **loading(embedder))
    assert inc_store.chunks == full_store.chunks  # same chunks, same order; the deleted document's are gone
    assert not any(c.doc_id == "manuals/pump.html" for c in inc_store.chunks)
    queries = embedder.embed(["Where is travel booked?", "laptop replacement", "parental leave weeks", "helpdesk"])
    for a, b in zip(inc_store.search_many(queries, 4), full_store.search_many(queries, 4)):
        assert [h.chunk.id for h in a] == [h.chunk.id for h in b]
        assert np.allclose([h.score for h in a], [h.score for h in b], atol=1e-5)


def test_only_deletions_load_no_embedder(small_corpus: Path, tmp_path: Path, embedder) -> None:
    from conftest import SMALL_DOCS, write_corpus

    spec = spec_for(embedder)
    before = build_index(load_corpus(small_corpus).docs, lambda: embedder, tmp_path / "idx", spec)
    old_store, _ = load_index_version(before.path, **loading(embedder))
    fewer = {k: v for k, v in SMALL_DOCS.items() if k != "manuals/pump.html"}
    docs = load_documents(write_corpus(tmp_path / "b", docs=fewer) / "docs")

    def no_model() -> SentenceTransformerEmbedder:
        raise AssertionError("nothing is new: no embedder should load")

    after = build_index(docs, no_model, tmp_path / "idx", spec, reuse=old_store)
    assert after.manifest["counts"]["embedded"] == 0 and after.manifest["embedder"]["identity"] == embedder.identity

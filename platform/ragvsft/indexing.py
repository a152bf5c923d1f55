"""Building, publishing and loading a versioned index folder.

Layout under an index root (e.g. ``artifacts/demo/index``)::

    CURRENT               name of the live version (replaced atomically)
    v-<fingerprint>/      manifest.json, index.faiss, chunks.jsonl
    .tmp-<pid>-<hex>/     a build in progress; never loaded

A build writes into a temporary folder and renames it into place only when
complete, then swaps ``CURRENT``; an interrupted build leaves at most a
``.tmp-*`` folder that the next build removes. The version name is a
fingerprint of every input (documents, embedder, chunking, index type), so
rebuilding an unchanged corpus finds the existing version and does nothing.

Loading (:func:`load_index`, :func:`load_index_version`) checks the manifest's
format and embedder identity before reading the store, and reports any missing
or damaged file as a :class:`RagvsftError` naming it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import psutil

from ragvsft.checksums import damaged_file, describe_files, set_aside
from ragvsft.chunking import RULES_VERSION, Chunk, chunk_documents
from ragvsft.documents import DocumentSet
from ragvsft.embedders import Embedder, same_model
from ragvsft.errors import RagvsftError
from ragvsft.jsonfile import read_json_object
from ragvsft.store import REBUILD, STORE_FILES, FaissStore

FORMAT_VERSION = 1
MANIFEST_FILE = "manifest.json"
CURRENT_FILE = "CURRENT"
KEEP_VERSIONS = 3  # the live one plus recent ones a running server may still read
_VERSION_NAME = re.compile(r"v-[0-9a-f]+")

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class IndexSpec:
    """Everything that decides an index's content, besides the documents themselves."""

    embedder_identity: str
    chunk_chars: int
    chunk_overlap_chars: int
    index_type: Literal["flat", "hnsw", "ivf"] = "flat"
    hnsw_m: int = 32
    ivf_lists: int = 0
    ivf_probe: int = 64
    chunk_rules: int = RULES_VERSION  # how the splitter cuts text: other rules, other chunks

    def fingerprint(self, docs_sha256: str) -> str:
        settings = {k: v for k, v in self.__dict__.items() if self.index_type == "ivf" or not k.startswith("ivf_")}
        payload = json.dumps({"format": FORMAT_VERSION, "docs": docs_sha256, **settings}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class BuiltIndex:
    """A published index version: where it is, what it holds, and whether this call built it."""

    path: Path
    manifest: dict[str, Any]
    reused: bool
    damaged: str = ""  # what was wrong with this version's earlier copy, which was set aside and built again


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _fsync_tree(folder: Path) -> None:
    # Rename is atomic, but without fsync a power cut can publish a folder whose
    # files are still empty; flush contents before the rename makes them live.
    for path in folder.iterdir():
        with path.open("rb") as fh:
            os.fsync(fh.fileno())


def _remove_dead_builds(root: Path) -> None:
    """Delete ``.tmp-<pid>-*`` folders whose build process no longer runs (killed mid-build)."""
    for tmp in root.glob(".tmp-*"):
        pid = tmp.name.split("-")[1]
        if not (pid.isdigit() and psutil.pid_exists(int(pid)) and int(pid) != os.getpid()):
            shutil.rmtree(tmp, ignore_errors=True)


def _prune_versions(root: Path) -> None:
    current = read_current(root)
    versions = sorted(root.glob("v-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [v for v in versions if v.name != current][KEEP_VERSIONS - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def read_current(root: Path) -> str | None:
    """The name ``CURRENT`` holds (None when there is none); damaged bytes come back as a name no version has."""
    try:
        return (root / CURRENT_FILE).read_bytes().decode("utf-8", "replace").strip() or None
    except FileNotFoundError:
        return None


def _publish(root: Path, version: str) -> None:
    tmp = root / f".{CURRENT_FILE}.{secrets.token_hex(4)}"
    tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(tmp, root / CURRENT_FILE)


def build_index(
    docs: DocumentSet,
    make_embedder: Callable[[], Embedder],
    root: Path,
    spec: IndexSpec,
    *,
    hnsw_ef_search: int = 64,
    on_progress: ProgressFn | None = None,
    reuse: FaissStore | None = None,
) -> BuiltIndex:
    """Build (or reuse) the index for ``docs`` under ``root`` and make it the live version.

    ``make_embedder`` is called only when a chunk needs embedding, so an
    unchanged corpus never pays for loading the model.

    ``reuse``, an earlier version built with the same embedder, makes the build
    incremental: a chunk whose text it holds takes its stored vector, and only
    new or changed chunks are embedded. The result equals a full build (same
    chunks in the same order, vectors equal up to float rounding): the new
    version is assembled in document order instead of deleting from and
    appending to a copy of the old index, which costs one vector copy per chunk
    (negligible next to embedding it) and works alike for flat and HNSW
    indexes (HNSW cannot delete).

    Example:
        >>> built = build_index(corpus.docs, lambda: SentenceTransformerEmbedder("all-MiniLM-L6-v2"),
        ...                     Path("artifacts/demo/index"), spec)  # doctest: +SKIP
        >>> built.manifest["counts"]["chunks"]  # doctest: +SKIP
        612
    """
    root.mkdir(parents=True, exist_ok=True)
    fingerprint = spec.fingerprint(docs.sha256)
    version = f"v-{fingerprint}"
    final = root / version
    damaged = ""
    if final.exists():  # a complete version always has its manifest: a folder without one is damaged too
        try:
            manifest = read_manifest(final)
        except RagvsftError as exc:  # damaged since it was built: built again, never reused
            damaged = str(exc)
            set_aside(final)
        else:
            _publish(root, version)
            return BuiltIndex(final, manifest, reused=True)

    _remove_dead_builds(root)
    started = time.perf_counter()
    chunks = chunk_documents(docs.documents, chunk_chars=spec.chunk_chars, chunk_overlap_chars=spec.chunk_overlap_chars)
    chunked = time.perf_counter()
    stored = {} if reuse is None else {c.text: position for position, c in enumerate(reuse.chunks)}
    missing = [i for i, c in enumerate(chunks) if c.text not in stored]
    done = 0

    def on_batch(n: int) -> None:
        nonlocal done
        done += n
        if on_progress:
            on_progress("embed", done, len(missing))

    lengths: dict[str, Any] = {}
    if missing or reuse is None:
        embedder = make_embedder()
        lengths = chunk_lengths(embedder, chunks)
        fresh = embedder.embed([chunks[i].text for i in missing], on_batch=on_batch)
        dim = embedder.dim  # after embedding: an embedder on a cluster learns it from the vectors
    else:  # only removals: no model to load
        dim, fresh = reuse.dim, np.empty((0, reuse.dim), dtype=np.float32)
    vectors = np.empty((len(chunks), dim), dtype=np.float32)
    vectors[missing] = fresh
    kept = [i for i, c in enumerate(chunks) if c.text in stored]
    if kept:
        vectors[kept] = reuse.vectors([stored[chunks[i].text] for i in kept])  # type: ignore[union-attr]
    embedded = time.perf_counter()
    lists = (spec.ivf_lists or ivf_lists_for(len(chunks))) if spec.index_type == "ivf" else 0
    store = FaissStore(dim, index_type=spec.index_type, hnsw_m=spec.hnsw_m, hnsw_ef_search=hnsw_ef_search,
                       ivf_lists=lists, ivf_probe=spec.ivf_probe)
    store.add(vectors, chunks)
    total_s = time.perf_counter() - started
    manifest = {
        "format": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "corpus": {"docs_sha256": docs.sha256, "documents": len(docs.documents), "skipped_files": len(docs.skipped)},
        "embedder": {"identity": spec.embedder_identity, "dim": dim},
        "chunking": {"splitter": "langchain RecursiveCharacterTextSplitter", "chunk_chars": spec.chunk_chars,
                     "chunk_overlap_chars": spec.chunk_overlap_chars, "rules": spec.chunk_rules} | lengths,
        "index": {"type": spec.index_type, "metric": "inner_product", "hnsw_m": spec.hnsw_m}
        | ({"ivf_lists": lists, "ivf_probe": spec.ivf_probe} if spec.index_type == "ivf" else {}),
        "counts": {"chunks": len(chunks), "embedded": len(missing), "reused_vectors": len(kept)},
        "timings_s": {"chunk": round(chunked - started, 3), "embed": round(embedded - chunked, 3),
                      "total": round(total_s, 3)},
    }

    tmp = root / f".tmp-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        store.save(tmp)
        manifest["files"] = describe_files(tmp, STORE_FILES)
        _write_json_atomic(tmp / MANIFEST_FILE, manifest)  # written last: its presence marks a complete folder
        _fsync_tree(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / MANIFEST_FILE).is_file():  # not a concurrent build of the same version
                raise
        _publish(root, version)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _prune_versions(root)
    return BuiltIndex(final, manifest, reused=False, damaged=damaged)


def chunk_lengths(embedder: Embedder, chunks: Sequence[Chunk]) -> dict[str, Any]:
    """How the chunks' lengths compare with what ``embedder`` reads (its tokenizer, over every chunk: a fraction of
    the cost of embedding them), for the manifest; empty for an embedder that cannot tell (one on a cluster)."""
    reads = getattr(embedder, "reads", None)
    if reads is None or not chunks:
        return {}
    tokens, limit = reads([c.text for c in chunks])
    # The density of the densest chunks (tables, codes and figures take more tokens per character than prose):
    # chunks of at most limit x this many characters fit, 99 in 100 of them.
    dense = float(np.percentile([len(c.text) / max(n, 1) for c, n in zip(chunks, tokens)], 1))
    return {"embedder_reads_tokens": limit, "longest_chunk_tokens": max(tokens),
            "chunks_over_embedder_limit": sum(n > limit for n in tokens), "dense_chars_per_token": round(dense, 2),
            "tokens_not_embedded_share": round(sum(max(0, n - limit) for n in tokens) / max(sum(tokens), 1), 4)}


NOT_EMBEDDED_SHARE = 0.01  # text past the embedder's limit is worth a warning when more than this share is


def overlong_chunks_note(manifest: dict[str, Any]) -> str:
    """What to do when chunks are longer than the embedder reads, by more than 1 % of the corpus' tokens ('' otherwise,
    or when the build could not tell): the text past its limit is never embedded, so retrieval cannot find it, and
    nothing fails.

    Example:
        >>> note = overlong_chunks_note({"counts": {"chunks": 98}, "chunking": {"chunk_chars": 2000,
        ...     "embedder_reads_tokens": 256, "longest_chunk_tokens": 496, "chunks_over_embedder_limit": 52,
        ...     "dense_chars_per_token": 3.6, "tokens_not_embedded_share": 0.12}})
        >>> note[:120]
        '52 of 98 chunks are longer than the 256 tokens the embedder reads (the longest: 496): 12 % of the text is never embedded'
        >>> note.split("; ")[1]
        'lower index.chunk_chars from 2000 to about 900, or use an embedder that reads more'
    """
    return _overlong_note(manifest.get("chunking", {}), manifest["counts"]["chunks"])


def overlong_chunks_check(embedder: Embedder, docs: DocumentSet, chunk_chars: int, chunk_overlap_chars: int) -> str:
    """:func:`overlong_chunks_note` for the chunks a build would make, before any is embedded (``ragvsft check``)."""
    chunks = chunk_documents(docs.documents, chunk_chars=chunk_chars, chunk_overlap_chars=chunk_overlap_chars)
    return _overlong_note({"chunk_chars": chunk_chars} | chunk_lengths(embedder, chunks), len(chunks))


def _overlong_note(chunking: dict[str, Any], chunks: int) -> str:
    lost = chunking.get("tokens_not_embedded_share", 0)
    if lost <= NOT_EMBEDDED_SHARE:
        return ""
    limit = chunking["embedder_reads_tokens"]
    fits = max(50, int(limit * chunking["dense_chars_per_token"]) // 50 * 50)
    return (f"{chunking['chunks_over_embedder_limit']} of {chunks} chunks are longer than the "
            f"{limit} tokens the embedder reads (the longest: {chunking['longest_chunk_tokens']}): {100 * lost:.0f} % "
            f"of the text is never embedded, so retrieval cannot find it; lower index.chunk_chars from "
            f"{chunking['chunk_chars']} to about {fits}, or use an embedder that reads more")


def load_index_version(
    folder: Path, *, expected_embedder: str, hnsw_ef_search: int
) -> tuple[FaissStore, dict[str, Any]]:
    """One ``v-<fingerprint>`` folder: its manifest, checked, then its store.

    ``expected_embedder`` is the identity (``embedder_identity(spec)``) of the
    embedder that will encode questions; an index built with another model would
    rank nonsense without failing, so it is refused (the same model in another
    precision is accepted: :func:`ragvsft.embedders.same_model`). A missing or damaged
    ``manifest.json``, an unsupported format or a damaged store raises
    :class:`RagvsftError` naming the file at fault.

    Example:
        >>> store, manifest = load_index_version(
        ...     Path("artifacts/demo/index/v-0123456789abcdef0123"),
        ...     expected_embedder=embedder_identity("all-MiniLM-L6-v2"), hnsw_ef_search=64)  # doctest: +SKIP
        >>> manifest["counts"]["chunks"] == len(store)  # doctest: +SKIP
        True
    """
    manifest = read_manifest(folder)
    manifest_path = folder / MANIFEST_FILE
    embedder = manifest.get("embedder")
    built_with = embedder.get("identity") if isinstance(embedder, dict) else None
    if not isinstance(built_with, str):
        raise RagvsftError(f"{manifest_path}: no embedder identity recorded; {REBUILD}")
    if not same_model(built_with, expected_embedder):
        raise RagvsftError(
            f"{folder}: the index was built with {built_with} but the experiment's embedder is {expected_embedder}; "
            "run `ragvsft index <experiment>` again"
        )
    return FaissStore.load(folder, hnsw_ef_search=hnsw_ef_search), manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    """The manifest of one version folder, after checking it and every file it describes against the sizes and
    checksums recorded at build time. Anything missing or damaged raises :class:`RagvsftError` naming the file.

    Example:
        >>> read_manifest(Path("artifacts/demo/index/v-0123456789abcdef0123"))["counts"]["chunks"]  # doctest: +SKIP
        210
    """
    manifest_path = folder / MANIFEST_FILE
    manifest = read_json_object(manifest_path, fix=REBUILD, missing="file missing, the index version is incomplete")
    if manifest.get("format") != FORMAT_VERSION:
        raise RagvsftError(
            f"{manifest_path}: index format {manifest.get('format')!r} is not supported "
            f"(this version reads format {FORMAT_VERSION}); {REBUILD}"
        )
    if (problem := damaged_file(folder, manifest.get("files"), STORE_FILES)) is not None:
        raise RagvsftError(f"{problem}; {REBUILD}")
    return manifest


def ivf_lists_for(chunks: int) -> int:
    """The automatic IVF cluster count: about 4·√chunks, capped so each cluster trains on at least 39 chunks.

    Example:
        >>> ivf_lists_for(100_000), ivf_lists_for(2_000), ivf_lists_for(10)
        (1265, 51, 1)
    """
    return max(1, min(round(4 * chunks ** 0.5), chunks // 39))


def settings_differences(manifest: dict[str, Any], spec: IndexSpec) -> list[str]:
    """How the version described by ``manifest`` was built differently from ``spec`` (chunking and its rules, index
    type), one ``"name: built X, configured Y"`` per setting; empty when they agree.

    Example:
        >>> m = {"chunking": {"chunk_chars": 800, "chunk_overlap_chars": 100, "rules": 2},
        ...      "index": {"type": "flat", "hnsw_m": 32}}
        >>> settings_differences(m, IndexSpec("e", chunk_chars=400, chunk_overlap_chars=100))
        ['chunk_chars: built 800, configured 400']
    """
    chunking, index = manifest.get("chunking") or {}, manifest.get("index") or {}
    built = {"chunk_chars": chunking.get("chunk_chars"), "chunk_overlap_chars": chunking.get("chunk_overlap_chars"),
             "chunk_rules": chunking.get("rules", 1), "index_type": index.get("type")}  # no rules recorded: the first
    if spec.index_type == "hnsw":
        built["hnsw_m"] = index.get("hnsw_m")
    if spec.index_type == "ivf":
        built["ivf_probe"] = index.get("ivf_probe")
        if spec.ivf_lists:  # 0 asks for the automatic count, whatever it came to
            built["ivf_lists"] = index.get("ivf_lists")
    return [f"{name}: built {value}, configured {getattr(spec, name)}" for name, value in built.items()
            if value != getattr(spec, name)]


def load_index(root: Path, *, expected_embedder: str, hnsw_ef_search: int) -> tuple[FaissStore, dict[str, Any]]:
    """The live version under ``root`` (named by ``CURRENT``) and its manifest, via :func:`load_index_version`.

    Raises :class:`RagvsftError` when nothing was built yet, when ``CURRENT``
    names a version that is missing, and for every error of
    :func:`load_index_version` (wrong embedder, damaged files).

    Example:
        >>> store, manifest = load_index(Path("artifacts/demo/index"),
        ...     expected_embedder=embedder_identity("all-MiniLM-L6-v2"), hnsw_ef_search=64)  # doctest: +SKIP
        >>> manifest["embedder"]["dim"], store.dim  # doctest: +SKIP
        (384, 384)
    """
    version = read_current(root)
    if version is None:
        raise RagvsftError(f"{root}: no index built yet; run `ragvsft index <experiment>` first")
    # CURRENT is a plain file a user can edit: a name like "../x" must not lead outside the root.
    if not _VERSION_NAME.fullmatch(version):
        raise RagvsftError(f"{root / CURRENT_FILE}: {version!r} is not an index version name; {REBUILD}")
    folder = root / version
    if not folder.is_dir():
        raise RagvsftError(f"{folder}: index version named in {root / CURRENT_FILE} is missing; {REBUILD}")
    return load_index_version(folder, expected_embedder=expected_embedder, hnsw_ef_search=hnsw_ef_search)

"""The damage matrix: every file ragvsft writes and later reads, damaged each way a disk, a copy or a hand can
damage it — cut short, emptied, overwritten with other bytes of the same length, deleted. Each case ends in one
of two outcomes, asserted here and tabled in the README's Reliability section:

- **error**: one line naming the file and what to do (a ``RagvsftError``, which the CLI prints without traceback);
- **rebuilt**: the command that owns the artifact sets the damaged copy aside and makes it again.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from lm_fixtures import lora_adapter
from ragvsft.cache import ResultCache
from ragvsft.checksums import describe_files
from ragvsft.documents import load_documents
from ragvsft.embedders import SentenceTransformerEmbedder
from ragvsft.errors import RagvsftError
from ragvsft.finetune.adapter import META_FILE, check_adapter_base
from ragvsft.generators.base import Generation
from ragvsft.indexing import IndexSpec, build_index, load_index
from ragvsft.models import CONVERTED_RECORD, _damaged_conversion
from ragvsft.pipelines.finetune import reusable_adapter
from ragvsft.results import ExperimentResults

Damage = Callable[[Path], None]
DAMAGES: dict[str, Damage] = {
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
    "emptied": lambda p: p.write_bytes(b""),
    "overwritten": lambda p: p.write_bytes(random.Random(0).randbytes(max(p.stat().st_size, 1))),
    "deleted": lambda p: p.unlink(),
}


def one_line_error(call: Callable[[], object], names: str) -> str:
    with pytest.raises(RagvsftError) as info:
        call()
    message = str(info.value)
    assert names in message and "\n" not in message and "Traceback" not in message, message
    return message


# --- the index: its three files, and CURRENT -------------------------------------------------------------------


@pytest.fixture
def index(small_corpus: Path, tmp_path: Path, tiny_embedder_dir: Path):
    embedder = SentenceTransformerEmbedder(str(tiny_embedder_dir), batch_size=4)
    docs = load_documents(small_corpus / "docs")
    spec = IndexSpec(embedder.identity, chunk_chars=60, chunk_overlap_chars=10)
    root = tmp_path / "index"

    def build():
        return build_index(docs, lambda: embedder, root, spec)

    def load():
        return load_index(root, expected_embedder=embedder.identity, hnsw_ef_search=64)

    return build().path, build, load


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("file", ["index.faiss", "chunks.jsonl", "manifest.json"])
def test_index_files_error_on_load_and_are_rebuilt_by_index(index, file: str, damage: str) -> None:
    version, build, load = index
    DAMAGES[damage](version / file)
    one_line_error(load, str(version / file))  # `search`, `serve` and `run`'s evaluation: error
    rebuilt = build()  # `index` and `run`: rebuilt, never reused
    assert not rebuilt.reused and rebuilt.damaged.startswith(str(version / file))
    store, manifest = load()
    assert len(store) == manifest["counts"]["chunks"] > 0


@pytest.mark.parametrize("damage", DAMAGES)
def test_current_errors_on_load_and_is_published_again_by_index(index, damage: str) -> None:
    version, build, load = index
    DAMAGES[damage](version.parent / "CURRENT")
    one_line_error(load, str(version.parent))  # "no index built yet", or the name it holds is not a version
    again = build()
    assert again.path == version and again.reused  # the version itself was intact: published again, not rebuilt
    assert load()[1]["fingerprint"] == version.name.removeprefix("v-")


# --- the adapter ---------------------------------------------------------------------------------------------


@pytest.fixture
def adapter(tiny_lm_dir: Path, tmp_path: Path) -> Path:
    folder = lora_adapter(tiny_lm_dir, tmp_path / "adapters" / "a1", base_identity="base@sha256:1")
    meta = json.loads((folder / META_FILE).read_text())
    meta["files"] = describe_files(folder, ["adapter_model.safetensors", "adapter_config.json"])
    (folder / META_FILE).write_text(json.dumps(meta))
    check_adapter_base(folder, "base@sha256:1")  # intact
    return folder


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("file", ["adapter_model.safetensors", "adapter_config.json", META_FILE])
def test_adapter_files_error_on_load_and_are_trained_again_by_finetune(adapter: Path, file: str, damage: str) -> None:
    DAMAGES[damage](adapter / file)
    one_line_error(lambda: check_adapter_base(adapter, "base@sha256:1"), str(adapter / file))  # serve, evaluate
    console = Console(record=True, width=300)
    assert not reusable_adapter(adapter, "base@sha256:1", console)  # fine-tune: set aside, trained again
    assert not adapter.exists() and "damaged adapter set aside and trained again" in console.export_text()


# --- the answer and score cache --------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_cache_is_set_aside_and_started_anew(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "cache.sqlite"
    cache = ResultCache(path)
    cache.put_generations({f"k{i}": Generation(f"answer {i} " * 20, 10, 4, 1.0) for i in range(300)})
    cache.close()
    DAMAGES[damage](path)
    cache = ResultCache(path)  # never an error: everything in a cache can be computed again
    set_aside = damage in ("truncated", "overwritten")  # an empty file is an empty database; a deleted one, new
    assert bool(cache.damaged) is set_aside and (tmp_path / "cache.sqlite.damaged").exists() is set_aside
    assert cache.get_generations(["k1"]) == {}
    cache.put_generations({"k1": Generation("new", 1, 1, 1.0)})
    assert cache.get_generations(["k1"])["k1"].text == "new"


def test_a_damaged_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "cache.sqlite")
    cache.put_generations({"good": Generation("a", 1, 1, 1.0)})
    cache.put_scores("f1", {"good": 0.5})
    with cache._db:
        cache._db.execute("INSERT INTO generations VALUES ('bad', '{\"text\": 1')")
        cache._db.execute("INSERT INTO generations VALUES ('other', '{\"answer\": \"x\"}')")
        cache._db.execute("INSERT INTO scores VALUES ('f1', 'bad', 'not a number')")
    assert set(cache.get_generations(["good", "bad", "other"])) == {"good"}
    assert cache.get_scores("f1", ["good", "bad"]) == {"good": 0.5}


# --- the results file the report is rendered from ----------------------------------------------------------------


@pytest.mark.parametrize("damage", [*DAMAGES, "another JSON type", "fields missing"])
def test_a_damaged_results_file_is_one_error(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "results.json"
    ExperimentResults("x", "c", "run", "r", (), {}, {}, {}, []).save(path)
    {"another JSON type": lambda p: p.write_text("[1, 2]"),
     "fields missing": lambda p: p.write_text('{"format": 1, "points": []}'), **DAMAGES}[damage](path)
    one_line_error(lambda: ExperimentResults.load(path), str(path))


# --- the converted packaged model ------------------------------------------------------------------------------


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("file", ["model.safetensors", "config.json", CONVERTED_RECORD])
def test_a_damaged_converted_model_is_converted_again(tmp_path: Path, file: str, damage: str) -> None:
    folder = tmp_path / "SmolLM2-135M-Instruct-0123"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(random.Random(1).randbytes(4096))
    (folder / "config.json").write_text('{"model_type": "llama"}')
    (folder / CONVERTED_RECORD).write_text(json.dumps(describe_files(folder, ["config.json", "model.safetensors"])))
    assert _damaged_conversion(folder) is None
    DAMAGES[damage](folder / file)
    # resolve_lm converts again whenever this names a problem (tested for real in test_models).
    assert _damaged_conversion(folder).startswith(str(folder / (CONVERTED_RECORD if file == CONVERTED_RECORD else file)))


@pytest.mark.slow  # ~40 s: `scripts/test.sh -m slow`
def test_the_packaged_model_damaged_after_conversion_is_converted_again(request: pytest.FixtureRequest,
                                                                       tmp_path: Path) -> None:
    """The real path, once: a cut-short weights file is found, set aside and converted again (~20 s)."""
    from ragvsft.models import resolve_lm

    shared = Path(request.config.cache.mkdir("ragvsft-models"))
    resolve_lm("SmolLM2-135M-Instruct", shared)  # converted once per machine, as in test_generators
    folder, _ = resolve_lm("SmolLM2-135M-Instruct", shared)
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    DAMAGES["truncated"](copy / "model.safetensors")
    again, _ = resolve_lm("SmolLM2-135M-Instruct", tmp_path)
    assert again == copy and _damaged_conversion(copy) is None

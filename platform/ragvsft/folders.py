"""The folders a command writes (``output_dir``, ``model.cache_dir``), checked before it starts work.

Why: a folder that cannot be made or written (a file in the way, a read-only disk, a path under ``/proc``, no
permission) otherwise surfaced as a Python traceback from deep inside an index build or a model conversion.
"""

from __future__ import annotations

import tempfile

from ragvsft.config import ExperimentConfig
from ragvsft.errors import RagvsftError


def check_writable(config: ExperimentConfig) -> None:
    """Make ``output_dir`` and ``model.cache_dir`` if missing and write a scratch file in each; one line naming the
    setting and the cause when either cannot be used, or lies in the corpus' ``docs/``: the next run would read the
    index's chunks and the converted model written there as documents (and find the corpus changed every time)."""
    docs = (config.corpus / "docs").resolve()
    for key, folder in (("output_dir", config.output_dir), ("model.cache_dir", config.model.cache_dir)):
        if folder.resolve().is_relative_to(docs):
            raise RagvsftError(f"{key} = {str(folder)!r}: inside the corpus' documents ({docs}), where what runs write "
                               "(the index's chunks, the converted model) would be read as documents by the next run; "
                               f"choose a folder outside it in the experiment file or with --set {key}=\"...\"")
        try:
            if folder.exists() and not folder.is_dir():
                raise NotADirectoryError(0, "a file, not a folder, is there")
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as exc:
            raise RagvsftError(f"{key} = {str(folder)!r}: cannot write there ({exc.strerror or exc}); choose another "
                               f"folder in the experiment file or with --set {key}=\"...\"") from None

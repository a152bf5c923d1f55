"""The worked examples in docstrings are true: every module of the library and the recipes is collected, so an
example that is wrong fails here (``+SKIP`` only where an example needs a model or files it cannot have)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import tempfile
from pathlib import Path

import pytest

import ragvsft
import ragvsft.pipelines

# ragvsft.pipelines lives in pipelines/ (see pyproject.toml), outside ragvsft's folder, so it is walked on its own.
MODULES = sorted({m.name for m in pkgutil.walk_packages(ragvsft.__path__, "ragvsft.")}
                 | {m.name for m in pkgutil.walk_packages(ragvsft.pipelines.__path__, "ragvsft.pipelines.")})


def test_every_module_is_collected() -> None:
    assert {"ragvsft.arms", "ragvsft.config", "ragvsft.pipelines.run", "ragvsft.finetune.lora"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' folders go where pytest tidies them
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0

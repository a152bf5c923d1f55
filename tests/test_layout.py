"""The source root must not shadow the standard library, and every command documents itself."""

from __future__ import annotations

import importlib
import sys
import sysconfig
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]


def test_import_platform_is_the_standard_library() -> None:
    import platform

    assert Path(platform.__file__).parent == Path(sysconfig.get_paths()["stdlib"])
    assert callable(platform.system)  # what torch and mlflow call
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_platform_still_stdlib_with_source_root_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # Someone running `python` from the repo root puts it first on sys.path.
    monkeypatch.syspath_prepend(str(ROOT))
    monkeypatch.delitem(sys.modules, "platform")
    assert Path(importlib.import_module("platform").__file__).parent == Path(sysconfig.get_paths()["stdlib"])


def test_package_and_recipes_import() -> None:
    import ragvsft
    import ragvsft.pipelines.index

    assert Path(ragvsft.__file__).parent == ROOT / "platform" / "ragvsft"
    assert Path(ragvsft.pipelines.index.__file__).parent == ROOT / "pipelines"


@pytest.mark.parametrize("command", [[], ["check"], ["index"], ["search"]])
def test_every_command_has_help(command: list[str]) -> None:
    from ragvsft.cli import app

    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    if command:
        assert "experiment" in result.output.lower()

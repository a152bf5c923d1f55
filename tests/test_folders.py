"""A command whose output or cache folder cannot be written stops in one line before it starts work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write_corpus, write_experiment
from ragvsft.cli import app


@pytest.mark.parametrize(("key", "where", "says"), [
    ("output_dir", "{file}", "a file, not a folder, is there"),
    ("output_dir", "{file}/out", "Not a directory"),
    ("model.cache_dir", "/proc/ragvsft-cache", "No such file or directory"),
])
def test_a_folder_that_cannot_be_written_is_one_line_naming_the_setting(
    tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, monkeypatch: pytest.MonkeyPatch,
    key: str, where: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    experiment = write_experiment(tmp_path, write_corpus(tmp_path / "corpus"), tiny_lm_dir, tiny_embedder_dir)
    (tmp_path / "a-file").write_text("in the way\n")
    folder = where.format(file=tmp_path / "a-file")
    for command in ("index", "run", "check"):
        result = CliRunner().invoke(app, [command, str(experiment), "--set", f'{key}="{folder}"'])
        assert result.exit_code == 2, result.output
        assert result.output == (f"error: {key} = {folder!r}: cannot write there ({says}); choose another folder in "
                                 f"the experiment file or with --set {key}=\"...\"\n")
    assert (tmp_path / "a-file").read_text() == "in the way\n"


@pytest.mark.parametrize("key", ["output_dir", "model.cache_dir"])
def test_a_folder_inside_the_corpus_documents_is_refused_before_anything_is_written(
    tmp_path: Path, tiny_lm_dir: Path, tiny_embedder_dir: Path, key: str
) -> None:
    # Written there, the index's chunks.jsonl was read as a document by the next run: the corpus indexed itself.
    corpus = write_corpus(tmp_path / "corpus")
    experiment = write_experiment(tmp_path, corpus, tiny_lm_dir, tiny_embedder_dir)
    before = sorted((corpus / "docs").rglob("*"))
    folder = corpus / "docs" / "artifacts"
    for command in ("index", "check"):
        result = CliRunner().invoke(app, [command, str(experiment), "--set", f'{key}="{folder}"'])
        assert result.exit_code == 2, result.output
        assert " ".join(result.output.split()) == (
            f"error: {key} = {str(folder)!r}: inside the corpus' documents ({corpus / 'docs'}), where what runs write "
            "(the index's chunks, the converted model) would be read as documents by the next run; choose a folder "
            f"outside it in the experiment file or with --set {key}=\"...\"")
    assert sorted((corpus / "docs").rglob("*")) == before

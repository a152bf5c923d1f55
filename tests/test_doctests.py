"""The worked examples in docstrings are true: every metric's, the statistics', the labelled set's."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "ragvsft.metrics", "ragvsft.metrics.text", "ragvsft.metrics.correctness", "ragvsft.metrics.faithfulness",
    "ragvsft.metrics.relevance", "ragvsft.metrics.judge", "ragvsft.metrics.labelled_set",
    "ragvsft.metrics.validation", "ragvsft.stats", "ragvsft.report",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0

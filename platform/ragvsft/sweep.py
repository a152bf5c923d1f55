"""The ``[sweep]`` table of an experiment file: which settings vary, and the points they make.

    [sweep]
    "index.top_k" = [1, 2, 4, 8]            # an axis: a config key and its values
    "finetune.train_fraction" = [0.5, 1.0]  # axes multiply into a grid (here 4 x 2 points)

or, instead of a grid, a declared list of points::

    [[sweep.points]]
    "index.top_k" = 2
    [[sweep.points]]
    "index.top_k" = 8
    "prompt.few_shot" = 2

Each point is the experiment file with its values set, validated exactly like
``--set``, so a bad value names the point and the key. Settings that would
change which questions are asked (corpus, split, output folder) cannot vary:
every point answers the same eval questions, so points can be compared
question by question.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragvsft.config import ExperimentConfig, config_from_data, parse_override, read_experiment, set_key
from ragvsft.errors import ConfigError
from ragvsft.results import point_label

FIXED = ("corpus", "strict_corpus", "name", "output_dir", "eval_fraction", "evaluate.max_questions", "evaluate.arms",
         "evaluate.extra_arms", "evaluate.cache", "report", "ray")
MAX_POINTS = 200  # a typo'd grid should fail, not queue a week of CPU


@dataclass(frozen=True)
class SweepPoint:
    """One setting of the swept keys and the experiment config it makes.

    Example:
        >>> SweepPoint({"index.top_k": 4, "prompt.few_shot": 2}, None).label
        'top_k=4 few_shot=2'
    """

    values: dict[str, Any]
    config: ExperimentConfig

    @property
    def label(self) -> str:
        return point_label(self.values)


@dataclass(frozen=True)
class Sweep:
    """The experiment without the sweep (``base``), the swept keys, and every point in order."""

    base: ExperimentConfig
    axes: tuple[str, ...]
    points: tuple[SweepPoint, ...]


def load_sweep(path: Path, overrides: Sequence[str] = ()) -> Sweep:
    """Read an experiment file's ``[sweep]`` table into validated points.

    Example:
        >>> sweep = load_sweep(Path("experiments/demo-sweep.toml"))  # doctest: +SKIP
        >>> [p.label for p in sweep.points][:2]  # doctest: +SKIP
        ['top_k=1', 'top_k=2']
    """
    data = read_experiment(path)
    table = data.pop("sweep", None)
    where = f"{path} [sweep]"
    if not isinstance(table, dict) or not table:
        problem = "no [sweep] table" if table is None else "the [sweep] table is empty"
        raise ConfigError(path, f"{problem}: add one, e.g. [sweep] \"index.top_k\" = [1, 2, 4, 8] (see README, Sweeps)")
    for text in overrides:
        keys, value = parse_override(text)
        set_key(data, keys, value, "--set")
    base = config_from_data(copy.deepcopy(data), path, str(path))
    settings = _points(table, where)
    points = []
    for values in settings:
        point = copy.deepcopy(data)
        for key, value in values.items():
            set_key(point, key.split("."), value, where)
        label = " ".join(f"{k}={v!r}" for k, v in values.items())
        points.append(SweepPoint(values, config_from_data(point, path, f"{where} point {label}")))
    return Sweep(base, tuple(dict.fromkeys(k for v in settings for k in v)), tuple(points))


def _points(table: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The grid of the axes, or the declared points; each a ``{key: value}`` dict."""
    declared = table.pop("points", None)
    table = _flatten(table)
    if declared is not None and table:
        raise ConfigError(where, "use either axes (\"key\" = [values]) or [[sweep.points]], not both")
    if declared is not None:
        if not isinstance(declared, list) or not all(isinstance(p, dict) and p for p in declared):
            raise ConfigError(where, "[[sweep.points]] must be tables of \"key\" = value")
        points = [_flatten(p) for p in declared]
    else:
        for key, values in table.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(where, f"'{key}' must be a non-empty list of values, got {values!r}")
            if len({repr(v) for v in values}) != len(values):
                raise ConfigError(where, f"'{key}' lists a value twice: {values!r}")
        points = [dict(zip(table, combo)) for combo in itertools.product(*table.values())]
    for point in points:
        for key in point:
            if any(key == fixed or key.startswith(f"{fixed}.") for fixed in FIXED):
                raise ConfigError(where, f"'{key}' cannot vary in a sweep: every point must answer the same eval "
                                         "questions with the same arms; make a second experiment file instead")
    if len(points) > MAX_POINTS:
        raise ConfigError(where, f"{len(points)} points (more than {MAX_POINTS}); sweep fewer values per axis")
    seen = set()
    for point in points:
        frozen = repr(sorted(point.items()))
        if frozen in seen:
            raise ConfigError(where, f"point {point} is listed twice")
        seen.add(frozen)
    return points


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"index": {"top_k": [1]}}`` (an unquoted dotted key in TOML) -> ``{"index.top_k": [1]}``."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out |= _flatten(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out

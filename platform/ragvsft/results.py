"""The evidence file: what a run or a sweep measured, per point and arm and question, in one JSON file.

``ragvsft run`` and ``ragvsft sweep`` write ``<output_dir>/report/results.json``;
``ragvsft report`` reads it and renders the ceiling analysis and the decision
report again without recomputing anything. JSON, not pickle: the file is
shared, diffed and read by other tools.
"""

from __future__ import annotations

import dataclasses
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ragvsft.errors import RagvsftError
from ragvsft.evaluation import EvalRecord
from ragvsft.jsonfile import read_json_object

FORMAT_VERSION = 1


def point_label(values: dict[str, Any], sep: str = " ") -> str:
    """A sweep point's settings, each key by its last part: what run names, tables and the verdict show.

    Example:
        >>> point_label({"index.top_k": 4, "prompt.few_shot": 2})
        'top_k=4 few_shot=2'
    """
    return sep.join(f"{key.rsplit('.', 1)[-1]}={value}" for key, value in values.items())


@dataclass(frozen=True)
class PointResult:
    """One setting of the swept keys (``values``; empty for a plain run) and every arm's answers at it."""

    values: dict[str, Any]
    records: dict[str, list[EvalRecord]]  # arm -> one record per answered question
    tokens_per_s: dict[str, float]  # arm -> generation throughput
    peak_rss_mb: dict[str, float]  # arm -> the evaluating process' peak resident memory once the arm had answered
    train_examples: int = 0  # training questions the adapter saw (0: no adapter)
    index_mb: float = 0.0
    adapter_mb: float = 0.0
    train_s: float = 0.0  # wall seconds the adapter's fine-tune took (when it was trained, maybe earlier)
    device: str = "cpu"  # where the model answered: "cpu" or "cuda"


@dataclass(frozen=True)
class ExperimentResults:
    """Everything the report needs; ``base_values`` holds the experiment file's own value of each swept key.

    Example:
        >>> results = ExperimentResults.load(Path("artifacts/demo/report/results.json"))  # doctest: +SKIP
        >>> results.points[0].records["rag"][0].scores["token_f1"]  # doctest: +SKIP
        0.5
    """

    experiment: str
    corpus: str
    kind: str  # "run" or "sweep"
    run_id: str  # the MLflow parent run the report is logged to
    axes: tuple[str, ...]
    base_values: dict[str, Any]
    arm_specs: dict[str, dict[str, Any]]
    settings: dict[str, Any]  # the experiment's [report] table
    points: list[PointResult] = field(default_factory=list)

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the previous file, never half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        tmp.write_text(json.dumps({"format": FORMAT_VERSION, **dataclasses.asdict(self)}, ensure_ascii=False),
                       encoding="utf-8")
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> ExperimentResults:
        again = "run the experiment again"
        data = read_json_object(path, fix=again, missing="no results yet; `ragvsft run` or `ragvsft sweep` writes them")
        if data.pop("format", None) != FORMAT_VERSION:
            raise RagvsftError(f"{path}: written by another version of ragvsft; {again}")
        try:
            points = [PointResult(**{**p, "records": {arm: [_record(r) for r in rs] for arm, rs in p["records"].items()}})
                      for p in data.pop("points")]
            return cls(**{**data, "axes": tuple(data["axes"])}, points=points)
        except (KeyError, TypeError, AttributeError) as exc:  # edited by hand, or written by a broken copy
            raise RagvsftError(f"{path}: not a complete results file ({type(exc).__name__}: {exc}); {again}") from None


def _record(row: dict[str, Any]) -> EvalRecord:
    return EvalRecord(**{k: tuple(v) if isinstance(v, list) else v for k, v in row.items()})

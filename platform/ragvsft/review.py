"""The review room: what a person opening ``mlflow ui`` after ``ragvsft run`` sees first.

A run's parent carries a handful of headline numbers per arm (rounded the way
they are read), the arm x metric table and the paired comparisons as table
artifacts (one row each, instead of hundreds of metrics), and a saved view of
the runs table that lines the arms up with those numbers as columns. The
first line of the experiment's description (shown above its runs table)
links the newest such view.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ragvsft import tracking
from ragvsft.report import mean_of
from ragvsft.stats import Estimate, PairedTest, format_p

# Per arm on the parent run and as the comparison view's columns: quality first, then what it costs.
HEADLINE = ("token_f1", "faithfulness", "answer_relevance", "exact_match", "answer_recall", "latency_ms_p50")


def rounded(value: float) -> float:
    """Scores to 3 decimals, anything of 100 or more (milliseconds, megabytes) to a whole number.

    Example:
        >>> rounded(0.70957446), rounded(28229.1622), rounded(9.4371)
        (0.71, 28229.0, 9.437)
    """
    return float(round(value)) if abs(value) >= 100 else round(value, 3)


def headline_by_arm(summaries: Mapping[str, Mapping[str, Estimate | float]],
                    metrics: tuple[str, ...] = HEADLINE) -> dict[str, dict[str, float]]:
    """``arm -> metric -> mean``, rounded, for the metrics each arm has a value of.

    Example:
        >>> headline_by_arm({"rag": {"token_f1": Estimate(0.41234, 0.3, 0.5, 9), "faithfulness": Estimate(0, 0, 0, 0)}})
        {'rag': {'token_f1': 0.412}}
    """
    return {arm: {m: rounded(v) for m in metrics if (v := mean_of(s.get(m))) is not None}
            for arm, s in summaries.items()}


def headline_metrics(summaries: Mapping[str, Mapping[str, Estimate | float]]) -> dict[str, float]:
    """``<arm>/<metric>``: what the parent run carries, one metric per arm and headline.

    Example:
        >>> headline_metrics({"rag": {"token_f1": Estimate(0.41234, 0.3, 0.5, 9)}})
        {'rag/token_f1': 0.412}
    """
    return {f"{arm}/{m}": v for arm, numbers in headline_by_arm(summaries).items() for m, v in numbers.items()}


def arms_table(summaries: Mapping[str, Mapping[str, Estimate | float]], metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    """One row per arm: ``n`` and each metric as ``"mean [low, high]"`` (95 % bootstrap interval).

    Example:
        >>> arms_table({"rag": {"token_f1": Estimate(0.41, 0.3, 0.5, 9)}}, ("token_f1",))
        [{'arm': 'rag', 'n': 9, 'token_f1': '0.410 [0.300, 0.500]'}]
    """
    rows = []
    for arm, summary in summaries.items():
        row: dict[str, Any] = {"arm": arm, "n": max((e.n for e in summary.values() if isinstance(e, Estimate)),
                                                     default=0)}
        for m in metrics:
            value = summary.get(m)
            if isinstance(value, Estimate):
                row[m] = f"{value.mean:.3f} [{value.low:.3f}, {value.high:.3f}]" if value.n else "–"
            elif (plain := mean_of(value)) is not None:
                row[m] = f"{rounded(plain):g}"
        rows.append(row)
    return rows


def paired_table(paired: Mapping[tuple[str, str], Mapping[str, PairedTest]]) -> list[dict[str, Any]]:
    """One row per (arm pair, metric): the paired difference, its 95 % interval and the Holm-adjusted p.

    Example:
        >>> paired_table({("rag", "base"): {"token_f1": PairedTest(0.2, 0.1, 0.3, 0.002, 40)}})[0]["p"]
        0.002
    """
    return [{"a": a, "b": b, "metric": m, "diff": round(t.diff, 4), "ci_low": round(t.low, 4),
             "ci_high": round(t.high, 4), "p": t.p, "p_text": format_p(t.p), "n": t.n}
            for (a, b), tests in paired.items() for m, t in tests.items()]


def comparison_view(parent_run_id: str, *, pipeline: str, group_tag: str, metrics: list[str],
                    params: list[str]) -> dict[str, Any]:
    """The runs-table state that lines up one parent's children of one kind (``ragvsft.pipeline``): only those
    runs, in the order they ran, one group per ``group_tag`` value (a group row shows its runs' metrics, whatever
    MLflow does with the parent's nesting: a saved view cannot expand it), ``metrics`` then ``params`` as columns.

    Example:
        >>> comparison_view("abc", pipeline="evaluate", group_tag="ragvsft.arm", metrics=["token_f1"],
        ...                 params=[])["selectedColumns"]
        ['metrics.`token_f1`']
    """
    columns = [f"metrics.`{m}`" for m in metrics] + [f"params.`{p}`" for p in params]
    return {"searchFilter": f"tags.`mlflow.parentRunId` = '{parent_run_id}' and tags.`ragvsft.pipeline` = '{pipeline}'",
            "orderByKey": "attributes.start_time", "orderByAsc": True, "startTime": "ALL",
            "lifecycleFilter": "Active", "datasetsFilter": [], "modelVersionFilter": "All Runs",
            "selectedColumns": columns, "columnOrder": columns, "columnWidths": {},
            "runsHiddenMode": "SHOW_ALL", "viewMaximized": False, "runListHidden": False,
            "isAccordionReordered": False, "useGroupedValuesInCharts": True, "hideEmptyCharts": True,
            "groupBy": {"aggregateFunction": "average", "groupByKeys": [{"mode": "tag", "groupByData": group_tag}]},
            "groupsExpanded": {}, "compareRunCharts": None, "compareRunSections": None,
            "globalLineChartConfig": {"xAxisKey": "step", "lineSmoothness": 0, "selectedXAxisMetricKey": ""}}


def open_room(uri: str, corpus_name: str, corpus_path: Path, run_id: str, view: Mapping[str, Any], what: str) -> str:
    """Save ``view`` for run ``run_id`` (listed under *Views* as "<what> of <run name>") and link it from the top of
    the experiment's description; returns the view's link, relative to the UI's address."""
    experiment = tracking.experiment_id(uri, tracking.experiment_name(corpus_name))
    name = tracking.get_run(uri, run_id).info.run_name
    key = run_id[:12]
    tracking.save_view(uri, experiment, key, f"{what} of {name}", view)
    link = tracking.view_link(experiment, key)
    # One paragraph: MLflow's runs page shows only the first, and the link is what a reviewer came for.
    tracking.describe_experiment(uri, experiment, (
        f"**Newest comparison ({what}): [{name}]({link})** — RAG against fine-tuning on the corpus "
        f"**{corpus_name}** (`{corpus_path}`) by ragvsft; every run's comparison is under *Views*."))
    return link

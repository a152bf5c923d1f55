"""Sweep recipe: the experiment at every point of its ``[sweep]`` table, then the ceiling analysis and the report.

    ragvsft sweep experiments/demo-sweep.toml

1. read and validate every point before anything expensive;
2. per distinct index setting, build or reuse the index; per distinct fine-tune setting, train or reuse the
   adapter (both are found again by a fingerprint of their inputs);
3. per point, every arm answers the same eval questions — answers and scores come from the cache when their
   inputs did not change, so a rerun after a crash, or a new value on an axis, computes only what is new;
4. one MLflow parent run ``sweep-<name>`` with a child per index, adapter and point; the ceiling metrics and the
   decision report on the parent.

With ``--ray`` (``[ray] address``), steps 2 and 3 run as Ray tasks (``sweep_ray.py``); the rest stays here.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from ragvsft import review, tracking
from ragvsft.config import ExperimentConfig, config_to_dict
from ragvsft.corpus import Corpus
from ragvsft.pipelines import evaluate, finetune, index, report
from ragvsft.pipelines.common import checked_corpus
from ragvsft.preflight import adapter_arms
from ragvsft.results import ExperimentResults, PointResult, point_label
from ragvsft.sweep import Sweep, SweepPoint

KeepFn = Callable[[int, PointResult, dict[str, dict]], None]  # (position in the order, results, arm specs)


def index_key(config: ExperimentConfig) -> tuple:
    i = config.index
    return i.embedder, i.dtype, i.chunk_chars, i.chunk_overlap_chars, i.index_type, i.hnsw_m


def finetune_key(config: ExperimentConfig) -> tuple:
    """What the training examples and the adapter depend on (few-shot and top_k do not; the base model's dtype does:
    it trains in ``model.dtype``)."""
    m = config.model
    return (config.finetune, m.base_model, m.device, m.dtype, dataclasses.replace(config.prompt, few_shot=0), config.seed,
            config.index.chunk_chars, config.index.chunk_overlap_chars, config.synthesize.labeller)


def evaluate_point(config: ExperimentConfig, values: dict[str, Any], position: str, corpus: Corpus, parent_run_id: str,
                   index_dir: Path, ft: finetune.FinetuneResult | None, loaded: evaluate.Loaded,
                   console: Console) -> tuple[PointResult, dict[str, dict]]:
    """Every arm at one point, in a child run ``point-<label>`` of the sweep's run (here or in a Ray task); returns
    the point's results and the specs of its arms."""
    label = point_label(values)
    with tracking.run(uri=tracking.tracking_uri(), experiment=tracking.experiment_name(corpus.name),
                      name=f"point-{label}", description=f"sweep point {position}: {label}",
                      tags={"ragvsft.pipeline": "sweep-point", "ragvsft.experiment": config.name,
                            "ragvsft.point": label},
                      parent_run_id=parent_run_id) as child:
        child.log_params({f"sweep.{k}": v for k, v in values.items()})
        adapter_dir = ft.adapter_dir if ft else None
        arm_results = evaluate.main(config, console, corpus, adapter_dir=adapter_dir, parent_run_id=child.run_id,
                                    loaded=loaded, index_dir=index_dir)
        child.log_metrics({f"{r.arm.name}/{k}": review.rounded(v) for r in arm_results
                           for k, v in evaluate.flatten_summary(r.summary).items()
                           if not k.endswith(("_ci_low", "_ci_high"))})
    result = evaluate.point_result(values, arm_results, index_dir=index_dir, adapter_dir=adapter_dir,
                                   train_examples=ft.train_questions if ft else 0, device=config.model.device)
    return result, {r.arm.name: dataclasses.asdict(r.arm.spec) for r in arm_results}


def _run_points(order: list[SweepPoint], corpus: Corpus, parent_run_id: str, loaded: evaluate.Loaded,
                console: Console, keep: KeepFn) -> None:
    """The points one after another in this process, each index built (or found) and each adapter trained (or
    found) once, the models loaded once."""
    quiet = Console(quiet=True)
    indexes: dict[tuple, index.IndexResult] = {}
    adapters: dict[tuple, finetune.FinetuneResult] = {}
    current_index: tuple | None = None
    for n, point in enumerate(order, start=1):
        config = point.config
        console.rule(escape(f"point {n}/{len(order)}: {point.label}"))
        ikey = index_key(config)
        if ikey != current_index:  # built (or found) once per run of points sharing it
            indexes[ikey] = index.main(config, quiet, parent_run_id=parent_run_id)
            current_index = ikey
        ft = None
        if adapter_arms(config):
            fkey = finetune_key(config)
            if fkey not in adapters:
                adapters[fkey] = finetune.main(config, console, parent_run_id=parent_run_id)
            ft = adapters[fkey]
        keep(n, *evaluate_point(config, point.values, f"{n}/{len(order)}", corpus, parent_run_id,
                                indexes[ikey].built.path, ft, loaded, console))


def main(sweep: Sweep, console: Console) -> ExperimentResults:
    base = sweep.base
    corpus = checked_corpus(base, console, points=[p.config for p in sweep.points])
    # Points sharing an index run together (the index folder keeps only its newest few versions), and within
    # those, points sharing an adapter (one adapter is kept loaded at a time).
    order = sorted(sweep.points, key=lambda p: (repr(index_key(p.config)), repr(finetune_key(p.config))))
    console.print(f"sweep: {len(order)} points over {', '.join(sweep.axes)}")
    uri = tracking.tracking_uri()
    started = time.perf_counter()
    loaded = evaluate.Loaded.for_experiment(base)
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name),
        name=tracking.run_title(f"sweep-{base.name}", corpus.name, base.model.base_model),
        description=f"sweep of {corpus.name} over {', '.join(sweep.axes)}: {len(order)} points",
        tags={"ragvsft.pipeline": "sweep", "ragvsft.experiment": base.name, "ragvsft.docs_sha256": corpus.docs.sha256},
    ) as parent:
        flat = config_to_dict(base)
        parent.log_params(flat | {"sweep.axes": ", ".join(sweep.axes), "sweep.points": len(order)}
                          | {f"sweep.values.{a}": str([p.values.get(a) for p in sweep.points]) for a in sweep.axes})
        results = ExperimentResults(
            experiment=base.name, corpus=corpus.name, kind="sweep", run_id=parent.run_id, axes=sweep.axes,
            base_values={a: flat[a] for a in sweep.axes}, arm_specs={}, settings=dataclasses.asdict(base.report))
        finished: dict[int, PointResult] = {}

        def keep(n: int, point_result: PointResult, arm_specs: dict[str, dict]) -> None:
            finished[n] = point_result
            results.points[:] = [finished[k] for k in sorted(finished)]
            results.arm_specs.update(arm_specs)
            results.save(base.output_dir / "report" / "results.json")  # a crash keeps every finished point

        if base.ray.address is None:
            _run_points(order, corpus, parent.run_id, loaded, console, keep)
        else:
            from ragvsft.pipelines import sweep_ray

            sweep_ray.run_points(order, base, parent.run_id, loaded, console, keep)
        if loaded.cache is not None:
            parent.log_metrics({"cache/generation_hit_rate": loaded.cache.generations.rate,
                                "cache/score_hit_rate": loaded.cache.scores.rate})
        parent.log_metrics({"sweep_wall_s": time.perf_counter() - started})
        report.write(results, base.output_dir / "report", console, logger=parent)
    if loaded.cache is not None:
        console.print(f"cache hits: answers {loaded.cache.generations}, scores {loaded.cache.scores}")
    arms = list(results.arm_specs)
    view = review.open_room(uri, corpus.name, base.corpus, parent.run_id, review.comparison_view(
        parent.run_id, pipeline="sweep-point", group_tag="ragvsft.point",
        metrics=[f"{arm}/{m}" for m in ("token_f1", "faithfulness") for arm in arms],
        params=[f"sweep.{axis}" for axis in sweep.axes]), "sweep points side by side")
    console.print(f"sweep of {len(order)} points in {time.perf_counter() - started:.0f} s; "
                  f"open the runs: {tracking.ui_command(uri)}, then\n  the points side by side: "
                  f"{tracking.ui_base(uri)}/{view}", highlight=False, soft_wrap=True)
    return results

"""Retrain recipe: one idempotent pass that keeps index and adapter current and promotes only what measures no worse.

    ragvsft retrain experiments/demo.toml

1. take the pass lock; validate config and corpus; finish a promotion an earlier pass was killed in;
2. diff the corpus against the state the champion release was built from — nothing changed: done, no runs;
3. index: embed only new and changed chunks (the champion's vectors are reused); adapter: trained again only when
   its training questions, their documents (RAFT) or its settings changed — both at once, as in ``ragvsft run``;
4. champion and challenger answer the same eval questions (new ones included) in one MLflow run;
5. the gates decide: promote (one registry write) or keep the champion; the decision is logged with its table.

Exit status (``ragvsft retrain``): 0 promoted or nothing to do, 1 gates failed, 2 bad input, 3 another pass runs.
A pass killed at any point leaves the champion whole; the next pass reuses what the killed one finished.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from rich.console import Console
from rich.table import Table

from ragvsft import releases, tracking
from ragvsft.arms import ARMS
from ragvsft.builders import corpus_state
from ragvsft.config import ExperimentConfig
from ragvsft.corpus import Corpus
from ragvsft.corpus_state import CorpusDiff, CorpusState, diff_states
from ragvsft.errors import ConfigError, RagvsftError
from ragvsft.fewshot import examples_of
from ragvsft.gates import Gate, check_gates
from ragvsft.lock import PassLock
from ragvsft.pipelines import evaluate
from ragvsft.pipelines.common import checked_corpus, progress
from ragvsft.pipelines.parallel import run_in_parallel
from ragvsft.preflight import adapter_arms
from ragvsft.releases import CHAMPION, ReleaseRecord

FAULT_ENV = "RAGVSFT_FAULT_AT"  # tests: SIGKILL this pass at a stage, to prove a kill leaves the champion whole
FAULT_STAGES = ("detect", "embed", "train", "evaluate", "register", "promote")
Outcome = Literal["unchanged", "refreshed", "promoted", "rejected"]
EXIT_CODES: dict[Outcome, int] = {"unchanged": 0, "refreshed": 0, "promoted": 0, "rejected": 1}


@dataclass(frozen=True)
class PassResult:
    """What one pass did: its outcome, the diff it acted on, the challenger release, the gates and its run."""

    outcome: Outcome
    diff: CorpusDiff | None  # None: there was no champion to diff against
    challenger: ReleaseRecord | None
    gates: list[Gate]
    run_id: str | None
    wall_s: float

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.outcome]


def fault_hook(environ: Mapping[str, str]) -> Callable[[str], None]:
    """``at(stage)`` kills this process with SIGKILL when ``RAGVSFT_FAULT_AT`` names ``stage``; else does nothing."""
    chosen = environ.get(FAULT_ENV, "")
    if chosen and chosen not in FAULT_STAGES:
        raise RagvsftError(f"{FAULT_ENV}={chosen!r}: not a stage; use one of {', '.join(FAULT_STAGES)}")

    def at(stage: str) -> None:
        if stage == chosen:
            os.kill(os.getpid(), signal.SIGKILL)

    return at


def check_gate_metrics(config: ExperimentConfig) -> None:
    """The gates need their metrics scored (checked here, not at config load: experiments that never retrain may
    score whatever they like)."""
    gates, scored = config.retrain.gates, config.evaluate.metrics
    if gates.metric not in scored:
        raise ConfigError("retrain.gates.metric", f"{gates.metric!r} is not among evaluate.metrics ({', '.join(scored)})")
    if gates.faithfulness_floor > 0 and "faithfulness" not in scored:
        raise ConfigError("retrain.gates.faithfulness_floor", "needs 'faithfulness' in evaluate.metrics (or a floor of 0)")


def main(config: ExperimentConfig, console: Console, *, environ: Mapping[str, str] = os.environ) -> PassResult:
    fault = fault_hook(environ)
    check_gate_metrics(config)
    with PassLock(config.output_dir / "retrain.lock") as lock:
        if lock.takeover_note:
            console.print(f"[yellow]{lock.takeover_note}[/]")
        return _pass(config, console, fault)


def _pass(config: ExperimentConfig, console: Console, fault: Callable[[str], None]) -> PassResult:
    started = time.perf_counter()
    # 1. Bad input fails here, before any model loads; a promotion killed half-way is completed first.
    corpus = checked_corpus(config, console)
    uri, cache_dir = tracking.tracking_uri(), config.model.cache_dir / "registry"
    if moved := releases.sync_mirrors(uri, corpus.name):
        console.print(f"completed an interrupted promotion: champion alias of {', '.join(moved)}")

    # 2. What changed since the champion was built.
    champion = releases.find_release(uri, corpus.name, CHAMPION)
    state = corpus_state(config, corpus)
    diff = diff_states(releases.release_state(uri, corpus.name, champion, cache_dir), state) if champion else None
    fault("detect")
    if diff is not None and diff.empty:
        console.print(f"nothing changed since the champion ({champion.describe}): nothing to do")  # type: ignore[union-attr]
        return PassResult("unchanged", diff, None, [], None, time.perf_counter() - started)
    console.print(f"changes since the champion ({champion.describe}): {diff.summary()}" if champion and diff else
                  "no champion yet: building the first release")
    with tracking.run(
        uri=uri, experiment=tracking.experiment_name(corpus.name),
        name=tracking.run_title(f"retrain-{config.name}", corpus.name, config.model.base_model),
        description=f"retrain pass on {corpus.name}: " + (diff.summary() if diff else "first release"),
        tags={"ragvsft.pipeline": "retrain", "ragvsft.experiment": config.name},
    ) as logged:
        logged.log_params(releases.answering_params(config) | {"champion_release": champion.version if champion else "none"})
        logged.log_dict(diff.to_json() if diff else {"summary": "no champion: first release"}, "retrain/diff.json")
        if diff is not None:
            logged.log_metrics({f"{kind}_{change}": len(getattr(diff, f"{kind}_{change}")) for kind in ("docs", "questions")
                                for change in ("added", "modified", "removed")})

        # 3. Index and adapter: rebuilt where their inputs changed, else the champion's.
        challenger, seconds = _build(config, corpus, console, champion, diff, state, logged, fault, uri, cache_dir)
        if champion is not None and challenger.key == champion.key:
            # Only evaluation questions changed: the same pair, now recorded with the new state.
            result = _decide(uri, corpus, champion, challenger, [], logged, console, fault, "refreshed")
        else:
            # 4. Champion and challenger on the same questions; 5. the gates.
            evaluate_started = time.perf_counter()
            gates = _compare(config, corpus, console, champion, challenger, uri, cache_dir, logged, fault)
            seconds["evaluate_s"] = time.perf_counter() - evaluate_started
            outcome: Outcome = "promoted" if all(g.passed for g in gates) else "rejected"
            result = _decide(uri, corpus, champion, challenger, gates, logged, console, fault, outcome)
        logged.log_metrics(seconds | {"total_s": time.perf_counter() - started})
    return dataclasses.replace(result, diff=diff, wall_s=time.perf_counter() - started)


def _build(config: ExperimentConfig, corpus: Corpus, console: Console, champion: ReleaseRecord | None,
           diff: CorpusDiff | None, state: CorpusState, logged: tracking.RunLogger, fault: Callable[[str], None],
           uri: str, cache_dir: Path) -> tuple[ReleaseRecord, dict[str, float]]:
    """The challenger pair, registered (challenger aliases): new versions where inputs changed, else the champion's."""
    wants_adapter = adapter_arms(config)
    index_changed = diff is None or diff.docs_changed or diff.index_settings_changed
    adapter_changed = wants_adapter and (
        diff is None or champion is None or champion.adapter_version is None or diff.train_changed
        or diff.adapter_settings_changed or (config.finetune.reads_chunks and diff.docs_changed))
    recipes = tuple(name for name, changed in (("index", index_changed), ("finetune", adapter_changed)) if changed)
    options: dict[str, dict] = {}
    run_config = config
    if champion is not None and "index" in recipes:
        options["index"] = {"reuse_dir": _version_dir(uri, corpus.name, "index", champion.index_version, cache_dir)}
    if champion is not None and champion.adapter_version and "finetune" in recipes \
            and config.retrain.adapter_start == "champion":
        options["finetune"] = {"init_adapter": _version_dir(uri, corpus.name, "adapter", champion.adapter_version,
                                                            cache_dir)}
        run_config = dataclasses.replace(config, finetune=dataclasses.replace(
            config.finetune, epochs=config.retrain.warm_start_epochs))
    index_plan = "incremental update" if "index" in options else "full build" if index_changed else "unchanged"
    adapter_plan = ("warm start from the champion" if "finetune" in options else "trained from scratch") \
        if adapter_changed else "unchanged" if wants_adapter else "none (no arm uses one)"
    console.print(f"index: {index_plan}; adapter: {adapter_plan}")
    seconds: dict[str, float] = {}
    outputs: dict[str, dict] = {}
    if recipes:
        built_at = time.perf_counter()
        outputs = run_in_parallel(run_config, logged.run_id, console, recipes, options=options,
                                  on_progress=lambda recipe: fault("embed" if recipe == "index" else "train"))
        seconds["build_s"] = time.perf_counter() - built_at
    if "index" in outputs:
        logged.log_metrics({"chunks": outputs["index"]["chunks"], "chunks_embedded": outputs["index"]["embedded"]})
    release = releases.register_pair(
        uri, corpus.name, outputs.get("index"), outputs.get("finetune"), state=state,
        examples=examples_of(corpus.split("train")), logger=logged,
        index_version=None if index_changed else champion.index_version,  # type: ignore[union-attr]
        adapter_version=None if adapter_changed or champion is None else champion.adapter_version)
    fault("register")
    console.print(f"challenger: {release.describe}")
    logged.log_params({"challenger_release": release.version})
    return release, seconds


def _version_dir(uri: str, corpus: str, kind: Literal["index", "adapter"], version: str, cache_dir: Path) -> Path:
    return tracking.resolve_version(uri, tracking.registered_name(corpus, kind), version, cache_dir).path


def _compare(config: ExperimentConfig, corpus: Corpus, console: Console, champion: ReleaseRecord | None,
             challenger: ReleaseRecord, uri: str, cache_dir: Path, logged: tracking.RunLogger,
             fault: Callable[[str], None]) -> list[Gate]:
    """Both releases answer the same eval questions with ``retrain.arms``; returns the gate table."""
    arms = tuple(a for a in config.retrain.arms if challenger.adapter_version or not ARMS[a].adapter)
    eval_config = dataclasses.replace(config, evaluate=dataclasses.replace(
        config.evaluate, arms=arms, extra_arms=(), max_questions=0))
    loaded = evaluate.Loaded.for_experiment(config)
    answered: dict[str, dict] = {}
    with progress(console) as reporter:
        def forward(label: str, done: int, total: int, info: str) -> None:
            reporter.update(label, done, total, info)
            if done:
                fault("evaluate")

        for label, release in (("champion", champion), ("challenger", challenger)):
            if release is None:
                continue
            adapter = (_version_dir(uri, corpus.name, "adapter", release.adapter_version, cache_dir)
                       if release.adapter_version else None)
            results = evaluate.main(eval_config, console, corpus, adapter_dir=adapter, parent_run_id=logged.run_id,
                                    forward=forward, loaded=loaded, label=label,
                                    index_dir=_version_dir(uri, corpus.name, "index", release.index_version, cache_dir))
            answered[label] = {r.arm.name: r.records for r in results}
            if label == "challenger":
                releases.annotate(uri, corpus.name, challenger, evaluate.evaluation_of(logged.run_id, config, corpus,
                                                                                       results))
    return check_gates(answered.get("champion"), answered["challenger"], config.retrain.gates, seed=config.seed)


def _decide(uri: str, corpus: Corpus, champion: ReleaseRecord | None, challenger: ReleaseRecord, gates: list[Gate],
            logged: tracking.RunLogger, console: Console, fault: Callable[[str], None], outcome: Outcome) -> PassResult:
    """Promote or keep the champion; the gate table, the outcome and why go to the pass's run."""
    if gates:
        _print_gates(console, gates)
        logged.log_table([g.row() for g in gates], "retrain/gates.json")
    failed = [f"{g.arm} {g.check} {g.challenger:.4f} (needs {g.threshold})" for g in gates if not g.passed]
    if outcome in ("promoted", "refreshed"):
        releases.promote(uri, corpus.name, version=challenger.version, before_mirrors=lambda: fault("promote"))
        why = ("only evaluation questions changed; the pair is the champion's" if outcome == "refreshed"
               else "every gate passed" if gates else "no champion to compare with, and no absolute gate is set")
        console.print(f"[green]promoted[/] {challenger.describe}: {why}")
    else:
        why = "gates failed: " + "; ".join(failed)
        console.print(f"[red]kept the champion[/] ({champion.describe if champion else 'none'}): {why}; the "
                      f"challenger stays registered (`ragvsft promote --version {challenger.version}` forces it)")
    logged.set_tags({"ragvsft.outcome": outcome, "ragvsft.decision": why[:5000]})
    logged.log_dict({"outcome": outcome, "why": why, "champion_before": champion.version if champion else None,
                     "challenger": dataclasses.asdict(challenger), "gates": [g.row() for g in gates]},
                    "retrain/decision.json")
    return PassResult(outcome, None, challenger, gates, logged.run_id, 0.0)


def _print_gates(console: Console, gates: list[Gate]) -> None:
    table = Table(title="promotion gates: challenger vs champion on the same questions")
    for column in ("arm", "check", "champion", "challenger", "diff [95% CI]", "threshold", "pass"):
        table.add_column(column)
    for g in gates:
        diff = "" if g.diff is None else f"{g.diff:+.3f} [{g.ci_low:+.3f}, {g.ci_high:+.3f}]"
        shown = "{:,.0f} ms" if g.check.startswith("latency") else "{:.3f}"
        table.add_row(g.arm, g.check, "–" if g.champion is None else shown.format(g.champion),
                      shown.format(g.challenger), diff, g.threshold, "[green]yes[/]" if g.passed else "[red]no[/]")
    console.print(table)

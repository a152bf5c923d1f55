"""Retraining cost: an incremental pass after 5 changed documents vs a full rebuild + retrain of the same corpus.

    python benchmarks/retrain_pass.py [--experiment experiments/demo.toml] [--changed 5]

In one run, on a copy of the experiment's corpus in a temporary folder with its own MLflow store:

1. first pass: no champion yet, so everything is built, trained, evaluated and promoted (the champion);
2. ``--changed`` documents get a new paragraph; an incremental pass (index update, adapter only if its training
   data changed, champion vs challenger on the eval questions);
3. the same changed corpus in a fresh output folder and store: a full rebuild + retrain pass;
4. a pass with nothing changed.

Prints wall time per pass and stage (the pass's MLflow metrics) and the chunks each embedded.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mlflow

REPO = Path(__file__).resolve().parents[1]


def retrain(experiment: Path, root: Path, out: str, db: str) -> tuple[float, dict[str, float], int]:
    """One `ragvsft retrain` pass; its wall time, its run's metrics, and its exit status (and prints its decision)."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / db}"}
    sets = ["--set", f'corpus="{root / "corpus"}"', "--set", f'output_dir="{root / out}"',
            "--set", f'model.cache_dir="{REPO / ".cache/ragvsft"}"']
    client = mlflow.MlflowClient(env["MLFLOW_TRACKING_URI"])
    before = len(_retrain_runs(client))
    started = time.perf_counter()
    code = subprocess.run([sys.executable, "-m", "ragvsft.cli", "retrain", str(experiment), *sets], env=env,
                          cwd=root, stdout=subprocess.DEVNULL, check=False).returncode
    wall = time.perf_counter() - started
    runs = _retrain_runs(client)
    if len(runs) == before:  # nothing changed: the pass logged no run
        return wall, {}, code
    print(f"{out}: exit {code}: {runs[0].data.tags.get('ragvsft.decision', '')}", flush=True)
    return wall, runs[0].data.metrics, code


def _retrain_runs(client: mlflow.MlflowClient) -> list:
    return [r for e in client.search_experiments() for r in client.search_runs(
        [e.experiment_id], "tags.`ragvsft.pipeline` = 'retrain'", order_by=["attributes.start_time DESC"])]


def keep_as_champion(experiment: Path, root: Path, code: int) -> None:
    """A pass whose gates failed leaves the champion where it was; promote its challenger by hand so the next
    pass measures what it should (the table still shows the exit status)."""
    if code == 1:
        env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"}
        subprocess.run([sys.executable, "-m", "ragvsft.cli", "promote", str(experiment), "--set",
                        f'corpus="{root / "corpus"}"'], env=env, cwd=root, check=True, stdout=subprocess.DEVNULL)


def change_documents(corpus: Path, n: int) -> list[str]:
    """Append a paragraph holding a new fact to the first ``n`` documents (sorted by path)."""
    docs = sorted(p for p in (corpus / "docs").rglob("*") if p.is_file() and p.suffix in {".md", ".txt"})[:n]
    for i, path in enumerate(docs):
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"\n\nRevision {i + 7}: from this quarter the review board meets every {i + 2} weeks "
                     f"in room R-{410 + i}, chaired by the duty officer.\n")
    return [p.relative_to(corpus / "docs").as_posix() for p in docs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", type=Path, default=REPO / "experiments/demo.toml")
    parser.add_argument("--changed", type=int, default=5)
    parser.add_argument("--skip-full", action="store_true", help="leave out the full rebuild + retrain pass")
    args = parser.parse_args()
    from ragvsft.config import load_config

    config = load_config(args.experiment)
    with tempfile.TemporaryDirectory(prefix="ragvsft-retrain-") as tmp:
        root = Path(tmp)
        shutil.copytree(config.corpus, root / "corpus")
        rows = []
        wall, metrics, code = retrain(args.experiment.resolve(), root, "out", "mlflow.db")
        rows.append(("first pass (champion)", wall, metrics, code))
        keep_as_champion(args.experiment.resolve(), root, code)
        changed = change_documents(root / "corpus", args.changed)
        print(f"changed: {', '.join(changed)}", flush=True)
        wall, metrics, code = retrain(args.experiment.resolve(), root, "out", "mlflow.db")
        rows.append((f"incremental, {args.changed} docs changed", wall, metrics, code))
        keep_as_champion(args.experiment.resolve(), root, code)
        if not args.skip_full:
            wall, metrics, code = retrain(args.experiment.resolve(), root, "full", "full.db")
            rows.append(("full rebuild + retrain, same corpus", wall, metrics, code))
        wall, metrics, code = retrain(args.experiment.resolve(), root, "out", "mlflow.db")
        rows.append(("nothing changed", wall, metrics, code))
    print(f"\n{'pass':38} {'exit':>4} {'wall s':>8} {'build s':>8} {'eval s':>8} {'chunks':>7} {'embedded':>8}")
    for name, wall, m, code in rows:
        cells = [f"{m[k]:8.0f}" if k in m else f"{'–':>8}" for k in ("build_s", "evaluate_s")]
        print(f"{name:38} {code:>4} {wall:8.1f} {' '.join(cells)} {m.get('chunks', 0):7.0f} "
              f"{m.get('chunks_embedded', 0):8.0f}")
    if not args.skip_full:
        incremental, full = rows[1][1], rows[2][1]
        print(f"\nincremental / full wall time: {incremental / full:.2f} ({full / incremental:.1f}x faster)")


if __name__ == "__main__":
    main()

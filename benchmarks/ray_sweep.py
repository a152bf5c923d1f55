"""What the Ray engine costs: the same sweep run locally and through Ray (``--ray local``), one after the other.

Each run starts from nothing (its own output folder and SQLite tracking store: no index, adapter or answer is
reused), so both build the index, train the adapters and generate every answer. On a machine with few cores Ray
cannot be faster — tasks share the same cores — so the ratio bounds what the engine adds: worker start-up, a model
load per point instead of one per sweep, and tracking from several processes. The answers of both runs are
compared too.

    .venv/bin/python benchmarks/ray_sweep.py experiments/demo-sweep.toml --set evaluate.max_questions=20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _sweep(experiment: str, sets: list[str], folder: Path, ray: bool) -> float:
    folder.mkdir()
    command = [sys.executable, "-m", "ragvsft.cli", "sweep", experiment, "--set", f"output_dir={json.dumps(str(folder / 'out'))}",
               *[arg for s in sets for arg in ("--set", s)], *(["--ray", "local"] if ray else [])]
    env = os.environ | {"MLFLOW_TRACKING_URI": f"sqlite:///{folder / 'mlflow.db'}"}
    started = time.perf_counter()
    with open(folder / "console.log", "w") as log:
        done = subprocess.run(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{'ray' if ray else 'local'} sweep failed; see {folder / 'console.log'}:\n"
                 + (folder / "console.log").read_text()[-3000:])
    print(f"{'ray' if ray else 'local'} sweep: {wall:.0f} s", flush=True)
    return wall


def _answers(folder: Path) -> dict[tuple, str]:
    results = json.loads((folder / "out" / "report" / "results.json").read_text())
    return {(json.dumps(p["values"], sort_keys=True), arm, r["qa_id"]): r["answer"]
            for p in results["points"] for arm, records in p["records"].items() for r in records}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="an experiment file with a [sweep] table")
    parser.add_argument("--set", dest="sets", action="append", default=[], help="override, as for ragvsft sweep")
    parser.add_argument("--keep", type=Path, help="keep both runs' folders here (default: a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        local = _sweep(args.experiment, args.sets, root / "local", ray=False)
        on_ray = _sweep(args.experiment, args.sets, root / "ray", ray=True)
        mine, theirs = _answers(root / "local"), _answers(root / "ray")
    differ = sum(mine[k] != theirs.get(k) for k in mine)
    print(f"\n{args.experiment} {' '.join(args.sets)}; {os.cpu_count()} cores\n")
    print("| path | wall s | vs local |\n|---|---|---|")
    print(f"| local (one process) | {local:.0f} | 1.00× |")
    print(f"| Ray (`--ray local`, {os.cpu_count()} CPUs, 1 per task) | {on_ray:.0f} | {on_ray / local:.2f}× |")
    print(f"\nanswers: {len(mine)} in each run, {differ} differ "
          "(a task runs 1 torch thread, the local sweep all cores: sums can round differently)")


if __name__ == "__main__":
    main()

"""What a precision change does to a whole `ragvsft run`: the same experiment run twice, e.g. float32 (the reference)
and bfloat16, each logged to its own MLflow store; this compares the two latest runs arm by arm.

Per arm: how many answers differ, and for every headline metric the reference's mean with its 95 % interval, the
candidate's mean, the paired difference (candidate - reference, bootstrap interval over questions, sign-flip p) and
whether the candidate's mean stays at or above the reference's interval (the bar a faster default must clear).

    scripts/demo.sh --set 'model.dtype="float32"' --set 'index.dtype="float32"'   # in one clone
    scripts/demo.sh                                                             # in another (dtype auto)
    .venv/bin/python benchmarks/precision_effect.py --reference sqlite:///A/mlflow.db --candidate sqlite:///B/mlflow.db
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")


def latest_arm_runs(uri: str) -> dict[str, object]:
    """arm -> the newest evaluate run of that arm in the store at ``uri``."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(search_all_experiments=True, output_format="list", order_by=["start_time DESC"],
                              filter_string="tags.`ragvsft.pipeline` = 'evaluate'")
    newest: dict[str, object] = {}
    for run in runs:
        newest.setdefault(run.data.tags["ragvsft.arm"], run)
    return newest


def answers(uri: str, run) -> dict[str, dict]:
    import mlflow

    from ragvsft.pipelines.evaluate import read_answers

    mlflow.set_tracking_uri(uri)
    return {row["id"]: row for row in read_answers(run.info.artifact_uri)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", required=True, help="tracking URI of the reference run (float32)")
    parser.add_argument("--candidate", required=True, help="tracking URI of the candidate run (e.g. bfloat16)")
    args = parser.parse_args()

    from ragvsft.report import HEADLINE_METRICS
    from ragvsft.stats import format_p, paired_test

    reference, candidate = latest_arm_runs(args.reference), latest_arm_runs(args.candidate)
    print("| arm | answers differing | metric | reference mean [95 % CI] | candidate mean | candidate - reference "
          "[95 % CI] | p | candidate >= reference CI low |")
    print("|---|---|---|---|---|---|---|---|")
    for arm in [a for a in reference if a in candidate]:
        ref, cand = answers(args.reference, reference[arm]), answers(args.candidate, candidate[arm])
        ids = sorted(set(ref) & set(cand))
        differ = sum(ref[i]["answer"] != cand[i]["answer"] for i in ids)
        for metric in HEADLINE_METRICS:
            if metric not in reference[arm].data.metrics:
                continue
            m = reference[arm].data.metrics
            low, high = m.get(f"{metric}_ci_low", float("nan")), m.get(f"{metric}_ci_high", float("nan"))
            test = paired_test([cand[i].get(metric) for i in ids], [ref[i].get(metric) for i in ids])
            cand_mean = candidate[arm].data.metrics.get(metric, float("nan"))
            print(f"| {arm} | {differ}/{len(ids)} | {metric} | {m[metric]:.3f} [{low:.3f}, {high:.3f}] | "
                  f"{cand_mean:.3f} | {test.diff:+.3f} [{test.low:+.3f}, {test.high:+.3f}] | {format_p(test.p)} | "
                  f"{'yes' if cand_mean >= low else '**no**'} |")


if __name__ == "__main__":
    main()

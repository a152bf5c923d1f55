#!/usr/bin/env bash
# Runs the main job on the demo corpus in the project's virtual environment (created on first use):
# index + LoRA fine-tune in parallel, then base / rag / finetuned / hybrid on the same eval questions,
# all logged to MLflow (./mlflow.db), ending with a table of arms x metrics.
# Extra arguments go to `ragvsft run`, e.g.  scripts/demo.sh --set evaluate.max_questions=20
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
ragvsft run experiments/demo.toml "$@"

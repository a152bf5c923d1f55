#!/usr/bin/env bash
# Runs the main job on the demo corpus in the project's virtual environment (created on first use):
# builds (or reuses) the FAISS index, scores retrieval on the eval questions, logs to MLflow,
# then answers one retrieval query.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
ragvsft index experiments/demo.toml "$@"
ragvsft search experiments/demo.toml "What is the recommended minimum booking lead time for company travel?" -k 3

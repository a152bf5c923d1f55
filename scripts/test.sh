#!/usr/bin/env bash
# Runs the test suite in the project's virtual environment (created on first use).
# Extra arguments go to pytest, e.g.  scripts/test.sh -k corpus
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
exec python -m pytest -q "$@"

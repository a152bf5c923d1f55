#!/usr/bin/env bash
# Runs the test suite in the project's virtual environment (created on first use).
# Extra arguments go to pytest, e.g.  scripts/test.sh -k corpus
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
# The review-room test drives MLflow's UI in headless Chromium (Debian's chromium + chromium-driver; nothing
# downloads a browser). Installed here when missing and this runs as root; otherwise that test says how in its
# skip reason.
if ! command -v chromedriver >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Chromium for the browser test (about a minute, once)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null; } \
    || echo "warning: could not install Chromium; the browser test will be skipped"
fi
# The shared-server test starts a real PostgreSQL in a temporary folder (Debian's postgresql package: initdb,
# pg_ctl); installed the same way. Where it is missing, that test fails and says how to install it.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null \
    && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL for the shared-server test (once)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null \
    || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; } \
    || echo "warning: could not install PostgreSQL; the shared-server test will fail and say so"
fi
exec python -m pytest -q "$@"

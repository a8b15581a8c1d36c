#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need, then runs
# the formatter check, clippy and the whole test suite.
#
# - Rust: the crates come from Cargo.lock (cargo fetches them).
# - Python (optional checks: the fixture generator's --check and the data generator's
#   --check): a virtualenv in .venv from fixtures/requirements.txt. Without python3 those
#   tests say they skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v python3 >/dev/null 2>&1; then
  if [ ! -x .venv/bin/python ] || ! cmp -s fixtures/requirements.txt .venv/requirements.txt; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r fixtures/requirements.txt
    cp fixtures/requirements.txt .venv/requirements.txt
  fi
  export MLTK_LINT_PYTHON="$PWD/.venv/bin/python"
fi

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets

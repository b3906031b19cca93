#!/usr/bin/env bash
# `npm start`: sets up what is missing, builds, and opens Sequence Lab in a real VS Code (code-server)
# with a sample workspace on 127.0.0.1. Prints the address; Ctrl-C stops it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
env_file="$(bash test/harness/setup.sh)"
# shellcheck source=/dev/null
source "$env_file"
npm run --silent build
npm run --silent compile-tests
exec node out/test/harness/start.js

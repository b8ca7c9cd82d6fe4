#!/usr/bin/env bash
# The whole test suite: Debian packages for the daemon checks, the provider bindings, a type check,
# then jest (unit, snapshot, schema conformance and real-daemon tests).
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
bash scripts/install-test-deps.sh
node scripts/generate-bindings.mjs
npx tsc --noEmit -p .
npx jest --ci "$@"

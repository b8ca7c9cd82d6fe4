#!/usr/bin/env bash
# The whole test suite: Debian packages for the daemon checks, the provider bindings, a type check,
# then jest (unit, snapshot, schema conformance and real-daemon tests, the behaviour tests and the lab).
#
# With arguments, one jest run with them (`npm test -- __tests__/web`). Without, three runs: the lab's
# stacks (__tests__/lab/stacks.lab.test.ts, about 23 minutes on two cores, mostly containers installing
# packages) beside everything else but the behaviour tests (the unit and daemon tests and the lab's own
# tests, niced), then the timing-based behaviour tests (__tests__/behaviour: failover, load shedding,
# parallel updates) alone, once the lab has stopped its containers, so that nothing competes with their
# measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHECKPOINT_DISABLE=1
bash scripts/install-test-deps.sh
node scripts/generate-bindings.mjs
npx tsc --noEmit -p .
if [ "$#" -gt 0 ]; then
  exec npx jest --ci "$@"
fi

lab_log="$(mktemp -t hosting-stacks-lab.XXXXXX.log)"
lab_pid=""
stop_lab() {
  # Interrupted: stop the lab's jest (its afterAll hooks stop the containers it started) and wait for it.
  if [ -n "$lab_pid" ] && kill -0 "$lab_pid" 2>/dev/null; then
    kill -TERM "$lab_pid" 2>/dev/null || true
    wait "$lab_pid" 2>/dev/null || true
  fi
}
trap stop_lab INT TERM
npx jest --ci __tests__/lab/stacks.lab.test.ts > "$lab_log" 2>&1 &
lab_pid=$!
echo "The lab runs beside the other tests (its output follows when it ends)."

status=0
# At a lower priority than the lab: the lab is the longest part of the run, and its timed checks
# (run while no other server boots) should not share the cores with these tests either.
nice -n 10 npx jest --ci --testPathIgnorePatterns '/__tests__/(behaviour/|lab/stacks\.lab\.test\.ts)' || status=1

lab_status=0
wait "$lab_pid" || lab_status=$?
lab_pid=""
echo "===== the lab's stacks (__tests__/lab/stacks.lab.test.ts) ====="
cat "$lab_log"
rm -f "$lab_log"
[ "$lab_status" = 0 ] || status=1

npx jest --ci __tests__/behaviour/ || status=1
exit "$status"

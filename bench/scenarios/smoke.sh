#!/usr/bin/env bash
# Every scenario with tiny sizes (tens of connections, a second or two each), against Herald and
# every peer that is installed, then a check that each run completed and produced numbers. For CI
# (ctest -L bench): it keeps the benchmark code working and never judges a timing.
# Usage: bench/scenarios/smoke.sh   (env: HERALD, HERALD_BENCH, TARGETS as in lib.sh)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export SMOKE=1
OUT="$(mktemp -d /tmp/herald-bench-smoke.XXXXXX)"
export OUT
trap 'rm -rf "$OUT"' EXIT
for s in fanout filtered idle storm slow catchup latency; do
  "$here/$s.sh" >/dev/null 2>"$OUT/$s.log" || { echo "$s: failed"; cat "$OUT/$s.log"; exit 1; }
done
/usr/bin/python3 "$here/summarize.py" --check "$OUT"

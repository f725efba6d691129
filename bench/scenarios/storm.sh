#!/usr/bin/env bash
# (d) Connection storm: 100 established subscribers receive RATE events/s; meanwhile another
# herald-bench opens N connections (each subscribing) as fast as it can. Reported: connects per
# second, and the subscribers' p99 during the storm next to their p99 without it (same length run).
# Usage: bench/scenarios/storm.sh   (env: N=19000, RATE=100, LENGTH=12)
source "$(dirname "$0")/lib.sh"
N="${N:-$(pick 19000 50)}"
RATE="${RATE:-100}"
LENGTH="${LENGTH:-$(pick 12 1)}"
SUBS="$(pick 100 10)"

run() {
  local target="$1"
  bench storm "$target" topic "$target storm baseline" -n "$SUBS" --rate "$RATE" --duration "$LENGTH" --batch 1
  bench storm "$target" topic "$target storm subscribers" -n "$SUBS" --rate "$RATE" --duration "$LENGTH" --batch 1 &
  local subscribers=$!
  sleep "$(pick 1 0.3)"
  # The storm: its own clients, no publisher; each connection subscribes to a filtered group of its
  # own so the subscribe work is not shared. The storm's client processes run at nice 19 (for every
  # server alike): on two shared cores they would otherwise starve the measuring client, and the
  # figure would be the load generator's scheduling rather than the server's.
  BENCH_NICE=19 bench storm "$target" filtered "$target storm connects" -n "$N" --values "$N" -k "$(pick 3 1)" \
    $(sources 4 | tr '\0' ' ') --publisher none --settle-ms 0 --connect-concurrency 512 --connect-timeout 120 || true
  wait "$subscribers" || true
}
for_each_target run
echo "$OUT/storm.jsonl"

#!/usr/bin/env bash
# Latency at light load and under a burst, 1,000 clients on one topic:
#   light: 5 events/s for LENGTH seconds;
#   burst: BURSTS times BURST events published at once; each burst waits until the one before is delivered.
# Herald runs with its default sync = "full" (every publish is fsynced before it is delivered).
# Usage: bench/scenarios/latency.sh   (env: N=1000, LENGTH=10, BURST=2000, BURSTS=3, K=2)
source "$(dirname "$0")/lib.sh"
N="${N:-$(pick 1000 50)}"
LENGTH="${LENGTH:-$(pick 10 1)}"
BURST="${BURST:-$(pick 2000 100)}"
BURSTS="${BURSTS:-$(pick 3 1)}"
# Two client processes: a burst is ~2 million frames, and one process reading them all (~200 ns
# each) would be the slowest part of the run, for every server alike.
K="${K:-$(pick 2 1)}"

run() {
  local target="$1"
  bench latency "$target" topic "$target light" -n "$N" -k "$K" --rate 5 --duration "$LENGTH" --batch 1
  bench latency "$target" topic "$target burst" -n "$N" -k "$K" --burst "$BURST" --bursts "$BURSTS" \
    --burst-interval-ms 500 --batch "$BURST" --max-drain 60
}
for_each_target run
echo "$OUT/latency.jsonl"

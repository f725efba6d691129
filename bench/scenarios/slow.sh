#!/usr/bin/env bash
# (e) Slow consumers: 1,000 fast clients plus 10 that never read, on one topic, at RATE events/s of
# BYTES bytes. Reported: the server's RSS during the run (it must stay flat: a stalled client's
# backlog is bounded, then it is closed) and the fast clients' p99 next to a run without the stalled
# ones.
# Usage: bench/scenarios/slow.sh   (env: FAST=1000, STALLED=10, RATE=50, BYTES=8192, LENGTH=30)
source "$(dirname "$0")/lib.sh"
FAST="${FAST:-$(pick 1000 50)}"
STALLED="${STALLED:-$(pick 10 2)}"
RATE="${RATE:-$(pick 50 20)}"
BYTES="${BYTES:-8192}"
LENGTH="${LENGTH:-$(pick 30 1)}"
# Herald with sync = "normal": the scenario is about memory and the fast clients, not fsync.
HERALD_FLAGS=(--sync normal)

run() {
  local target="$1"
  bench slow "$target" topic "$target slow baseline" -n "$FAST" --rate "$RATE" --duration "$(pick 10 0.5)" \
    --payload-bytes "$BYTES" --batch 10
  bench slow "$target" topic "$target slow stalled" -n $((FAST + STALLED)) --stalled "$STALLED" --rate "$RATE" \
    --duration "$LENGTH" --payload-bytes "$BYTES" --batch 10
}
for_each_target run
echo "$OUT/slow.jsonl"

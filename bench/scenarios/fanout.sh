#!/usr/bin/env bash
# (a) Fan-out: N connections on one topic, 200-byte events at the maximum sustainable rate (the
# publisher keeps at most --window events per connection in flight, so the server's delivery pace
# sets the rate). Run at 10,000 and 1,000 connections. Key number: deliveries per server CPU-second.
# Herald runs with sync = "normal": this scenario is about fan-out, not fsync.
# Usage: bench/scenarios/fanout.sh   (env: see lib.sh; SIZES="10000 1000", DURATION=10)
source "$(dirname "$0")/lib.sh"
SIZES="${SIZES:-$(pick "10000 1000" "50")}"
DURATION="${DURATION:-$(pick 10 1)}"
HERALD_FLAGS=(--sync normal)

run() {
  local target="$1" n
  for n in $SIZES; do
    bench fanout "$target" topic "$target fan-out $n" -n "$n" $(sources 2 | tr '\0' ' ') \
      --rate 0 --duration "$DURATION" --payload-bytes 200 --batch 50 --window 32
  done
}
for_each_target run
echo "$OUT/fanout.jsonl"

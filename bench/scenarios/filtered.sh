#!/usr/bin/env bash
# (b) Filtered fan-out: N connections, each filtering on its own attribute value with 100 sharing each
# value (N/100 values); events spread round robin over the values, at the maximum sustainable rate.
# Herald filters on an attribute (k = v<i>); the peers have no attribute filters, so they get a topic
# (ws) or subject (NATS) per value, their fastest equivalent. Compare with fanout.sh per delivery.
# Herald runs with sync = "normal" (fan-out, not fsync, is measured).
# Each publish request carries BATCH = 50 x (number of values) events, so a connection gets 50 events
# per request as in fanout.sh (--batch 50): both scenarios then write the same number of frames per
# system call, and the difference per delivery is the filtering. With fewer events per request each
# write carries fewer frames and the system call dominates whatever the server (NATS alike).
# Usage: bench/scenarios/filtered.sh   (env: N=10000, SHARE=100, DURATION=10, BATCH)
source "$(dirname "$0")/lib.sh"
N="${N:-$(pick 10000 50)}"
SHARE="${SHARE:-$(pick 100 5)}"
DURATION="${DURATION:-$(pick 10 1)}"
BATCH="${BATCH:-$((50 * N / SHARE))}"
HERALD_FLAGS=(--sync normal)

run() {
  bench filtered "$1" filtered "$1 filtered $N/$SHARE" -n "$N" --values $((N / SHARE)) \
    $(sources 2 | tr '\0' ' ') --rate 0 --duration "$DURATION" --payload-bytes 200 --batch "$BATCH" --window 32
}
for_each_target run
echo "$OUT/filtered.jsonl"

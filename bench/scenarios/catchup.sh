#!/usr/bin/env bash
# (f) Catch-up: EVENTS events are published before a client connects; it subscribes with `since`
# set to the cursor before them and the time until it has all of them (then it is live) is reported.
# Herald only: neither peer keeps history (NATS would need JetStream, the ws peer has none).
# Herald runs with sync = "normal" so that preloading is quick; reading history is what is measured.
# Usage: bench/scenarios/catchup.sh   (env: EVENTS=100000, CLIENTS=1)
source "$(dirname "$0")/lib.sh"
EVENTS="${EVENTS:-$(pick 100000 500)}"
CLIENTS="${CLIENTS:-1}"
TARGETS=herald
HERALD_FLAGS=(--sync normal)

run() {
  bench catchup herald topic "herald catch-up $EVENTS" -n "$CLIENTS" \
    --subscribe '{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topic":"bench.tick","since":"{since}"}}' \
    --preload "$EVENTS" --batch 5000 --expect-per-conn "$EVENTS" --rate 1 --duration 0.5 --max-drain 30
}
for_each_target run
echo "$OUT/catchup.jsonl"

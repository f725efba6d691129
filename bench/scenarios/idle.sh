#!/usr/bin/env bash
# (c) Idle memory: N connections each with one subscription (all different filters, so nothing is
# shared but the topic), then nothing; the server's RSS before and after, per connection. The client
# side uses 3 processes and 4 source addresses (open-files limit 20,000 per process).
# Usage: bench/scenarios/idle.sh   (env: N=19000)
source "$(dirname "$0")/lib.sh"
N="${N:-$(pick 19000 50)}"

run() {
  bench idle "$1" filtered "$1 idle $N" -n "$N" --values "$N" -k "$(pick 3 1)" $(sources 4 | tr '\0' ' ') \
    --publisher none --settle-ms "$(pick 2000 200)" --connect-timeout 180
}
for_each_target run
echo "$OUT/idle.jsonl"

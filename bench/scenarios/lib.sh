# Shared by the scenario scripts (sourced, not run): starts and stops the servers under test on
# 127.0.0.1, and runs herald-bench against each with that server's own subscribe text and publish path,
# so every server is driven by the same clients. Every server started here is stopped by PID on exit.
#
# Environment: HERALD (the gateway binary), HERALD_BENCH (the load generator), TARGETS (default
# "herald nats ws"; a peer that cannot start is skipped with a note), OUT (directory for the JSON
# lines; default a temporary one), SMOKE=1 (tiny sizes: seconds, for CI).

set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
peers="$repo/bench/peers"
HERALD="${HERALD:-$repo/build-bench/src/app/herald}"
HERALD_BENCH="${HERALD_BENCH:-$repo/build-bench/tools/herald-bench}"
TARGETS="${TARGETS:-herald nats ws}"
SMOKE="${SMOKE:-0}"
OUT="${OUT:-$(mktemp -d /tmp/herald-bench.XXXXXX)}"
mkdir -p "$OUT"
work="$(mktemp -d /tmp/herald-bench-run.XXXXXX)"
ulimit -n "$(ulimit -Hn)"

# Ports: fixed and uncommon, overridable; each scenario runs one server at a time.
HERALD_PORT="${HERALD_PORT:-18901}"
NATS_WS_PORT="${NATS_WS_PORT:-18902}"
NATS_PORT="${NATS_PORT:-18904}"
WS_PORT="${WS_PORT:-18903}"

server_pid=""
server_target=""
started_pids=()

cleanup() {
  for pid in "${started_pids[@]}"; do "$peers/stop" "$pid"; done
  rm -rf "$work"
}
trap cleanup EXIT

# smoke N_FULL N_SMOKE: the first unless SMOKE=1.
pick() { if [ "$SMOKE" = 1 ]; then echo "$2"; else echo "$1"; fi; }

note() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# start_server TARGET [herald serve flags...]: sets server_pid. Returns 3 when the peer is not
# installed (the caller skips it).
start_server() {
  server_target="$1"
  shift
  local dir="$work/$server_target"
  rm -rf "$dir" && mkdir -p "$dir"
  case "$server_target" in
    herald)
      [ -x "$HERALD" ] || { note "herald binary not found at $HERALD"; return 3; }
      # The event log lives in a fresh temporary directory: each run starts from an empty log.
      "$HERALD" serve --listen "127.0.0.1:$HERALD_PORT" --no-demo --data-dir "$dir/data" \
        --publish-token bench --extra-topic bench.tick --log-level warn \
        --publish-max-batch 10000 --max-http-body-bytes 67108864 "$@" >"$dir/herald.log" 2>&1 &
      server_pid=$!
      local ok=0
      for _ in $(seq 1 100); do
        if curl -fsS "http://127.0.0.1:$HERALD_PORT/healthz" >/dev/null 2>&1; then ok=1; break; fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
      done
      if [ "$ok" != 1 ]; then note "herald did not start:"; cat "$dir/herald.log" >&2; return 1; fi
      ;;
    nats) server_pid="$("$peers/nats/start" "$NATS_PORT" "$NATS_WS_PORT" "$dir")" || return $? ;;
    ws) server_pid="$("$peers/ws/start" "$WS_PORT" "$dir")" || return $? ;;
    *) note "unknown target $server_target"; return 1 ;;
  esac
  started_pids+=("$server_pid")
}

stop_server() {
  [ -n "$server_pid" ] && "$peers/stop" "$server_pid"
  server_pid=""
}

# target_args TARGET MODE: herald-bench flags that reach TARGET. MODE "topic": every connection on
# one topic; "filtered": connection i on value i % --values (Herald: an attribute filter; the peers
# have no attribute filters, so a topic or subject per value, their native way).
target_args() {
  local target="$1" mode="$2"
  case "$target/$mode" in
    herald/topic)
      printf '%s\0' --url "ws://127.0.0.1:$HERALD_PORT/ws" --subprotocol herald.v1.json --ack '"result"' \
        --subscribe '{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topic":"bench.tick"}}' \
        --publisher http --publish-url "http://127.0.0.1:$HERALD_PORT/api/v1/publish" --token bench \
        --topic bench.tick ;;
    herald/filtered)
      printf '%s\0' --url "ws://127.0.0.1:$HERALD_PORT/ws" --subprotocol herald.v1.json --ack '"result"' \
        --subscribe '{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"topic":"bench.tick","filter":{"k":"{value}"}}}' \
        --publisher http --publish-url "http://127.0.0.1:$HERALD_PORT/api/v1/publish" --token bench \
        --topic bench.tick --attribute k ;;
    nats/topic)
      printf '%s\0' --url "ws://127.0.0.1:$NATS_WS_PORT/" --ack PONG \
        --subscribe $'CONNECT {"verbose":false,"protocol":1}\r\nSUB bench.tick 1\r\nPING\r\n' \
        --publisher nats --publish-url "nats://127.0.0.1:$NATS_PORT" --topic bench.tick ;;
    nats/filtered)
      printf '%s\0' --url "ws://127.0.0.1:$NATS_WS_PORT/" --ack PONG \
        --subscribe $'CONNECT {"verbose":false,"protocol":1}\r\nSUB bench.tick.{value} 1\r\nPING\r\n' \
        --publisher nats --publish-url "nats://127.0.0.1:$NATS_PORT" --topic 'bench.tick.{value}' ;;
    ws/topic)
      printf '%s\0' --url "ws://127.0.0.1:$WS_PORT/" --ack subscribed \
        --subscribe '{"op":"subscribe","topic":"bench.tick"}' \
        --publisher http --publish-url "http://127.0.0.1:$WS_PORT/publish" --topic bench.tick ;;
    ws/filtered)
      printf '%s\0' --url "ws://127.0.0.1:$WS_PORT/" --ack subscribed \
        --subscribe '{"op":"subscribe","topic":"bench.tick.{value}"}' \
        --publisher http --publish-url "http://127.0.0.1:$WS_PORT/publish" --topic 'bench.tick.{value}' ;;
  esac
}

# sources N: --source flags for N loopback addresses (127.0.0.1 .. 127.0.0.N).
sources() {
  local i
  for i in $(seq 1 "$1"); do printf '%s\0' --source "127.0.0.$i"; done
}

# bench SCENARIO TARGET MODE LABEL [herald-bench flags...]: one run against the running server;
# appends its JSON line to $OUT/SCENARIO.jsonl. A failed run is reported and the scenario goes on.
# BENCH_NICE=N runs this herald-bench at that nice level (a load generator that must not starve the
# clients that measure).
bench() {
  local scenario="$1" target="$2" mode="$3" label="$4"
  shift 4
  local args=()
  while IFS= read -r -d '' a; do args+=("$a"); done < <(target_args "$target" "$mode")
  # Smoke runs wait less between phases; a scenario's own flags (later) still win.
  [ "$SMOKE" = 1 ] && args+=(--settle-ms 100 --drain-timeout-ms 500)
  note "$scenario: $label ($target) $*"
  local prefix=()
  [ -n "${BENCH_NICE:-}" ] && prefix=(nice -n "$BENCH_NICE")
  if ! "${prefix[@]}" "$HERALD_BENCH" --label "$label" --server-pid "$server_pid" "${args[@]}" "$@" \
      --json "$OUT/$scenario.jsonl" >/dev/null; then
    note "$scenario: $label failed"
    echo "$scenario: $label" >>"$OUT/failures"
    return 1
  fi
}

# for_each_target FN: runs FN TARGET for each available target with its server started.
for_each_target() {
  local fn="$1" target rc
  shift
  for target in $TARGETS; do
    rc=0
    start_server "$target" "${HERALD_FLAGS[@]}" || rc=$?
    if [ "$rc" = 3 ]; then note "skipping $target: not installed"; continue; fi
    if [ "$rc" != 0 ]; then note "skipping $target: did not start"; continue; fi
    "$fn" "$target" "$@" || true
    stop_server
  done
}

HERALD_FLAGS=()

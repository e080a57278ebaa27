#!/usr/bin/env bash
# Wellheads over Modbus TCP: twelve wells served as a Modbus device, polled
# like a SCADA poller would, judged against the model's alarm limits and
# kept in a historian.
#
#   simulate --realtime (drift and stuck sensors injected, labelled)
#     | tee served.ndjson | modbus-serve --listen 127.0.0.1:0
#   poll every 30 s | detect (HH/H/L/LL from the model) | store --tee wells.db
#     | detect --events | store wells.db                 (raised/cleared alarms)
#
# The server listens on 127.0.0.1 on a port the system picks (written to
# modbus.addr) and is stopped by the script when the polls are done.
#
# Usage: examples/wellhead.sh [--quick] [--out DIR]
#   --quick    16 polls 0.5 s apart instead of 20 polls 30 s apart (10 minutes)
#   --out DIR  where everything goes (default ./out/wellhead)
# The iiot binary is $IIOT if set, else `iiot` on PATH.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
parse_args wellhead "$@"

if [ "$QUICK" = 1 ]; then
  SIM_INTERVAL=200ms POLL_INTERVAL=500ms POLLS=16
else
  SIM_INTERVAL=1s POLL_INTERVAL=30s POLLS=20
fi
mkdir -p "$OUT"
rm -f "$OUT"/wells.db* "$OUT"/alarms.ndjson "$OUT"/served.ndjson "$OUT"/modbus.addr \
  "$OUT"/modbus-serve.log "$OUT"/*.fifo

# The device: simulated wells, paced to the wall clock. What is served is
# also kept in served.ndjson, whose `fault` labels say which sensors were
# made to fail. FIFOs rather than one pipeline, so that each process has a
# PID to stop.
SIM= TEE= SRV=
stop() {
  for pid in $SIM $TEE $SRV; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -f "$OUT/sim.fifo" "$OUT/feed.fifo"
}
trap stop EXIT
trap 'exit 130' INT TERM

mkfifo "$OUT/sim.fifo" "$OUT/feed.fifo"
"$IIOT" simulate --preset wellhead --realtime --interval "$SIM_INTERVAL" \
  --faults drift=0.001,stuck=0.002 --label -q > "$OUT/sim.fifo" &
SIM=$!
tee "$OUT/served.ndjson" < "$OUT/sim.fifo" > "$OUT/feed.fifo" &
TEE=$!
"$IIOT" modbus-serve --preset wellhead --listen 127.0.0.1:0 \
  --addr-file "$OUT/modbus.addr" < "$OUT/feed.fifo" 2> "$OUT/modbus-serve.log" &
SRV=$!

# Wait (up to 10 s) for the server to say where it listens, and for the
# first simulated values to be in its registers.
for _ in $(seq 100); do
  [ -s "$OUT/modbus.addr" ] && break
  kill -0 "$SRV" 2>/dev/null || { cat "$OUT/modbus-serve.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$OUT/modbus.addr" ] || { echo "$0: modbus-serve did not start" >&2; exit 1; }
ADDR=$(cat "$OUT/modbus.addr")
sleep 1

RULES=(--preset wellhead)
"$IIOT" poll --preset wellhead --target "$ADDR" --interval "$POLL_INTERVAL" --count "$POLLS" -q |
  "$IIOT" detect "${RULES[@]}" -q |
  "$IIOT" store --tee "$OUT/wells.db" -q |
  "$IIOT" detect "${RULES[@]}" --events -q |
  "$IIOT" store --tee "$OUT/wells.db" -q > "$OUT/alarms.ndjson"

readings=$("$IIOT" query "$OUT/wells.db" -q | wc -l)
series=$("$IIOT" query "$OUT/wells.db" --latest -q | wc -l)
raised=$(grep -c '"event":"raised"' "$OUT/alarms.ndjson" || true)
echo "wellhead: $POLLS polls of $ADDR every $POLL_INTERVAL: $readings readings of $series series in $OUT/wells.db, $raised alarms raised"

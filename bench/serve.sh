#!/usr/bin/env bash
# iiot serve under load: requests a second and latency percentiles of
# /readings (one series, one hour: 3600 readings) and /latest (28 series)
# under 64 concurrent clients (hey, Debian package `hey`), ingest
# throughput in records a second (POST /ingest/batch of 1000 records,
# 8 clients, serve's stdout to /dev/null and to `iiot store`), and serve's
# peak memory over the whole run. The per-client rate limit is lifted
# (--rate) since every request comes from one address.
#
#   bench/serve.sh            REQS=20000 by default
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
command -v hey >/dev/null || { echo "bench/serve.sh needs hey (apt-get install hey)" >&2; exit 1; }
build_iiot
REQS=${REQS:-20000}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

"$bin" simulate --preset fermenter --duration 6h --seed 1 -q | "$bin" store "$work/plant.db" -q
echo "store: $(sqlite3 "$work/plant.db" 'select count(*) from readings') readings of 28 series, 6 h"

# Starts serve on a free port with the given extra options; sets $addr, $spid.
start_serve() {
  rm -f "$work/addr"
  "$bin" serve "$work/plant.db" --listen 127.0.0.1:0 --addr-file "$work/addr" --rate 1000000 -q "$@" &
  spid=$!
  pids+=("$spid")
  for _ in $(seq 200); do [ -s "$work/addr" ] && break; sleep 0.05; done
  addr=$(cat "$work/addr")
}

# hey's requests a second and 50/90/99th percentile latency in ms.
load() {
  local name=$1; shift
  local out
  out=$(hey "$@")
  local rps p50 p90 p99 codes
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '/ 50% in/ {print $3*1000}' <<<"$out")
  p90=$(awk '/ 90% in/ {print $3*1000}' <<<"$out")
  p99=$(awk '/ 99% in/ {print $3*1000}' <<<"$out")
  codes=$(awk '/Status code distribution/ {f=1; next} f && /\[/ {printf "%s%s", sep, $0; sep=","} ' <<<"$out" | tr -s ' ')
  printf '%-34s %9.0f req/s   p50 %6.2f ms  p90 %6.2f ms  p99 %6.2f ms  (%s)\n' "$name" "$rps" "$p50" "$p90" "$p99" "$codes"
}

start_serve
hour="asset=FERM-1&tag=fermenter_temp&from=2026-01-01T01:00:00Z&to=2026-01-01T02:00:00Z"
load "/readings 1 series 1 h, 64 clients" -n "$REQS" -c 64 "http://$addr/readings?$hour"
load "/latest, 64 clients" -n "$REQS" -c 64 "http://$addr/latest"
peak_read=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status")
kill "$spid"; wait "$spid" 2>/dev/null || true

# Ingest: 1000-record batches.
"$bin" simulate --preset fermenter --count 36 --seed 2 -q | head -1000 > "$work/batch.ndjson"
batches=$((REQS / 10))
for sink in null store; do
  rm -f "$work/addr" "$work/in.db"*
  if [ "$sink" = null ]; then
    "$bin" serve "$work/plant.db" --ingest --listen 127.0.0.1:0 --addr-file "$work/addr" --rate 1000000 -q > /dev/null &
  else
    "$bin" serve "$work/plant.db" --ingest --listen 127.0.0.1:0 --addr-file "$work/addr" --rate 1000000 -q \
      > >("$bin" store "$work/in.db" -q) &
  fi
  spid=$!
  pids+=("$spid")
  for _ in $(seq 200); do [ -s "$work/addr" ] && break; sleep 0.05; done
  addr=$(cat "$work/addr")
  start=$(date +%s.%N)
  out=$(hey -n "$batches" -c 8 -m POST -T application/x-ndjson -D "$work/batch.ndjson" "http://$addr/ingest/batch")
  end=$(date +%s.%N)
  ok=$(awk '/\[200\]/ {print $2}' <<<"$out"); ok=${ok:-0}
  busy=$(awk '/\[503\]/ {print $2}' <<<"$out"); busy=${busy:-0}
  printf 'ingest to %-6s 8 clients x 1000-record batches: %9.0f records/s (%s batches taken, %s answered 503)\n' \
    "$sink" "$(calc %f "$ok * 1000 / ($end - $start)")" "$ok" "$busy"
  peak_ingest=$(awk '/VmHWM/ {print $2}' "/proc/$spid/status")
  kill "$spid"
  wait "$spid" 2>/dev/null || true
  sleep 0.5
done
echo "peak memory of serve: reads $((peak_read / 1024)) MiB, ingest ${peak_ingest:-?} KiB"

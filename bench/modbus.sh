#!/usr/bin/env bash
# Modbus TCP on 127.0.0.1, three figures:
#
# 1. requests per second of `poll` against `modbus-serve`, beside mbpoll
#    against the same server with the same request (125 holding registers):
#    poll back to back, one request awaiting its answer at a time
#    (--interval 0 --max-inflight 1); mbpoll as scripts use it, one run per
#    request (-1), and at its fastest poll rate (-l 10).
# 2. requests per second `modbus-serve` answers beside a pymodbus server
#    under the same client. The request is the same 125 holding registers;
#    each server holds CONNS (16) unit ids of 125 registers. The client is
#    ONE `iiot poll` process with CONNS connections (--connections), each
#    reading its own unit id back to back with one request in flight
#    (--interval 0 --max-inflight 1: pymodbus drops a second request sent
#    before it answered the first). It decodes two registers of each
#    answer (0 and 124, read through with --max-gap 123), so the client
#    stays light: on 2 cores a heavier client (four poll processes, each
#    one round trip at a time, decoding all 125) used more CPU per request
#    than modbus-serve and the figure measured the clients. The runs
#    alternate, ours then pymodbus, PAIRS (5) times; the ratio is taken
#    pair by pair and its median printed, with each server's CPU per
#    request (user + system, from /proc) as the capacity figure, and the
#    client's. The throughput ratio needs both cores free: with ours the
#    server and the client each keep one core busy (both mostly in the
#    kernel's loopback TCP path), while pymodbus is bound by its own
#    core. On a machine busy with other work both sides share what is
#    left and the ratio falls toward that of server + client CPU per
#    request; the CPU-per-request ratio holds either way.
#    With OLD_IIOT=path (another build of iiot, such as one whose
#    modbus-serve still ran on tokio-modbus's server), its modbus-serve
#    takes the same client in each round too, between ours and pymodbus,
#    and the new framing is printed beside the old: throughput pair by
#    pair and CPU per request, same client, same data.
# 3. CPU of `poll` reading 1,000 unit ids (4 servers × 250, 18 tags each:
#    4,000 requests a second) at a 1 s interval, as a share of one core.
#
#   bench/modbus.sh        defaults: REQS=20000 MBPOLL_RUNS=300 RUNS=3 SECONDS_CPU=10
#                          CONNS=16 PAIRS=5 SERVE_REQS=4000 PY_REQS=400
#                          (SERVE_REQS, PY_REQS: requests per connection)
#   OLD_IIOT=/tmp/old/iiot bench/modbus.sh    also the old modbus-serve (2.)
#   To build the old one from git (its own worktree and target dir):
#     git worktree add /tmp/old-iiot <commit>
#     (cd /tmp/old-iiot && cargo build --profile profiling --target-dir /tmp/old-iiot-target)
#     OLD_IIOT=/tmp/old-iiot-target/profiling/iiot bench/modbus.sh
#     git worktree remove /tmp/old-iiot
# Needs mbpoll (apt-get install mbpoll) and pymodbus (pip install pymodbus).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
REQS=${REQS:-20000}
MBPOLL_RUNS=${MBPOLL_RUNS:-300}
RUNS=${RUNS:-3}
SECONDS_CPU=${SECONDS_CPU:-10}
CONNS=${CONNS:-16}
PAIRS=${PAIRS:-5}
SERVE_REQS=${SERVE_REQS:-4000}
PY_REQS=${PY_REQS:-400}
command -v mbpoll >/dev/null || { echo "bench/modbus.sh: needs mbpoll (apt-get install mbpoll)" >&2; exit 1; }
python3 -c 'import pymodbus' 2>/dev/null || { echo "bench/modbus.sh: needs pymodbus (pip install pymodbus)" >&2; exit 1; }
# IIOT=path runs another build (a smoke run of the script on a debug build).
build_iiot
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench/modbus.sh: nothing listens on $1" >&2; exit 1
}
now() { date +%s.%N; }

# A model of 125 u16 holding registers on unit 1.
{
  echo "asset,tag,unit_id,table,address,type"
  for a in $(seq 0 124); do echo "B,r$a,1,holding,$a,u16"; done
} > "$tmp/b125.csv"
for a in $(seq 0 124); do echo "{\"ts\":0,\"asset\":\"B\",\"tag\":\"r$a\",\"value\":$a}"; done > "$tmp/b125.ndjson"

port=$(free_port)
"$bin" -q modbus-serve --model "$tmp/b125.csv" --listen "127.0.0.1:$port" < "$tmp/b125.ndjson" &
pids+=($!)
wait_port "$port"

# poll: REQS requests back to back.
poll_rps() {
  local t=()
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(now)
    "$bin" -q poll "127.0.0.1:$1" --holding 0:125 --interval 0 --max-inflight 1 --count "$REQS" > /dev/null
    e=$(now)
    t+=("$(calc %.1f "$REQS / ($e - $s)")")
  done
  printf '%s\n' "${t[@]}" | median
}
poll_iiot=$(poll_rps "$port")

# mbpoll, one run per request.
t=()
for _ in $(seq "$RUNS"); do
  s=$(now)
  for _ in $(seq "$MBPOLL_RUNS"); do
    mbpoll -m tcp -0 -1 -a 1 -r 0 -c 125 -t 4 -p "$port" 127.0.0.1 > /dev/null
  done
  e=$(now)
  t+=("$(calc %.1f "$MBPOLL_RUNS / ($e - $s)")")
done
mbpoll_once=$(printf '%s\n' "${t[@]}" | median)

# mbpoll polling continuously at its fastest rate (-l 10 ms) for 3 s.
mbpoll -m tcp -0 -l 10 -a 1 -r 0 -c 125 -t 4 -p "$port" 127.0.0.1 > "$tmp/mbpoll.out" 2>&1 &
mp=$!
sleep 3
kill "$mp" 2>/dev/null || true
wait "$mp" 2>/dev/null || true
mbpoll_loop=$(calc %.1f "$(grep -c '^-- Polling' "$tmp/mbpoll.out" || true) / 3")

# Both servers: CONNS unit ids of 125 holding registers holding 0..124.
{
  echo "asset,tag,unit_id,table,address,type"
  for u in $(seq "$CONNS"); do for a in $(seq 0 124); do echo "U$u,r$a,$u,holding,$a,u16"; done; done
} > "$tmp/units.csv"
for u in $(seq "$CONNS"); do
  for a in $(seq 0 124); do echo "{\"ts\":0,\"asset\":\"U$u\",\"tag\":\"r$a\",\"value\":$a}"; done
done > "$tmp/units.ndjson"
# The client's model: registers 0 and 124 of each unit, one request each.
{
  echo "asset,tag,unit_id,table,address,type"
  for u in $(seq "$CONNS"); do echo "U$u,r0,$u,holding,0,u16"; echo "U$u,r124,$u,holding,124,u16"; done
} > "$tmp/client.csv"
uport=$(free_port)
"$bin" -q modbus-serve --model "$tmp/units.csv" --listen "127.0.0.1:$uport" < "$tmp/units.ndjson" &
userve_pid=$!
pids+=($!)
cat > "$tmp/py125.py" <<'EOF'
import sys
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer
units = range(1, int(sys.argv[2]) + 1)
devices = {u: ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, list(range(125)))) for u in units}
StartTcpServer(ModbusServerContext(devices=devices, single=False), address=("127.0.0.1", int(sys.argv[1])))
EOF
pyport=$(free_port)
python3 "$tmp/py125.py" "$pyport" "$CONNS" > /dev/null 2>&1 &
py_pid=$!
pids+=($!)
wait_port "$uport"
wait_port "$pyport"
if [ -n "${OLD_IIOT:-}" ]; then
  oport=$(free_port)
  "$OLD_IIOT" -q modbus-serve --model "$tmp/units.csv" --listen "127.0.0.1:$oport" < "$tmp/units.ndjson" &
  old_pid=$!
  pids+=($!)
  wait_port "$oport"
fi
# CPU seconds a process has used (user + system), from /proc.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
# One run of the client against port $1 (server PID $2), $3 requests per
# connection: prints requests/s, then the server's and the client's CPU
# microseconds a request.
serve_run() {
  local s e c0 c1 n=$(( CONNS * $3 ))
  c0=$(cpu_s "$2")
  s=$(now)
  /usr/bin/time -f '%U %S' -o "$tmp/client.time" \
    "$bin" -q poll --model "$tmp/client.csv" --target "127.0.0.1:$1" --max-gap 123 \
    --connections "$CONNS" --max-inflight 1 --interval 0 --count "$3" > /dev/null
  e=$(now)
  c1=$(cpu_s "$2")
  read -r cu cs < "$tmp/client.time"
  calc '%.1f %.2f %.2f\n' "$n / ($e - $s), ($c1 - $c0) * 1e6 / $n, ($cu + $cs) * 1e6 / $n"
}
: > "$tmp/pairs"
: > "$tmp/old"
for _ in $(seq "$PAIRS"); do
  read -r ours ours_us ours_cl < <(serve_run "$uport" "$userve_pid" "$SERVE_REQS")
  if [ -n "${OLD_IIOT:-}" ]; then
    read -r old old_us _ < <(serve_run "$oport" "$old_pid" "$SERVE_REQS")
    echo "$ours $ours_us $old $old_us $(calc %.3f "$ours / $old") $(calc %.3f "$old_us / $ours_us")" >> "$tmp/old"
  fi
  read -r py py_us py_cl < <(serve_run "$pyport" "$py_pid" "$PY_REQS")
  echo "$ours $ours_us $py $py_us $(calc %.2f "$ours / $py") $ours_cl $py_cl" >> "$tmp/pairs"
done
col() { awk -v c="$1" '{print $c}' "$tmp/pairs" | median; }
serve_iiot=$(col 1) serve_iiot_us=$(col 2) serve_py=$(col 3) serve_py_us=$(col 4) serve_ratio=$(col 5)
client_iiot_us=$(col 6) client_py_us=$(col 7)
serve_ratios=$(awk '{printf "%s%s", sep, $5; sep=" "}' "$tmp/pairs")

# 1,000 unit ids: 4 servers of 250 wellheads each.
"$bin" model --preset wellhead | awk -F, -v OFS=, '
  NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; print "host," $0; next }
  $1 == "WH-01" { rows[++n] = $0 }
  END {
    for (h = 0; h < 4; h++)
      for (u = 1; u <= 250; u++)
        for (r = 1; r <= n; r++) {
          split(rows[r], f, ",")
          line = rows[r]
          # asset and unit id per device; host filled in below.
          sub(/^WH-01/, sprintf("D%d-%03d", h, u), line)
          nf = split(line, g, ",")
          g[col["unit_id"]] = u
          out = g[1]; for (i = 2; i <= nf; i++) out = out "," g[i]
          print "HOST" h "," out
        }
  }' > "$tmp/k.csv"
hosts=()
for h in 0 1 2 3; do
  p=$(free_port)
  sed -i "s/^HOST$h,/127.0.0.1:$p,/" "$tmp/k.csv"
  hosts+=("127.0.0.1:$p")
done
"$bin" simulate --model "$tmp/k.csv" --count 1 > "$tmp/k.ndjson"
for h in "${hosts[@]}"; do
  "$bin" -q modbus-serve --model "$tmp/k.csv" --host "$h" --listen "$h" < "$tmp/k.ndjson" &
  pids+=($!)
  wait_port "${h##*:}"
done
cpu=$( { /usr/bin/time -f '%U %S %e' "$bin" -q poll --model "$tmp/k.csv" --interval 1s --count "$SECONDS_CPU" > "$tmp/k.out"; } 2>&1 | tail -1)
readings=$(wc -l < "$tmp/k.out")
cpu_pct=$(echo "$cpu" | awk '{printf "%.1f", ($1 + $2) / $3 * 100}')

echo "request: 125 holding registers, one at a time, 127.0.0.1"
echo "poll vs modbus-serve:           $poll_iiot req/s"
echo "mbpoll vs modbus-serve (-1):    $mbpoll_once req/s   poll/mbpoll = $(calc %.1f "$poll_iiot / $mbpoll_once")x"
echo "mbpoll vs modbus-serve (-l 10): $mbpoll_loop req/s   poll/mbpoll = $(calc %.1f "$poll_iiot / $mbpoll_loop")x"
echo "1 poll, $CONNS connections vs modbus-serve: $serve_iiot req/s, CPU us/request: server $serve_iiot_us, client $client_iiot_us (medians of $PAIRS)"
echo "1 poll, $CONNS connections vs pymodbus:     $serve_py req/s, CPU us/request: server $serve_py_us, client $client_py_us"
echo "modbus-serve/pymodbus: throughput ${serve_ratio}x (pair by pair: $serve_ratios), requests per CPU second $(calc %.1f "$serve_py_us / $serve_iiot_us")x"
echo "poll of 1000 unit ids at 1s:    CPU ${cpu_pct}% of one core (user sys wall: $cpu), $readings readings in $SECONDS_CPU polls"
if [ -n "${OLD_IIOT:-}" ]; then
  ocol() { awk -v c="$1" '{print $c}' "$tmp/old" | median; }
  echo "modbus-serve, this framing vs OLD_IIOT's, same client: $(ocol 1) vs $(ocol 3) req/s, throughput $(ocol 5)x (pair by pair: $(awk '{printf "%s%s", sep, $5; sep=" "}' "$tmp/old")); CPU us/request $(ocol 2) vs $(ocol 4), requests per CPU second $(ocol 6)x (pair by pair: $(awk '{printf "%s%s", sep, $6; sep=" "}' "$tmp/old"))"
fi

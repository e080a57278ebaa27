#!/usr/bin/env bash
# store into PostgreSQL beside psql's \copy, and mqtt-pub | broker | mqtt-sub:
#   iiot store postgresql://…   vs  psql \copy of the same rows as CSV into
#                                   the same readings table (the one store
#                                   made, emptied between runs)
# then a replay of each: store adds nothing, \copy fails on the primary
# key (it is not idempotent); and readings per second through Mosquitto
# at QoS 1, counting that nothing is lost. Starts its own PostgreSQL 15
# cluster (Debian's postgresql, run as the postgres user) and Mosquitto on
# free loopback ports in a temporary folder, and stops both by PID.
#
#   bench/store-pg.sh                             5 M readings, median of 3 runs
#   READINGS=1000000 MQTT_READINGS=100000 RUNS=5 bench/store-pg.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
READINGS=${READINGS:-5000000}
MQTT_READINGS=${MQTT_READINGS:-500000}
RUNS=${RUNS:-3}
PGBIN=/usr/lib/postgresql/15/bin
build_iiot
bin=$(realpath "$bin")   # the script works in a temporary folder
tmp=$(mktemp -d)
chmod 755 "$tmp"
pg_pid=""; mq_pid=""
cleanup() {
  [ -n "$pg_pid" ] && kill -INT "$pg_pid" 2>/dev/null && while kill -0 "$pg_pid" 2>/dev/null; do sleep 0.1; done
  [ -n "$mq_pid" ] && kill "$mq_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The cluster: durable as a default server is (fsync on).
mkdir pg && chown postgres:postgres pg
runuser -u postgres -- "$PGBIN/initdb" -D "$tmp/pg/data" --auth=trust -U postgres -E UTF8 --locale=C >/dev/null
port=$(free_port)
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$tmp/pg/data" -l "$tmp/pg/log" -w \
  -o "-p $port -k $tmp/pg -c listen_addresses=127.0.0.1 -c max_wal_size=4GB" start >/dev/null
pg_pid=$(head -1 "$tmp/pg/data/postmaster.pid")
psql_() { psql -X -q -A -t -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql_ -d postgres -c "CREATE DATABASE bench"
url="postgresql://postgres@127.0.0.1:$port/bench"

ticks=$(( (READINGS + 215) / 216 ))
"$bin" simulate --preset wellhead --count "$ticks" > wh.ndjson
n=$(wc -l < wh.ndjson)

# The same rows as CSV of the readings table (series_id, ts, value,
# quality, extra), in stream order, with the ids the store gives them.
"$bin" -q store ids.db < wh.ndjson
sqlite3 -csv ids.db "SELECT series_id, ts, value, quality, extra FROM readings ORDER BY ts, series_id" > readings.csv
"$bin" -q store "$url" < /dev/null   # the tables

seconds() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); awk "BEGIN {print $e - $s}"; }
runs() { for _ in $(seq "$RUNS"); do "$@"; done | median; }
empty() { psql_ -d bench -c "TRUNCATE readings, rollup_pending; CHECKPOINT"; }
iiot_pg() { empty; seconds sh -c "'$bin' -q store '$url' < wh.ndjson"; }
peer_pg() { empty; seconds psql_ -d bench -c "\\copy readings (series_id, ts, value, quality, extra) FROM 'readings.csv' WITH (FORMAT csv)"; }

a=$(runs iiot_pg); b=$(runs peer_pg)
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
echo "readings: $n, median of $RUNS runs"
echo "iiot store postgresql://: ${a}s ($(calc %.0f "$n / $a") readings/s)   psql \\copy CSV: ${b}s ($(calc %.0f "$n / $b") readings/s)   ratio $(ratio "$a" "$b")"
# A replay: store adds nothing; \copy stops at the first duplicate key.
replay=$("$bin" store "$url" < wh.ndjson 2>&1 | tail -1)
echo "replay by iiot store: $replay"
if psql_ -d bench -c "\\copy readings (series_id, ts, value, quality, extra) FROM 'readings.csv' WITH (FORMAT csv)" 2>copy.err; then
  echo "replay by \\copy: accepted (!)"
else
  echo "replay by \\copy: $(grep -m1 ERROR copy.err)"
fi
echo "rows in readings: $(psql_ -d bench -c 'SELECT count(*) FROM readings') (of $n)"

# MQTT: mqtt-pub | mosquitto | mqtt-sub at QoS 1, a persistent session.
mport=$(free_port)
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_inflight_messages 20\n' "$mport" > mosquitto.conf
/usr/sbin/mosquitto -c mosquitto.conf >/dev/null 2>&1 &
mq_pid=$!
sleep 0.5
head -n "$MQTT_READINGS" wh.ndjson > mq.ndjson
m=$(wc -l < mq.ndjson)
"$bin" -q mqtt-sub --broker "127.0.0.1:$mport" --client-id bench --idle 300ms
mqtt_run() {
  "$bin" -q mqtt-sub --broker "127.0.0.1:$mport" --client-id bench --count "$m" > got.ndjson &
  local sub=$!
  "$bin" -q mqtt-pub --broker "127.0.0.1:$mport" --qos 1 < mq.ndjson
  wait "$sub"
}
s=$(date +%s.%N); mqtt_run; e=$(date +%s.%N)
secs=$(awk "BEGIN {print $e - $s}")
got=$(wc -l < got.ndjson)
lost=$(comm -23 <(sort mq.ndjson) <(sort got.ndjson) | wc -l)
echo "mqtt-pub | mosquitto | mqtt-sub, QoS 1: $m readings in ${secs}s ($(calc %.0f "$m / $secs") readings/s), received $got, lost $lost"

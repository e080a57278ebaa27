#!/usr/bin/env bash
# store beside its peers on the same 5-million-reading wellhead stream:
#   iiot store FILE.db        vs  sqlite3 importing the equivalent CSV into the
#                                 same readings table, in one transaction
#   iiot store --parquet DIR  vs  DuckDB COPY (SELECT * FROM read_json(...)) TO ... (FORMAT parquet)
# plus the lake's size against DuckDB's file, and store's peak memory at
# 1 and 10 million readings. Needs sqlite3 and the Python module duckdb
# (scripts/test installs both).
#
#   bench/store.sh                 5 M readings, median of 3 runs
#   READINGS=1000000 RUNS=5 bench/store.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
READINGS=${READINGS:-5000000}
RUNS=${RUNS:-3}
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

ticks=$(( (READINGS + 215) / 216 ))
"$bin" simulate --preset wellhead --count "$ticks" > wh.ndjson
n=$(wc -l < wh.ndjson)

# The same readings as CSV rows of the readings table (series_id, ts, value,
# quality, extra), in stream order, as a peer would bulk-load them.
"$bin" -q store ids.db < wh.ndjson
sqlite3 -csv ids.db "SELECT series_id, ts, value, quality, extra FROM readings ORDER BY ts, series_id" > readings.csv
cat > import.sql <<'SQL'
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE readings (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
  quality INTEGER NOT NULL DEFAULT 0, extra TEXT, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
BEGIN;
.import --csv readings.csv readings
COMMIT;
SQL

seconds() { local s e; s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N); awk "BEGIN {print $e - $s}"; }
runs() { for _ in $(seq "$RUNS"); do "$@"; done | median; }

iiot_db() { rm -f a.db a.db-wal a.db-shm; seconds sh -c "'$bin' -q store a.db < wh.ndjson"; }
peer_db() { rm -f p.db p.db-wal p.db-shm; seconds sh -c "sqlite3 p.db < import.sql"; }
iiot_lake() { rm -rf lake; seconds sh -c "'$bin' -q store --parquet lake < wh.ndjson"; }
peer_lake() { rm -f duck.parquet; seconds python3 -c "import duckdb; duckdb.sql(\"COPY (SELECT * FROM read_json('wh.ndjson')) TO 'duck.parquet' (FORMAT parquet)\")"; }

a=$(runs iiot_db); b=$(runs peer_db)
c=$(runs iiot_lake); d=$(runs peer_lake)
lake_bytes=$(du -sb lake | cut -f1)
duck_bytes=$(stat -c %s duck.parquet)
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
echo "readings: $n, median of $RUNS runs"
echo "iiot store a.db:            ${a}s   sqlite3 .import CSV: ${b}s   ratio $(ratio "$a" "$b")"
echo "iiot store --parquet lake/: ${c}s   DuckDB COPY to parquet: ${d}s   ratio $(ratio "$c" "$d")"
echo "lake size: $lake_bytes bytes   DuckDB's file: $duck_bytes bytes   ratio $(ratio "$lake_bytes" "$duck_bytes")"

if [ -x /usr/bin/time ]; then
  peak() { rm -f m.db m.db-wal m.db-shm; /usr/bin/time -f %M "$bin" -q store m.db < "$1" 2>&1 >/dev/null | tail -1; }
  head -n 1000000 wh.ndjson > 1m.ndjson
  "$bin" simulate --preset wellhead --count 46297 > 10m.ndjson
  echo "peak memory of store: 1 M readings $(peak 1m.ndjson) KB, 10 M readings $(peak 10m.ndjson) KB"
fi

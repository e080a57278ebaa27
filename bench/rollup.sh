#!/usr/bin/env bash
# rollup beside its peers on the same data, median of $RUNS runs:
#  1. streaming `iiot rollup --every 1m` of an NDJSON file against DuckDB's
#     read_json + GROUP BY time_bucket (count, min, max, avg, stddev_samp)
#     writing its result to a file;
#  2. `iiot rollup plant.db --every 1m` on a fresh copy of a SQLite store
#     (the docs/storage.md layout) against `sqlite3` running the equivalent
#     GROUP BY into a table of the same database.
#
#   bench/rollup.sh                 5 M readings (boiler, 72 series, ~19.3 h at 1 s)
#   READINGS=1000000 RUNS=3 bench/rollup.sh
# Needs python3 with duckdb (pip install duckdb) and sqlite3 (apt-get install sqlite3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
READINGS=${READINGS:-5000000}
RUNS=${RUNS:-5}
command -v sqlite3 >/dev/null || { echo "bench/rollup.sh: install sqlite3 (apt-get install sqlite3)" >&2; exit 1; }
python3 -c 'import duckdb' 2>/dev/null || { echo "bench/rollup.sh: install duckdb (pip install duckdb)" >&2; exit 1; }
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT


ticks=$(( READINGS / 72 ))
"$bin" -q simulate --preset boiler --count "$ticks" > "$tmp/raw.ndjson"
readings=$(wc -l < "$tmp/raw.ndjson")

# 1. Streaming.
cat > "$tmp/duck.py" <<PY
import duckdb
con = duckdb.connect()
con.execute("""COPY (
  SELECT asset, tag, time_bucket(INTERVAL 1 minute, ts) AS b, count(*) AS count,
         min(value), max(value), avg(value), stddev_samp(value)
  FROM read_json('$tmp/raw.ndjson', format='newline_delimited',
                 columns={'ts':'TIMESTAMP','asset':'VARCHAR','tag':'VARCHAR','value':'DOUBLE','unit':'VARCHAR'})
  GROUP BY ALL) TO '$tmp/duck.csv' (HEADER)""")
PY
ours=$(median_seconds "'$bin' -q rollup --every 1m '$tmp/raw.ndjson' > '$tmp/ours.ndjson'")
duck=$(median_seconds "python3 '$tmp/duck.py'")
buckets=$(wc -l < "$tmp/ours.ndjson")

# 2. A store of the same readings, loaded through the sqlite3 shell.
"$bin" -q cat --format csv "$tmp/raw.ndjson" > "$tmp/raw.csv"
sqlite3 "$tmp/base.db" >/dev/null <<SQL
PRAGMA journal_mode=WAL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
CREATE TABLE series (id INTEGER PRIMARY KEY, asset TEXT NOT NULL, tag TEXT NOT NULL, unit TEXT, description TEXT, UNIQUE (asset, tag));
CREATE TABLE readings (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
  quality INTEGER NOT NULL DEFAULT 0, extra TEXT, PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
CREATE TABLE rollup_pending (series_id INTEGER PRIMARY KEY, since INTEGER NOT NULL);
.mode csv
.import $tmp/raw.csv raw
INSERT INTO series (asset, tag, unit) SELECT DISTINCT asset, tag, unit FROM raw;
INSERT INTO readings (series_id, ts, value, quality)
  SELECT s.id, CAST(unixepoch(r.ts) AS INTEGER) * 1000, CAST(r.value AS REAL), 0
  FROM raw r JOIN series s ON s.asset = r.asset AND s.tag = r.tag ORDER BY 1, 2;
INSERT INTO rollup_pending SELECT id, (SELECT min(ts) FROM readings) FROM series;
DROP TABLE raw;
VACUUM;
SQL
cat > "$tmp/group.sql" <<SQL
CREATE TABLE peer_1m AS
SELECT series_id, ts / 60000 * 60000 AS ts, count(*) AS count, min(value) AS min, max(value) AS max,
       avg(value) AS mean,
       sqrt(max(sum(value * value) - sum(value) * sum(value) / count(*), 0) / max(count(*) - 1, 1)) AS stddev
FROM readings WHERE quality = 0 GROUP BY series_id, ts / 60000;
SQL
store=$(median_seconds "'$bin' -q rollup '$tmp/run.db' --every 1m" "cp '$tmp/base.db' '$tmp/run.db'")
peer=$(median_seconds "sqlite3 '$tmp/run.db' < '$tmp/group.sql'" "cp '$tmp/base.db' '$tmp/run.db'")
rows=$(sqlite3 "$tmp/run.db" 'SELECT count(*) FROM peer_1m')

echo "readings: $readings (72 series), median of $RUNS runs"
echo "stream:  iiot rollup --every 1m     ${ours}s  ($(calc %.2f "$readings / $ours / 1e6") M readings/s, $buckets buckets)"
echo "stream:  duckdb read_json GROUP BY  ${duck}s"
echo "ratio iiot / duckdb:                $(calc %.2f "$ours / $duck")"
echo "store:   iiot rollup plant.db 1m    ${store}s"
echo "store:   sqlite3 GROUP BY           ${peer}s  ($rows rows)"
echo "ratio iiot / sqlite3:               $(calc %.2f "$store / $peer")"

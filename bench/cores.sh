#!/usr/bin/env bash
# The verbs where parsing dominates, on every core and on one, beside DuckDB
# on the same file: 5 M wellhead readings (NDJSON, ~460 MB), median of
# $RUNS runs each, the two sides run in turn.
#
#   rollup --every 1m        vs  read_json + GROUP BY time_bucket (count, min, max, avg, stddev_samp)
#   store --parquet          vs  COPY (read_json) TO … (FORMAT parquet)   (time and size)
#   plot                     vs  the same per-pixel-column min/max summary
#   detect --zscore 3 --window 50  vs  AVG/STDDEV_SAMP OVER 50 PRECEDING, counting flags
#   cat                      vs  $BASE cat (the build to compare with)
#
# With BASE=path/to/an/older/iiot, every verb is also timed pinned to one
# core (taskset -c 0) beside BASE pinned the same way, and peak memory of
# both (median of $RUNS runs) is printed.
#
#   bench/cores.sh
#   BASE=/tmp/iiot-before RUNS=5 bench/cores.sh
# Needs python3 with duckdb (pip install duckdb), taskset (util-linux) and
# GNU time (/usr/bin/time).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
python3 -c 'import duckdb' 2>/dev/null || { echo "bench/cores.sh: install duckdb (pip install duckdb)" >&2; exit 1; }
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

data=$tmp/wh.ndjson
"$bin" -q simulate --preset wellhead --seed 1 --duration 23148s > "$data"
readings=$(wc -l < "$data")
echo "data: $readings wellhead readings, $(du -m "$data" | cut -f1) MB; median of $RUNS runs; $(nproc) cores"

cols="{'ts':'TIMESTAMP','asset':'VARCHAR','tag':'VARCHAR','value':'DOUBLE','unit':'VARCHAR'}"
cat > "$tmp/rollup.py" <<PY
import duckdb
duckdb.sql("""COPY (
  SELECT asset, tag, time_bucket(INTERVAL 1 minute, ts) AS b, count(*) AS count,
         min(value), max(value), avg(value), stddev_samp(value)
  FROM read_json('$data', format='newline_delimited', columns=$cols)
  GROUP BY ALL) TO '$tmp/duck.csv' (HEADER)""")
PY
cat > "$tmp/parquet.py" <<PY
import duckdb
duckdb.sql("""COPY (SELECT * FROM read_json('$data', format='newline_delimited', columns=$cols))
  TO '$tmp/duck.parquet' (FORMAT parquet)""")
PY
cat > "$tmp/plot.py" <<PY
import duckdb
duckdb.sql("""COPY (
  WITH r AS (SELECT * FROM read_json('$data', format='newline_delimited', columns=$cols)),
       s AS (SELECT min(epoch_ms(ts)) AS t0, max(epoch_ms(ts)) - min(epoch_ms(ts)) + 1 AS span FROM r)
  SELECT asset, tag, floor((epoch_ms(ts) - t0) * 2000 / span) AS px, min(value), max(value)
  FROM r, s GROUP BY ALL) TO '$tmp/duck-plot.csv' (HEADER)""")
PY
cat > "$tmp/detect.py" <<PY
import duckdb
con = duckdb.connect()
con.execute("SET preserve_insertion_order = true")
print(con.execute("""
WITH r AS (SELECT row_number() OVER () AS n, asset, tag, value
           FROM read_json('$data', format='newline_delimited', columns=$cols)),
     w AS (SELECT value, AVG(value) OVER s AS mean, STDDEV_SAMP(value) OVER s AS sd, COUNT(value) OVER s AS cnt
           FROM r WINDOW s AS (PARTITION BY asset, tag ORDER BY n ROWS BETWEEN 50 PRECEDING AND 1 PRECEDING))
SELECT count(*) FILTER (WHERE cnt >= 10 AND sd > 0 AND abs(value - mean) > 3 * sd) FROM w""").fetchone()[0])
PY

declare -A ours=(
  [rollup]="'$bin' -q rollup --every 1m '$data' > '$tmp/ours.ndjson'"
  [store]="rm -rf '$tmp/lake' && '$bin' -q store --parquet '$tmp/lake' '$data'"
  [plot]="'$bin' -q plot '$data' -o '$tmp/chart.svg'"
  [detect]="'$bin' -q detect --zscore 3 --window 50 '$data' > /dev/null"
  [cat]="'$bin' -q cat '$data' > /dev/null"
)
declare -A peer=(
  [rollup]="python3 '$tmp/rollup.py'"
  [store]="rm -f '$tmp/duck.parquet' && python3 '$tmp/parquet.py'"
  [plot]="python3 '$tmp/plot.py'"
  [detect]="python3 '$tmp/detect.py' > /dev/null"
)

printf '%-8s %10s %10s %8s\n' job iiot DuckDB ratio
for job in rollup store plot detect; do
  a=$(median_seconds "${ours[$job]}")
  b=$(median_seconds "${peer[$job]}")
  printf '%-8s %9ss %9ss %8s\n' "$job" "$a" "$b" "$(calc %.2f "$a / $b")"
done
ours_size=$(du -sb "$tmp/lake" | cut -f1)
duck_size=$(stat -c %s "$tmp/duck.parquet")
echo "parquet size: iiot $(calc %.1f "$ours_size / 1e6") MB, DuckDB $(calc %.1f "$duck_size / 1e6") MB, ratio $(calc %.2f "$ours_size / $duck_size")"

if [ -n "${BASE:-}" ]; then
  # Peak memory counts the binaries' code pages, and how many of those a
  # run maps depends on how the file came into the page cache (written by
  # the linker, copied, or read back after eviction). Both are copied here
  # so that they are measured alike.
  built=$bin
  cp "$built" "$tmp/iiot" && bin=$tmp/iiot
  cp "$BASE" "$tmp/iiot-base" && BASE=$tmp/iiot-base
  for job in "${!ours[@]}"; do ours[$job]=${ours[$job]//"'$built'"/"'$bin'"}; done
  echo
  echo "against BASE=$BASE (median s; peak MB)"
  printf '%-8s %9s %9s %8s %9s %9s %9s %9s\n' job all-cores base ratio 1-core base-1c ratio peak/base
  for job in rollup store plot detect cat; do
    cmd=${ours[$job]}
    base_cmd=${cmd//"'$bin'"/"'$BASE'"}
    a=$(median_seconds "$cmd")
    b=$(median_seconds "$base_cmd")
    a1=$(median_seconds "taskset -c 0 sh -c \"$cmd\"")
    b1=$(median_seconds "taskset -c 0 sh -c \"$base_cmd\"")
    pa=$(median_peak_kb "$cmd")
    pb=$(median_peak_kb "$base_cmd")
    printf '%-8s %9s %9s %8s %9s %9s %9s %4.1f/%-4.1f\n' "$job" "$a" "$b" "$(calc %.2f "$b / $a")x" \
      "$a1" "$b1" "$(calc %.2f "$a1 / $b1")" "$(calc %.1f "$pa / 1024")" "$(calc %.1f "$pb / 1024")"
  done
fi

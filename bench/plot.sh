#!/usr/bin/env bash
# plot of 10 million readings: wall time and SVG size (targets: under 10 s,
# under 2 MB), beside DuckDB computing the same summary a chart needs — the
# min and max of each series in each of 1,000 time columns — from the same
# NDJSON file, median of $RUNS runs.
#
#   bench/plot.sh                       10 M readings (fermenter, 28 series, ~4.1 days at 1 s)
#   READINGS=1000000 RUNS=3 bench/plot.sh
# Needs python3 with duckdb (pip install duckdb).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
READINGS=${READINGS:-10000000}
RUNS=${RUNS:-3}
python3 -c 'import duckdb' 2>/dev/null || { echo "bench/plot.sh: install duckdb (pip install duckdb)" >&2; exit 1; }
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Anomalies to mark: spikes flagged by detect, written into the file.
ticks=$(( READINGS / 28 ))
"$bin" -q simulate --preset fermenter --count "$ticks" --faults spike=0.0005 \
  | "$bin" -q detect --preset fermenter --no-defaults --zscore 4.5 > "$tmp/raw.ndjson"
readings=$(wc -l < "$tmp/raw.ndjson")
flagged=$(grep -c '"anomalies"' "$tmp/raw.ndjson" || true)
echo "data: $readings readings ($(du -m "$tmp/raw.ndjson" | cut -f1) MB), $flagged flagged"

cat > "$tmp/duck.py" <<PY
import duckdb
con = duckdb.connect()
con.execute("""COPY (
  WITH r AS (SELECT * FROM read_json('$tmp/raw.ndjson', format='newline_delimited',
                 columns={'ts':'TIMESTAMP','asset':'VARCHAR','tag':'VARCHAR','value':'DOUBLE'})),
       s AS (SELECT min(epoch_ms(ts)) AS t0, max(epoch_ms(ts)) - min(epoch_ms(ts)) + 1 AS span FROM r)
  SELECT asset, tag, floor((epoch_ms(ts) - t0) * 1000 / span) AS px, min(value), max(value)
  FROM r, s GROUP BY ALL) TO '$tmp/duck.csv' (HEADER)""")
PY

iiot_s=$(median_seconds "'$bin' -q plot --preset fermenter '$tmp/raw.ndjson' -o '$tmp/chart.svg'")
duck_s=$(median_seconds "python3 '$tmp/duck.py'")
size=$(stat -c %s "$tmp/chart.svg")
peak=$(peak_kb "$bin" -q plot --preset fermenter "$tmp/raw.ndjson" -o "$tmp/chart.svg")
circles=$(grep -c '<circle' "$tmp/chart.svg" || true)

echo "iiot plot:   $iiot_s s for $readings readings ($(calc %.2f "$readings / $iiot_s / 1e6") M/s), SVG $(calc %.2f "$size / 1e6") MB, $circles markers, peak $(calc %.1f "$peak / 1024") MB"
echo "duckdb M4 summary: $duck_s s"
echo "ratio iiot/duckdb: $(calc %.2f "$iiot_s / $duck_s")"
echo "targets: under 10 s ($(calc %.1f "$iiot_s") s), under 2 MB ($(calc %.2f "$size / 1e6") MB)"

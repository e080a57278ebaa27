#!/usr/bin/env bash
# detect's speed and memory:
#  1. `detect --zscore 3 --window 50` on a 5-million-reading NDJSON file
#     beside DuckDB computing the same rolling window per series over the
#     same file (read_json, AVG/STDDEV_SAMP OVER 50 PRECEDING), and beside
#     DuckDB on the window alone (the table already loaded);
#  2. readings per second of the whole default rule set with the model's
#     thresholds and ranges (--preset fermenter);
#  3. peak memory with 100,000 series (`simulate --assets`), at two window
#     sizes and two stream lengths: it follows series × window, not records.
#
#   bench/detect.sh                 default: 5 M readings, median of 3 runs
#   READINGS=1000000 RUNS=5 bench/detect.sh
#
# Needs DuckDB's Python package (pip install duckdb) and /usr/bin/time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
READINGS=${READINGS:-5000000}
RUNS=${RUNS:-3}
python3 -c "import duckdb" 2>/dev/null || {
  echo "bench/detect.sh: needs DuckDB for Python: pip install duckdb" >&2
  exit 1
}
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT


# The fermenter preset has 28 series; one tick is one reading of each.
ticks=$(( (READINGS + 27) / 28 ))
"$bin" simulate --preset fermenter --count "$ticks" --faults spike=0.002,stuck=0.0005 > "$tmp/data.ndjson"
readings=$(wc -l < "$tmp/data.ndjson")

cat > "$tmp/duck.py" <<'EOF'
import sys, time, duckdb
path, mode = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET preserve_insertion_order = true")
src = f"read_json('{path}', format='newline_delimited', columns={{'ts':'VARCHAR','asset':'VARCHAR','tag':'VARCHAR','value':'DOUBLE','unit':'VARCHAR','fault':'VARCHAR'}})"
if mode == "loaded":
    con.execute(f"CREATE TABLE r AS SELECT row_number() OVER () AS n, asset, tag, value FROM {src}")
    src, order = "r", "n"
else:
    src = f"(SELECT row_number() OVER () AS n, asset, tag, value FROM {src})"
    order = "n"
start = time.time()
q = f"""
WITH w AS (
  SELECT value,
         AVG(value) OVER s AS mean,
         STDDEV_SAMP(value) OVER s AS sd,
         COUNT(value) OVER s AS cnt
  FROM {src}
  WINDOW s AS (PARTITION BY asset, tag ORDER BY {order} ROWS BETWEEN 50 PRECEDING AND 1 PRECEDING)
)
SELECT count(*) FILTER (WHERE cnt >= 10 AND sd > 0 AND abs(value - mean) > 3 * sd) FROM w
"""
flags = con.execute(q).fetchone()[0]
print(f"{flags} {time.time() - start:.3f}")
EOF

iiot_z=$(median_seconds "'$bin' -q detect --zscore 3 --window 50 '$tmp/data.ndjson' > /dev/null")
iiot_flags=$("$bin" -q detect --zscore 3 --window 50 --only "$tmp/data.ndjson" | wc -l)
duck=$(median_seconds "python3 '$tmp/duck.py' '$tmp/data.ndjson' file > '$tmp/duck.out'")
duck_flags=$(cut -d' ' -f1 < "$tmp/duck.out")
python3 "$tmp/duck.py" "$tmp/data.ndjson" loaded > "$tmp/duck2.out"
duck_window=$(cut -d' ' -f2 < "$tmp/duck2.out")
all=$(median_seconds "'$bin' -q detect --preset fermenter '$tmp/data.ndjson' > /dev/null")

echo "readings:                                $readings (28 series), median of $RUNS runs"
echo "iiot detect --zscore 3 --window 50:      ${iiot_z}s  $(calc %.2f "$readings / $iiot_z / 1e6") M readings/s  ($iiot_flags flagged)"
echo "DuckDB, same window from the same file:  ${duck}s  ($duck_flags flagged; DuckDB keeps every spike in the window)"
echo "ratio iiot / DuckDB:                     $(calc %.2f "$iiot_z / $duck")"
echo "DuckDB window alone, table loaded:       ${duck_window}s"
echo "iiot detect --preset fermenter (all rules, written out): ${all}s  $(calc %.2f "$readings / $all / 1e6") M readings/s"

# Memory: 100,000 series = 14,286 fermenters x 7 tags.
"$bin" simulate --preset fermenter --assets 14286 --count 60 > "$tmp/big60.ndjson"
"$bin" simulate --preset fermenter --assets 14286 --count 120 > "$tmp/big120.ndjson"
series=$(( 14286 * 7 ))
echo "peak memory, $series series, 60 readings each, window 50:   $(peak_kb "$bin" -q detect --preset fermenter "$tmp/big60.ndjson") KB"
echo "peak memory, $series series, 120 readings each, window 50:  $(peak_kb "$bin" -q detect --preset fermenter "$tmp/big120.ndjson") KB"
echo "peak memory, $series series, 120 readings each, window 100: $(peak_kb "$bin" -q detect --zscore 4.5 --window 100 --stuck 10 --gap 3x "$tmp/big120.ndjson") KB"
echo "peak memory, $series series, 120 readings each, no rules:   $(peak_kb "$bin" -q detect --no-defaults "$tmp/big120.ndjson") KB"

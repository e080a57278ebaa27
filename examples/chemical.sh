#!/usr/bin/env bash
# Chemical plant: a year of three reactors, two distillation columns and
# three heat exchangers as a Parquet lake, rolled up into lakes of minute,
# hour and day means, inspected, queried, and read by DuckDB as the
# engines downstream would read it.
#
#   simulate --duration 365d | store --parquet --tee lake/    (date= partitions)
#     | rollup --every 1m | store --parquet --tee rollup_1m/
#     | rollup --every 1h | store --parquet --tee rollup_1h/
#     | rollup --every 1d | store --parquet rollup_1d/
#   inspect lake/ ; query lake/ --asset R-101 --tag temperature --from … --to …
#   python3 -c "import duckdb; …read_parquet('lake/**/*.parquet', hive_partitioning=true)…"
#   query lake/ --asset 'R-*' --tag temperature | plot -o chemical.svg
#
# The rollup lakes hold the mean as `value` (the lake's columns are fixed);
# the full statistics flow down the cascade, so each width merges the one
# before it exactly.
#
# Usage: examples/chemical.sh [--quick] [--out DIR]
#   --quick    6 hours across a midnight instead of a year (a reading
#              every 30 s either way)
#   --out DIR  where everything goes (default ./out/chemical)
# The iiot binary is $IIOT if set, else `iiot` on PATH. Needs DuckDB's
# Python package: pip install duckdb
set -euo pipefail

source "$(dirname "$0")/lib.sh"
parse_args chemical "$@"

# DuckDB is the reader at the end; say so before an hour of work, not after.
if ! python3 -c 'import duckdb' 2> /dev/null; then
  echo "$0: DuckDB's Python package is needed to read the lake: pip install duckdb" >&2
  exit 1
fi

# The quick run straddles a midnight, so it too has two date partitions.
if [ "$QUICK" = 1 ]; then
  START=2026-01-01T21:00:00Z DURATION=6h
else
  START=2026-01-01T00:00:00Z DURATION=365d
fi
INTERVAL=30s
mkdir -p "$OUT"
rm -rf "$OUT"/lake "$OUT"/rollup_1m "$OUT"/rollup_1h "$OUT"/rollup_1d "$OUT"/inspect.json \
  "$OUT"/r101.ndjson "$OUT"/duckdb.txt "$OUT"/chemical.svg

# One pass: the raw lake, and the rollups from the same stream on its way.
"$IIOT" simulate --preset chemical --start "$START" --duration "$DURATION" --interval "$INTERVAL" -q |
  "$IIOT" store --parquet --tee "$OUT/lake" -q |
  "$IIOT" rollup --every 1m -q | "$IIOT" store --parquet --tee "$OUT/rollup_1m" -q |
  "$IIOT" rollup --every 1h -q | "$IIOT" store --parquet --tee "$OUT/rollup_1h" -q |
  "$IIOT" rollup --every 1d -q | "$IIOT" store --parquet "$OUT/rollup_1d" -q

# What the lake holds (files, row groups, series, gaps) and one reactor's
# temperature in the first hour of 2 January.
"$IIOT" inspect "$OUT/lake" --json > "$OUT/inspect.json"
"$IIOT" query "$OUT/lake" --asset R-101 --tag temperature \
  --from 2026-01-02T00:00:00Z --to 2026-01-02T01:00:00Z -q > "$OUT/r101.ndjson"

# The lake as DuckDB (and Spark, Trino, pandas) read it: one dataset,
# partitioned by date.
OUT="$OUT" python3 - << 'PY' | tee "$OUT/duckdb.txt"
import os, duckdb
out = os.environ["OUT"]
raw = f"read_parquet('{out}/lake/**/*.parquet', hive_partitioning=true)"
day = f"read_parquet('{out}/rollup_1d/**/*.parquet', hive_partitioning=true)"
rows, series, days = duckdb.sql(
    f"SELECT count(*), count(DISTINCT (asset, tag)), count(DISTINCT date) FROM {raw}").fetchall()[0]
print(f"duckdb: lake {rows} rows, {series} series, {days} date partitions")
counts = [duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/rollup_{w}/**/*.parquet')").fetchall()[0][0]
          for w in ("1m", "1h", "1d")]
print(f"duckdb: rollup lakes {counts[0]} minute, {counts[1]} hour, {counts[2]} day rows")
for asset, lo, hi in duckdb.sql(
        f"SELECT asset, round(min(value), 1), round(max(value), 1) FROM {day} "
        "WHERE tag = 'temperature' GROUP BY asset ORDER BY asset").fetchall():
    print(f"duckdb: {asset} temperature, daily means {lo} to {hi} degC")
PY

# The chart: the reactors' temperatures over the whole run, straight from
# the lake (plot keeps the extremes of each pixel column, so a year of
# readings draws what it holds, spikes and all).
"$IIOT" query "$OUT/lake" --asset 'R-*' --tag temperature -q |
  "$IIOT" plot --preset chemical --title "Chemical plant: reactor temperatures ($DURATION)" \
    -o "$OUT/chemical.svg"

files=$(find "$OUT/lake" -name '*.parquet' | wc -l)
echo "chemical: $DURATION into $OUT/lake ($files Parquet files), rollup lakes $OUT/rollup_{1m,1h,1d}, report $OUT/inspect.json, chart $OUT/chemical.svg"

#!/usr/bin/env bash
# query of one series for one hour from a 30-day lake, beside DuckDB on the
# same lake. The lake is built by pyarrow from `iiot simulate` output in the
# layout of docs/storage.md: two fermenter series at 1 s for 30 days
# (5.18 M readings), `date=YYYY-MM-DD/part-0.parquet`, rows sorted by
# asset, tag, ts, zstd, row groups of 64 Ki rows.
#
# iiot is timed as a whole process (start-up, listing, decoding, NDJSON
# out). DuckDB is timed inside Python around the query alone (a fresh
# connection each run, no interpreter start-up or import), writing the
# same rows as NDJSON to /dev/null — twice: with the time predicate only,
# and with the partition column `date` added (its best case).
#
#   bench/query.sh             RUNS=15 by default
#   RUNS=5 DAYS=7 bench/query.sh
#   LAKE=/tmp/lake bench/query.sh   build the lake there once, reuse it after
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
RUNS=${RUNS:-15}
DAYS=${DAYS:-30}
python3 -c 'import duckdb, pyarrow' 2>/dev/null || {
  echo "bench/query.sh needs DuckDB and pyarrow: pip install duckdb pyarrow" >&2
  exit 1
}
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

LAKE=${LAKE:-$tmp/lake}
if [ ! -d "$LAKE" ]; then
"$bin" model --preset fermenter | head -3 > "$tmp/model.csv"
"$bin" -q simulate --model "$tmp/model.csv" --interval 1s --duration "${DAYS}d" > "$tmp/sim.ndjson"

python3 - "$tmp" "$LAKE" <<'EOF'
import sys, pyarrow as pa, pyarrow.json as pj, pyarrow.compute as pc, pyarrow.parquet as pq, os
tmp, lake = sys.argv[1], sys.argv[2]
t = pj.read_json(f"{tmp}/sim.ndjson", parse_options=pj.ParseOptions(explicit_schema=pa.schema([
    ("ts", pa.string()), ("asset", pa.string()), ("tag", pa.string()),
    ("value", pa.float64()), ("unit", pa.string())])))
ts = pc.cast(pc.strptime(t["ts"], format="%Y-%m-%dT%H:%M:%SZ", unit="ms"), pa.timestamp("ms", tz="UTC"))
n = t.num_rows
t = pa.table({
    "ts": ts, "asset": t["asset"], "tag": t["tag"], "unit": t["unit"], "value": t["value"],
    "quality": pa.array(["good"] * n, pa.string()), "text": pa.nulls(n, pa.string()),
})
day = pc.strftime(t["ts"], format="%Y-%m-%d")
t = t.append_column("date", day)
for d in pc.unique(day).to_pylist():
    part = t.filter(pc.equal(t["date"], d)).drop_columns(["date"])
    part = part.sort_by([("asset", "ascending"), ("tag", "ascending"), ("ts", "ascending")])
    os.makedirs(f"{lake}/date={d}", exist_ok=True)
    pq.write_table(part, f"{lake}/date={d}/part-0.parquet", compression="zstd",
                   row_group_size=65536, use_dictionary=["asset", "tag", "unit", "quality", "text"])
EOF
rm "$tmp/sim.ndjson"
fi
readings=$(python3 -c "import pyarrow.dataset as ds; print(ds.dataset('$LAKE', format='parquet').count_rows())")
files=$(find "$LAKE" -name '*.parquet' | wc -l)
lake_bytes=$(du -sb "$LAKE" | cut -f1)

FROM=2026-01-15T12:00:00Z
TO=2026-01-15T13:00:00Z
args=(query "$LAKE" --asset FERM-1 --tag fermenter_temp --from "$FROM" --to "$TO")

# The same rows from both.
"$bin" -q "${args[@]}" > "$tmp/iiot.ndjson"
rows=$(wc -l < "$tmp/iiot.ndjson")

times=()
for _ in $(seq "$RUNS"); do
  start=$(date +%s.%N)
  "$bin" -q "${args[@]}" > /dev/null
  end=$(date +%s.%N)
  times+=("$(awk "BEGIN {print $end - $start}")")
done
iiot=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

read -r duck duck_date duck_rows < <(python3 - "$LAKE" "$RUNS" <<'EOF'
import sys, time, statistics, duckdb
lake, runs = sys.argv[1], int(sys.argv[2])
base = (f"SELECT * FROM read_parquet('{lake}/*/*.parquet', hive_partitioning = true) "
        "WHERE asset = 'FERM-1' AND tag = 'fermenter_temp' "
        "AND ts >= TIMESTAMPTZ '2026-01-15 12:00:00+00' AND ts < TIMESTAMPTZ '2026-01-15 13:00:00+00'")
def timed(sql):
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        con = duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"COPY ({sql} ORDER BY ts) TO '/dev/null' (FORMAT json)")
        con.close()
        out.append(time.perf_counter() - start)
    return statistics.median(out)
rows = duckdb.connect().execute(f"SELECT count(*) FROM ({base})").fetchone()[0]
plain = timed(base)
dated = timed(base + " AND date = '2026-01-15'")
print(f"{plain:.6f} {dated:.6f} {rows}")
EOF
)

echo "lake:                     $readings readings, $files daily files, $((lake_bytes / 1000000)) MB"
echo "query:                    FERM-1/fermenter_temp, $FROM .. $TO: iiot $rows rows, DuckDB $duck_rows rows"
echo "iiot query (process):     $(calc %.4f "$iiot")s  median of $RUNS"
echo "DuckDB, ts predicate:     $(calc %.4f "$duck")s  median of $RUNS (in-process)"
echo "DuckDB, + date partition: $(calc %.4f "$duck_date")s  median of $RUNS (in-process)"
echo "ratio iiot / DuckDB:      $(calc %.2f "$iiot / $duck") (ts predicate), $(calc %.2f "$iiot / $duck_date") (with date)"

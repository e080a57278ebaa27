#!/usr/bin/env bash
# The historian's answers, timed:
#  1. `query --order time` of one day of the wellhead store beside sqlite3's
#     `SELECT … FROM readings_v ORDER BY ts, asset, tag` on the same file
#     (both writing text to /dev/null), with the ratio;
#  2. peak memory of `query --order time` over 1 M and 10 M readings
#     (100 series, made with sqlite3) — it should not grow; and over the
#     same readings as lakes, with the 10 M lake read in series order beside
#     DuckDB's `ORDER BY asset, tag, ts`;
#  3. `query --alarms --active` on a store of 1 M alarm events (1,000
#     alarms of 1,000 events each: raises, clears and acks), target < 100 ms,
#     then on a copy with 100,000 predictions added (100 per alarm);
#  4. `query LAKE --order time` of the same wellhead day as a Parquet lake
#     beside DuckDB's `SELECT … ORDER BY ts, asset, tag` over the lake's
#     files (both writing text to /dev/null), with the ratio, and its peak
#     memory over 1 and 4 days of that lake.
#
#   bench/historian.sh                RUNS=5 by default
#   IIOT=target/release/iiot bench/historian.sh
#   ONLY=active bench/historian.sh    one part: order, memory, active or lake
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
ONLY=${ONLY:-}
case "$ONLY" in
  ''|order|memory|active|lake) ;;
  *) echo "ONLY is one of order, memory, active, lake (not $ONLY)" >&2; exit 1 ;;
esac
# Whether part $1 runs.
part() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
command -v sqlite3 >/dev/null || { echo "bench/historian.sh needs sqlite3" >&2; exit 1; }
python3 -c 'import duckdb' 2>/dev/null || { echo "bench/historian.sh needs DuckDB: pip install duckdb" >&2; exit 1; }
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. One day of the wellhead store (part 4 reads it too).
if part order || part lake; then
"$bin" -q simulate --preset wellhead --duration 1d | "$bin" -q store "$tmp/wh.db"
n=$(sqlite3 "$tmp/wh.db" 'SELECT count(*) FROM readings')
nwh=$n
fi
if part order; then
ours=$(median_seconds "'$bin' -q query '$tmp/wh.db' --order time > /dev/null")
theirs=$(median_seconds "sqlite3 '$tmp/wh.db' 'SELECT ts, asset, tag, value, unit FROM readings_v ORDER BY ts, asset, tag' > /dev/null")
echo "query --order time, one wellhead day ($n readings): iiot $ours s, sqlite3 ORDER BY ts $theirs s, ratio $(calc %.2f "$ours / $theirs") (below 1: iiot faster)"
fi

# 2. Peak memory, 1 M vs 10 M readings.
if part memory; then
synth() { # FILE ROWS
  echo '{"ts":0,"asset":"A","tag":"t","value":1}' | "$bin" -q store "$1"
  sqlite3 "$1" "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < 99)
      INSERT OR IGNORE INTO series (asset, tag) SELECT 'M-' || printf('%03d', i), 'x' FROM s;
    WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < $2 - 1)
      INSERT INTO readings (series_id, ts, value, quality)
      SELECT (SELECT id FROM series WHERE asset = 'M-' || printf('%03d', i % 100)),
             1767225600000 + (i / 100) * 1000, i * 0.5, 0 FROM r;"
}
synth "$tmp/m1.db" 1000000
synth "$tmp/m10.db" 10000000
p1=$(peak_kb "$bin" -q query "$tmp/m1.db" --order time)
p10=$(peak_kb "$bin" -q query "$tmp/m10.db" --order time)
echo "query --order time peak memory: 1 M readings $p1 KB, 10 M readings $p10 KB, ratio $(calc %.2f "$p10 / $p1")"
# The same readings as lakes, files as `store --parquet` rolls them (the
# 10 M span 28 h: 8.6 M of them in the first date= partition, in nine
# files of every series): within 20 % too.
"$bin" -q query "$tmp/m1.db" | "$bin" -q store --parquet "$tmp/m1lake"
"$bin" -q query "$tmp/m10.db" | "$bin" -q store --parquet "$tmp/m10lake"
p1=$(peak_kb "$bin" -q query "$tmp/m1lake" --order time)
p10=$(peak_kb "$bin" -q query "$tmp/m10lake" --order time)
echo "query LAKE --order time peak memory: 1 M readings $p1 KB, 10 M readings $p10 KB, ratio $(calc %.2f "$p10 / $p1")"
# The 10 M lake in series order (its files each hold every series).
ours=$(median_seconds "'$bin' -q query '$tmp/m10lake' > /dev/null")
theirs=$(median_seconds "python3 -c \"import duckdb; duckdb.sql('SET enable_progress_bar = false'); duckdb.sql(\\\"COPY (SELECT ts, asset, tag, value, unit FROM read_parquet('$tmp/m10lake/**/*.parquet') ORDER BY asset, tag, ts) TO '/dev/null' (FORMAT csv)\\\")\"")
echo "query LAKE in series order, 10 M readings: iiot $ours s, DuckDB ORDER BY asset, tag, ts $theirs s, ratio $(calc %.2f "$ours / $theirs") (below 1: iiot faster)"
fi

# 3. 1 M alarm events: 1,000 alarms, each raised, acked (every third),
# cleared, 333 times over, plus what is left open.
if part active; then
echo '{"ts":0,"asset":"A","tag":"t","value":1}' | "$bin" -q store "$tmp/ev.db"
sqlite3 "$tmp/ev.db" "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 999999)
  INSERT INTO alarm_events (ts, asset, tag, rule, event, kind, severity, value, \"limit\", extra)
  SELECT 1767225600000 + (i / 1000) * 1000,
         'A-' || printf('%03d', (i % 1000) / 10), 't' || ((i % 1000) % 10), 'hi',
         CASE (i / 1000) % 3 WHEN 0 THEN 'raised' WHEN 1 THEN 'acked' ELSE 'cleared' END,
         'threshold', 'high', 1.0, 0.5,
         CASE (i / 1000) % 3 WHEN 1 THEN '{\"by\":\"ann\"}' ELSE NULL END
  FROM r;"
n=$(sqlite3 "$tmp/ev.db" 'SELECT count(*) FROM alarm_events')
at=2026-01-01T03:00:00Z
active=$("$bin" -q query "$tmp/ev.db" --active --at "$at" | wc -l)
t=$(median_seconds "'$bin' -q query '$tmp/ev.db' --active --at $at > /dev/null")
echo "query --alarms --active on $n events: $active alarms need attention, $(calc %.1f "$t * 1000") ms (target < 100 ms)"
# The same with predictions: 100 per alarm (every 100 s, the crossing
# two hours ahead), most followed by a raise; a copy of the store.
cp "$tmp/ev.db" "$tmp/evp.db"
sqlite3 "$tmp/evp.db" "WITH RECURSIVE r(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM r WHERE i < 99999)
  INSERT INTO alarm_events (ts, asset, tag, rule, event, kind, severity, value, \"limit\", extra)
  SELECT 1767225600000 + (i / 1000) * 100000 + 500,
         'A-' || printf('%03d', (i % 1000) / 10), 't' || ((i % 1000) % 10), 'hi',
         'predicted', 'forecast', 'high', 1.0, 0.5,
         '{\"at\":\"' || strftime('%Y-%m-%dT%H:%M:%SZ', 1767225600 + (i / 1000) * 100 + 7200, 'unixepoch') || '\"}'
  FROM r;"
n=$(sqlite3 "$tmp/evp.db" 'SELECT count(*) FROM alarm_events')
active=$("$bin" -q query "$tmp/evp.db" --active --at "$at" | grep -c '"predicted"' || true)
t=$(median_seconds "'$bin' -q query '$tmp/evp.db' --active --at $at > /dev/null")
echo "query --alarms --active on $n events, 100,000 of them predictions: $active predictions stand, $(calc %.1f "$t * 1000") ms (target < 100 ms)"
fi

# 4. The wellhead day as a lake: query --order time beside DuckDB.
if part lake; then
"$bin" -q query "$tmp/wh.db" | "$bin" -q store --parquet "$tmp/whlake"
ours=$(median_seconds "'$bin' -q query '$tmp/whlake' --order time > /dev/null")
theirs=$(median_seconds "python3 -c \"import duckdb; duckdb.sql('SET enable_progress_bar = false'); duckdb.sql(\\\"COPY (SELECT ts, asset, tag, value, unit FROM read_parquet('$tmp/whlake/**/*.parquet') ORDER BY ts, asset, tag) TO '/dev/null' (FORMAT csv)\\\")\"")
echo "query LAKE --order time, one wellhead day ($nwh readings): iiot $ours s, DuckDB ORDER BY ts $theirs s, ratio $(calc %.2f "$ours / $theirs") (below 1: iiot faster)"
# Peak memory: four days of the same lake (the day copied under three more dates).
cp -r "$tmp/whlake" "$tmp/whlake4"
for d in 02 03 04; do
  mkdir -p "$tmp/whlake4/date=2026-01-$d"
  # The same readings a day later each: pyarrow shifts the times.
  python3 -c "
import pyarrow.parquet as pq, pyarrow.compute as pc, pyarrow as pa, glob, sys
for i, f in enumerate(sorted(glob.glob('$tmp/whlake/date=2026-01-01/*.parquet'))):
    t = pq.read_table(f)
    ts = pc.add(t['ts'].cast(pa.int64()), (${d#0} - 1) * 86400000).cast(pa.timestamp('ms', 'UTC'))
    # As the lake writes its own files (zstd for value, Snappy for ts, the
    # names uncompressed, 256 Ki-row groups, a 64 KiB value dictionary,
    # pages of about 4,096 values, an offset index), so the four days
    # differ only in their dates.
    pq.write_table(t.set_column(0, 'ts', ts), '$tmp/whlake4/date=2026-01-$d/part-%d.parquet' % i,
        row_group_size=256 * 1024, use_dictionary=['asset', 'tag', 'unit', 'quality', 'text', 'value'],
        compression={'ts': 'snappy', 'value': 'zstd', 'asset': 'none', 'tag': 'none', 'unit': 'none',
                     'quality': 'none', 'text': 'none'},
        dictionary_pagesize_limit=64 * 1024, data_page_size=8 * 1024, write_page_index=True)
"
done
p1=$(peak_kb "$bin" -q query "$tmp/whlake" --order time)
p4=$(peak_kb "$bin" -q query "$tmp/whlake4" --order time)
echo "query LAKE --order time peak memory: 1 day $p1 KB, 4 days $p4 KB, ratio $(calc %.2f "$p4 / $p1") (memory holds a day)"
fi

#!/usr/bin/env bash
# Asset search at scale: `iiot assets find` over the chemical preset's
# registry scaled to $N assets (100,000 by default; copies of the plant as
# sites S001/… with their relations). Reports the start-up (reading,
# checking and indexing the registry: a run with no query), the time per
# query (the labelled queries of tests/data/assets-queries.tsv run in one
# call, less the start-up, divided by their number), and beside it the
# peer every engineer has: `grep -ic` of each query's first word over the
# same CSV.
#
#   bench/assets.sh            # N=100000 RUNS=5
#   N=10000 RUNS=3 bench/assets.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
build_iiot
N=${N:-100000}
RUNS=${RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" assets show --preset chemical --scale "$N" > "$tmp/big.csv"
"$bin" assets show --preset chemical --scale "$N" --relations-csv > "$tmp/big.relations.csv"
grep -v '^#' tests/data/assets-queries.tsv | cut -f1 | grep -v '^$' > "$tmp/queries.txt"
: > "$tmp/none.txt"
nq=$(wc -l < "$tmp/queries.txt")
echo "registry: $N assets, $(($(wc -l < "$tmp/big.relations.csv") - 1)) relations, $(du -h "$tmp/big.csv" | cut -f1); $nq queries"

find="$bin assets find --assets $tmp/big.csv --limit 10 --queries"
start=$(median_seconds "$find $tmp/none.txt > /dev/null")
all=$(median_seconds "$find $tmp/queries.txt > /dev/null")
per=$(calc '%.2f' "($all - $start) * 1000 / $nq")
echo "start-up (read, check, index):  $(calc '%.0f' "$start * 1000") ms (median of $RUNS)"
echo "all $nq queries in one call:    $(calc '%.0f' "$all * 1000") ms"
echo "per query:                      $per ms"

firsts=$(cut -d' ' -f1 "$tmp/queries.txt" | tr '\n' ' ')
grep_all=$(median_seconds "for w in $firsts; do grep -ic \"\$w\" $tmp/big.csv; done > /dev/null")
grep_per=$(calc '%.2f' "$grep_all * 1000 / $nq")
echo "peer: grep -ic per word:        $grep_per ms"
echo "ratio per query (find / grep):  $(calc '%.2f' "$per / $grep_per")"
echo "peak memory of the call:        $(peak_kb $find "$tmp/queries.txt") KB"
awk "BEGIN {exit !($per < 50)}" || { echo "FAIL: $per ms per query is not under 50 ms"; exit 1; }

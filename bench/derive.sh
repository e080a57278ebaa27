#!/usr/bin/env bash
# `iiot derive` beside `iiot cat` on the same stream, median of $RUNS runs:
# the boiler preset scaled to $ASSETS assets (9 tags each, the efficiency
# computed from steam and fuel flow), $TICKS readings per series. derive
# reads, passes every reading through, drops the simulated efficiency and
# writes its own; cat reads and writes every reading. The figure is what
# derive adds to cat's cost (the issue asks for at most 30 %).
#
#   bench/derive.sh                   10,000 assets x 60 ticks (5.4 M readings)
#   ASSETS=1000 TICKS=100 RUNS=3 bench/derive.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
ASSETS=${ASSETS:-10000}
TICKS=${TICKS:-60}
RUNS=${RUNS:-5}
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" -q simulate --preset boiler --assets "$ASSETS" --count "$TICKS" > "$tmp/raw.ndjson"
readings=$(wc -l < "$tmp/raw.ndjson")

cat_s=$(median_seconds "'$bin' -q cat '$tmp/raw.ndjson' > '$tmp/cat.ndjson'")
derive_s=$(median_seconds "'$bin' -q derive --preset boiler --assets $ASSETS '$tmp/raw.ndjson' > '$tmp/derive.ndjson'")
# The same readings come out, the efficiency recomputed.
cmp <(sort "$tmp/cat.ndjson") <(sort "$tmp/derive.ndjson") >/dev/null \
  || { echo "bench/derive.sh: derive's output differs from cat's" >&2; exit 1; }

echo "derive vs cat: $readings readings, boiler x $ASSETS assets, median of $RUNS runs"
echo "  cat     $(calc %.2f "$cat_s") s  ($(calc %.2f "$readings / $cat_s / 1e6") M readings/s)"
echo "  derive  $(calc %.2f "$derive_s") s  ($(calc %.2f "$readings / $derive_s / 1e6") M readings/s)"
echo "  derive adds $(calc %.1f "($derive_s / $cat_s - 1) * 100") % to cat"

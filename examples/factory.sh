#!/usr/bin/env bash
# Factory line: eight machines on two lines whose state machines run,
# fail (ERROR, sometimes MAINTENANCE after it) and recover, counting parts
# and scrap by reason; the raw signals and the OEE per machine per shift
# hour go into one historian.
#
#   simulate | store --tee factory.db
#     | rollup --kpi oee --every 1h | store --tee factory.db > oee.ndjson
#   plot oee.ndjson -o factory.svg
#
# Each OEE record is a reading (asset LINE-x/M-yy, tag `oee`, value the
# OEE) carrying availability, performance, quality_rate, scrap per reason,
# errors and time per state; in the store those fields are in `extra`.
#
# Usage: examples/factory.sh [--quick] [--out DIR]
#   --quick    2 hours in 15-minute buckets instead of an 8-hour shift in hours
#   --out DIR  where everything goes (default ./out/factory)
# The iiot binary is $IIOT if set, else `iiot` on PATH.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
parse_args factory "$@"

if [ "$QUICK" = 1 ]; then
  DURATION=2h INTERVAL=5s EVERY=15m
else
  DURATION=8h INTERVAL=1s EVERY=1h
fi
mkdir -p "$OUT"
rm -f "$OUT"/factory.db* "$OUT"/oee.ndjson "$OUT"/factory.svg

"$IIOT" simulate --preset factory --duration "$DURATION" --interval "$INTERVAL" -q |
  "$IIOT" store --tee "$OUT/factory.db" -q |
  "$IIOT" rollup --kpi oee --every "$EVERY" -q |
  "$IIOT" store --tee "$OUT/factory.db" -q > "$OUT/oee.ndjson"

# The chart: OEE of each machine, bucket by bucket.
"$IIOT" plot "$OUT/oee.ndjson" --title "Factory: OEE per machine, every $EVERY ($DURATION)" \
  -o "$OUT/factory.svg"

records=$(wc -l < "$OUT/oee.ndjson")
readings=$("$IIOT" query "$OUT/factory.db" -q | wc -l)
echo "factory: $readings readings in $OUT/factory.db, $records OEE records (every $EVERY) in $OUT/oee.ndjson and the store"
# The shift at a glance: each machine's mean OEE over the buckets that
# have one (a bucket with no planned time is `uncertain`, its value no OEE).
"$IIOT" query "$OUT/factory.db" --tag oee --format csv -q |
  awk -F, 'NR > 1 && ($6 == "" || $6 == "good") { s[$2] += $4; n[$2]++ }
           END { for (a in s) printf "  %s  mean OEE %5.1f %% over %d buckets\n", a, 100 * s[a] / n[a], n[a] }' |
  sort

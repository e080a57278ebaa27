#!/usr/bin/env bash
# Boilers: eight boilers on three sites into a historian that feeds a
# dashboard: alarms from the model's limits and the built-in rules, rollup
# tables for the trend panels, the latest value of every series for the
# current-value tiles, and a chart of steam flow with its hourly band.
#
#   simulate (spikes, drift, stuck sensors injected, labelled)
#     | derive --preset boiler          (efficiency from steam and fuel flow)
#     | detect --preset boiler | store --tee boilers.db
#     | detect --preset boiler --events | store boilers.db
#   rollup boilers.db --every 1m,1h,1d                 (the cron job)
#   query boilers.db --latest                          (the tiles)
#   query boilers.db --tag steam_flow | rollup --every 1h | plot -o boiler.svg
#
# Usage: examples/boiler.sh [--quick] [--out DIR]
#   --quick    3 hours across a midnight instead of 7 days (a reading every
#              10 s either way)
#   --out DIR  where everything goes (default ./out/boiler)
# The iiot binary is $IIOT if set, else `iiot` on PATH.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
parse_args boiler "$@"

# The quick run straddles a midnight, so the day table has a (closed) row;
# its chart is drawn from 10-minute buckets rather than hours.
if [ "$QUICK" = 1 ]; then
  START=2026-01-01T22:00:00Z DURATION=3h TREND=10m
else
  START=2026-01-01T00:00:00Z DURATION=7d TREND=1h
fi
mkdir -p "$OUT"
rm -f "$OUT"/boilers.db* "$OUT"/alarms.ndjson "$OUT"/latest.ndjson "$OUT"/steam.ndjson \
  "$OUT"/boiler.svg

"$IIOT" simulate --preset boiler --start "$START" --duration "$DURATION" --interval 10s \
    --faults spike=0.002,drift=0.0002,stuck=0.0005 --label -q |
  "$IIOT" derive --preset boiler -q |
  "$IIOT" detect --preset boiler -q |
  "$IIOT" store --tee "$OUT/boilers.db" -q |
  "$IIOT" detect --preset boiler --events -q |
  "$IIOT" store --tee "$OUT/boilers.db" -q > "$OUT/alarms.ndjson"

# The dashboard's tables: closed buckets of a minute, an hour and a day,
# with views rollup_1m_v, rollup_1h_v, rollup_1d_v for Grafana.
"$IIOT" rollup "$OUT/boilers.db" --every 1m,1h,1d

# The current-value tiles: the last reading of every series.
"$IIOT" query "$OUT/boilers.db" --latest -q > "$OUT/latest.ndjson"

# The trend: steam flow of every boiler, the mean of each bucket with its
# min-max band.
"$IIOT" query "$OUT/boilers.db" --tag steam_flow -q | "$IIOT" rollup --every "$TREND" -q \
  > "$OUT/steam.ndjson"
"$IIOT" plot "$OUT/steam.ndjson" --preset boiler \
  --title "Boilers: steam flow, mean and range per $TREND ($DURATION)" -o "$OUT/boiler.svg"

readings=$("$IIOT" query "$OUT/boilers.db" -q | wc -l)
raised=$(grep -c '"event":"raised"' "$OUT/alarms.ndjson" || true)
echo "boiler: $readings readings in $OUT/boilers.db, $raised alarms raised, $(wc -l < "$OUT/latest.ndjson") series in $OUT/latest.ndjson, chart $OUT/boiler.svg"
echo "fuel level now:"
"$IIOT" query "$OUT/boilers.db" --latest --tag fuel_level --format csv -q | cut -d, -f1-5
echo "efficiency now (steam_flow * 2.257 / (fuel_flow * 42.5) * 100):"
"$IIOT" query "$OUT/boilers.db" --latest --tag efficiency --format csv -q | cut -d, -f1-5

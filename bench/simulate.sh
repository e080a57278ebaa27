#!/usr/bin/env bash
# simulate's throughput into a pipe, beside `cat` of the same bytes (the
# floor: what the pipe alone costs), its peak memory, and the per-reading
# rate at --assets 10000 against the 12 wells of the preset.
#
#   bench/simulate.sh            default: 20000 ticks of wellhead (4.32 M readings)
#   TICKS=5000 RUNS=3 bench/simulate.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
TICKS=${TICKS:-20000}
RUNS=${RUNS:-5}
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT



"$bin" simulate --preset wellhead --count "$TICKS" > "$tmp/sim.ndjson"
readings=$(wc -l < "$tmp/sim.ndjson")
bytes=$(wc -c < "$tmp/sim.ndjson")

sim=$(median_seconds "'$bin' simulate --preset wellhead --count $TICKS | cat > /dev/null")
floor=$(median_seconds "cat '$tmp/sim.ndjson' | cat > /dev/null")
# The same number of readings from 10000 assets x 18 tags.
big_ticks=$(( (readings + 179999) / 180000 ))
big_readings=$(( big_ticks * 180000 ))
big=$(median_seconds "'$bin' simulate --preset wellhead --assets 10000 --count $big_ticks | cat > /dev/null")

rate() { calc "%.2f M/s" "$1 / $2 / 1e6"; }
echo "readings:                $readings ($((bytes / 1000000)) MB of NDJSON), median of $RUNS runs"
echo "simulate | cat:          ${sim}s  $(rate "$readings" "$sim")"
echo "cat file | cat (floor):  ${floor}s  $(rate "$readings" "$floor")"
echo "ratio simulate / cat:    $(calc %.2f "$sim / $floor")"
echo "--assets 10000:          ${big}s for $big_readings readings  $(rate "$big_readings" "$big")"
echo "per-reading ratio 10000 assets / 12 wells: $(calc %.2f "($big / $big_readings) / ($sim / $readings)")"
echo "peak memory, 12 wells:    $(peak_kb "$bin" simulate --preset wellhead --count "$TICKS") KB"
echo "peak memory, 10000 assets: $(peak_kb "$bin" simulate --preset wellhead --assets 10000 --count "$big_ticks") KB"

#!/usr/bin/env bash
# Fermenter: four bioreactors watched for the two rules of the reference
# system, broth temperature above 45 °C and a rolling ±3σ band, with their
# alarms in the historian and a chart of the temperatures with every
# anomaly marked.
#
#   simulate (spikes and stuck sensors injected, labelled)
#     | detect --zscore 3 (+ the model's HH 45 °C) | store --tee fermenter.db
#     | detect --events | store fermenter.db            (raised/cleared alarms)
#   query fermenter.db --tag fermenter_temp | plot -o fermenter.svg
#
# FERM-4's cooling jacket fails: in the model copy the script writes, its
# temperature follows a batch curve from 36 to 46 °C over the run (its H
# limit of 40 is blanked, since the simulator keeps a healthy value inside
# lo..hi), so the HH alarm at 45 °C is raised late in the run.
#
# Usage: examples/fermenter.sh [--quick] [--out DIR]
#   --quick    10 minutes of readings instead of a 12-hour batch
#   --out DIR  where everything goes (default ./out/fermenter)
# The iiot binary is $IIOT if set, else `iiot` on PATH.
set -euo pipefail

source "$(dirname "$0")/lib.sh"
parse_args fermenter "$@"

if [ "$QUICK" = 1 ]; then DURATION=10m; else DURATION=12h; fi
mkdir -p "$OUT"
rm -f "$OUT"/fermenter.db* "$OUT"/alarms.ndjson "$OUT"/temps.ndjson "$OUT"/fermenter.svg

# The preset, with FERM-4's temperature climbing over one batch as long as
# the run.
"$IIOT" model --preset fermenter |
  sed "s/^FERM-4,fermenter_temp,degC,Broth temperature,,,,37.5,0,100,0.2,sine,,0.5,\(.*\),30,35,40,45,/FERM-4,fermenter_temp,degC,Broth temperature (cooling fails),,,,41,0,100,0.2,batch,$DURATION,5,\1,30,35,,45,/" \
    > "$OUT/model.csv"
grep -q 'cooling fails' "$OUT/model.csv" || { echo "$0: the fermenter preset changed; FERM-4's row was not edited" >&2; exit 1; }
"$IIOT" model check -q "$OUT/model.csv"

# The reference rules: the model's limits (HH 45 °C among them), rolling
# ±3σ over 50 readings, and a sensor stuck for 10 readings.
RULES=(--model "$OUT/model.csv" --zscore 3 --window 50 --stuck 10)

"$IIOT" simulate --model "$OUT/model.csv" --duration "$DURATION" \
    --faults spike=0.002,stuck=0.0005 --label -q |
  "$IIOT" detect "${RULES[@]}" -q |
  "$IIOT" store --tee "$OUT/fermenter.db" -q |
  "$IIOT" detect "${RULES[@]}" --events -q |
  "$IIOT" store --tee "$OUT/fermenter.db" -q > "$OUT/alarms.ndjson"

# The chart: the four temperatures, their flagged readings, alarm spans and
# the model's limits.
"$IIOT" query "$OUT/fermenter.db" --tag fermenter_temp -q > "$OUT/temps.ndjson"
"$IIOT" plot "$OUT/temps.ndjson" "$OUT/alarms.ndjson" --tag fermenter_temp \
  --model "$OUT/model.csv" --title "Fermenters: broth temperature ($DURATION)" \
  -o "$OUT/fermenter.svg"

readings=$("$IIOT" query "$OUT/fermenter.db" -q | wc -l)
raised=$(grep -c '"event":"raised"' "$OUT/alarms.ndjson" || true)
hh=$(grep '"event":"raised"' "$OUT/alarms.ndjson" | grep -c '"rule":"hi_hi"' || true)
echo "fermenter: $readings readings in $OUT/fermenter.db, $raised alarms raised ($hh over 45 °C), chart $OUT/fermenter.svg"

#!/usr/bin/env bash
# detect's rules beside River's (https://riverml.xyz, PyPI `river`) on the
# same simulated readings: which readings each flags, the share flagged by
# both of those flagged by either, per-episode recall against the
# simulator's labels, and the time each takes.
#
#   1. The fermenter reference's rolling z-score (±3σ over the 50 readings
#      before, judged from the 10th): `detect --zscore 3 --window 50`
#      beside River's utils.Rolling(stats.Mean()) and
#      utils.Rolling(stats.Var()) over the same window.
#   2. River's anomaly.StandardAbsoluteDeviation (the deviation from a
#      rolling mean over the deviation of all readings seen) at 4.5 beside
#      detect's built-in z-score (k 4.5, robust learnt spread).
#   3. River's drift.PageHinkley beside detect's built-in set (its shift
#      rule) on the boiler's drifts: PageHinkley with its defaults on the
#      raw values, and on the values in noise widths (over each series' mean |first difference|).
#
# Bench-only PyPI package: river (pip install river); not needed by tests.
#
# Usage: bench/peers.sh [WORKDIR]     (RUNS=3 timed runs of detect)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-3}
work=${1:-$(mktemp -d)}
build_iiot
python3 -c 'import river' 2>/dev/null || { echo "bench/peers.sh needs River: pip install river" >&2; exit 1; }
python3 bench/peers.py "$bin" "$work" "$RUNS"

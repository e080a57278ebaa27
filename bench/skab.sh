#!/usr/bin/env bash
# SKAB, the Skoltech Anomaly Benchmark (a water-pump testbed, 8 sensors,
# labelled anomalies), scored with its own protocol: each file's first 400
# rows train, the rest are scored row by row (F1, FAR, MAR as SKAB's
# core/metrics.py computes them), for detect's multivariate rule and for
# its univariate built-in set, beside the leaderboard's T²+Q (PCA) entry.
# With scikit-learn installed, the asset models iiot fitted are compared
# with scikit-learn's PCA on the same rows.
#
# SKAB's data is GPL-3.0 and is not in this repository: point the script at
# a checkout (git clone https://github.com/waico/SKAB).
#
# Usage: bench/skab.sh SKAB_DIR [WORKDIR]    (needs python3 with pandas, numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
skab=${1:?usage: bench/skab.sh SKAB_DIR [WORKDIR]}
work=${2:-$(mktemp -d)}
build_iiot
python3 bench/skab.py "$bin" "$skab" "$work"

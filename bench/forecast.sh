#!/usr/bin/env bash
# forecast's speed, memory and accuracy beside statsforecast:
#  1. 1,000 series × 30 days of hourly rollups (the boiler preset scaled to
#     125 boilers) fitted and forecast 24 h ahead with a daily season:
#     `iiot forecast --season 24h` (its default model for one short
#     season: a seasonal ETS) and `--method mstl` (MSTL + AutoETS, the same
#     model as statsforecast's side) beside statsforecast's MSTL (season
#     24, AutoETS on the rest) and statsforecast's AutoETS of iiot's default
#     model (AZA, season 24), one process each: wall seconds (median of
#     $RUNS) and peak memory;
#  2. MASE of the same rolling-origin backtest (5 windows of 24 h) on the
#     boiler preset's 72 series, and on statsmodels' bundled weekly CO2
#     (Mauna Loa) series (season 52, horizon 52): iiot beside
#     statsforecast's AutoETS and MSTL+AutoETS.
#
#   bench/forecast.sh              RUNS=3 by default; ASSETS=125 boilers
#                                  (nine series each) for part 1
#
# Installs statsforecast and statsmodels with pip (the benchmark's own
# needs; the tests do not use them) and needs /usr/bin/time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
ASSETS=${ASSETS:-125}
python3 -c "import statsforecast, statsmodels" 2>/dev/null || pip install -q statsforecast statsmodels
build_iiot
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" simulate -q --preset boiler --assets "$ASSETS" --duration 30d --interval 15m --seed 3 |
  "$bin" rollup -q --every 1h > "$tmp/big.ndjson"
"$bin" simulate -q --preset boiler --duration 30d --interval 15m --seed 7 |
  "$bin" rollup -q --every 1h > "$tmp/boiler.ndjson"
series=$(cut -d'"' -f8,12 "$tmp/big.ndjson" | sort -u | wc -l)

cat > "$tmp/sf.py" <<'PY'
import json, sys, time, os
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")
import numpy as np, pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, MSTL

def load(path):
    rows = [json.loads(l) for l in open(path)]
    df = pd.DataFrame({"unique_id": [r["asset"] + "/" + r["tag"] for r in rows],
                       "ds": pd.to_datetime([r["ts"] for r in rows]),
                       "y": [r["value"] for r in rows]})
    return df.sort_values(["unique_id", "ds"]).reset_index(drop=True)

def mase_of(cv, df, m, h):
    out = []
    for uid, g in cv.groupby("unique_id"):
        y = df[df.unique_id == uid].y.to_numpy()
        ds = df[df.unique_id == uid].ds.to_numpy()
        res = {}
        for col in [c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y")]:
            abs_err, scale = 0.0, 0.0
            cuts = sorted(g.cutoff.unique())
            for c in cuts:
                w = g[g.cutoff == c]
                abs_err += np.abs(w.y - w[col]).sum()
                train = y[ds <= c]
                scale += np.mean(np.abs(train[m:] - train[:-m]))
            res[col] = (abs_err / (len(cuts) * h)) / (scale / len(cuts))
        out.append(res)
    return pd.DataFrame(out).mean()

mode, path = sys.argv[1], sys.argv[2]
df = load(path)
if mode == "fit":
    t = time.time()
    sf = StatsForecast(models=[MSTL(season_length=24, trend_forecaster=AutoETS(model="ZZN"))], freq="h", n_jobs=1)
    fc = sf.forecast(df=df, h=24, level=[80, 95])
    print(f"statsforecast fitted {df.unique_id.nunique()} series in {time.time()-t:.1f} s", file=sys.stderr)
elif mode == "fitets":
    # iiot's default model for one short season: additive error and season,
    # the trend chosen (none, additive, damped).
    sf = StatsForecast(models=[AutoETS(season_length=24, model="AZA")], freq="h", n_jobs=1)
    fc = sf.forecast(df=df, h=24, level=[80, 95])
else:
    m, h = int(sys.argv[3]), int(sys.argv[4])
    freq = sys.argv[5]
    sf = StatsForecast(models=[AutoETS(season_length=m, model="ZZZ"),
                               MSTL(season_length=m, trend_forecaster=AutoETS(model="ZZN"))], freq=freq, n_jobs=1)
    cv = sf.cross_validation(df=df, h=h, n_windows=5, step_size=h)
    r = mase_of(cv, df, m, h)
    print(json.dumps({"autoets": r["AutoETS"], "mstl": r["MSTL"]}))
PY

echo "== 1. ${series} series x 30 days hourly, fit + forecast 24 h (median of $RUNS)"
t_iiot=$(median_seconds "'$bin' forecast -q --season 24h --horizon 24 '$tmp/big.ndjson' > '$tmp/out.ndjson'")
m_iiot=$(peak_kb "$bin" forecast -q --season 24h --horizon 24 "$tmp/big.ndjson")
t_mstl=$(median_seconds "'$bin' forecast -q --method mstl --season 24h --horizon 24 '$tmp/big.ndjson' > '$tmp/out.ndjson'")
m_mstl=$(peak_kb "$bin" forecast -q --method mstl --season 24h --horizon 24 "$tmp/big.ndjson")
t_sf=$(median_seconds "python3 '$tmp/sf.py' fit '$tmp/big.ndjson' 2>/dev/null")
m_sf=$(peak_kb python3 "$tmp/sf.py" fit "$tmp/big.ndjson")
t_sfe=$(median_seconds "python3 '$tmp/sf.py' fitets '$tmp/big.ndjson' 2>/dev/null")
m_sfe=$(peak_kb python3 "$tmp/sf.py" fitets "$tmp/big.ndjson")
echo "iiot forecast:  $(calc %.2f "$t_iiot") s, peak $(calc %.0f "$m_iiot/1024") MiB (seasonal ETS)"
echo "iiot forecast --method mstl:  $(calc %.2f "$t_mstl") s, peak $(calc %.0f "$m_mstl/1024") MiB (MSTL + AutoETS)"
echo "statsforecast:  $(calc %.2f "$t_sf") s, peak $(calc %.0f "$m_sf/1024") MiB (MSTL + AutoETS, one process)"
echo "statsforecast AutoETS(AZA, 24):  $(calc %.2f "$t_sfe") s, peak $(calc %.0f "$m_sfe/1024") MiB (iiot's default model, one process)"
echo "ratio: iiot is $(calc %.1f "$t_sf/$t_iiot")x faster than statsforecast's MSTL, $(calc %.1f "$t_sfe/$t_iiot")x than its AutoETS of the same model; $(calc %.1f "$t_sf/$t_mstl")x with --method mstl against MSTL"

echo "== 2. MASE, same rolling-origin backtest (5 windows)"
iiot_mase() { "$bin" forecast -q --backtest --windows 5 "$@" | tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["mase"])'; }
b_iiot=$(iiot_mase --season 24h --horizon 24 "$tmp/boiler.ndjson")
b_sf=$(python3 "$tmp/sf.py" cv "$tmp/boiler.ndjson" 24 24 h 2>/dev/null)
echo "boiler, 72 series, season 24, h 24:  iiot $b_iiot   statsforecast $b_sf"

python3 - "$tmp/co2.ndjson" <<'PY'
import sys, json
import statsmodels.api as sm
d = sm.datasets.co2.load_pandas().data.interpolate()
with open(sys.argv[1], "w") as f:
    for ts, v in d["co2"].items():
        f.write(json.dumps({"ts": ts.strftime("%Y-%m-%dT00:00:00Z"), "asset": "mauna_loa", "tag": "co2", "value": float(v)}) + "\n")
PY
c_iiot=$(iiot_mase --season 364d --horizon 52 --history 100000 "$tmp/co2.ndjson")
c_sf=$(python3 "$tmp/sf.py" cv "$tmp/co2.ndjson" 52 52 W-SAT 2>/dev/null)
echo "statsmodels co2 (weekly), season 52, h 52:  iiot $c_iiot   statsforecast $c_sf"

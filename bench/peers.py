"""detect's rules beside River's on the same simulated readings (bench/peers.sh).

Usage: python3 bench/peers.py IIOT WORKDIR RUNS

For each pair: readings flagged by each, the share flagged by both of
those flagged by either (per reading), the episodes of each fault kind
each finds (any reading of the episode flagged, as `detect --score`
counts), and the time: detect's wall time (median of RUNS, reading and
writing NDJSON) beside River's on the values already parsed into memory.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

from river import anomaly, drift, stats, utils  # noqa: E402

iiot, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(work, exist_ok=True)


def sh(cmd, out=None):
    with open(out, "w") if out else open(os.devnull, "w") as f:
        subprocess.run(cmd, shell=True, check=True, stdout=f, executable="/bin/bash")


def timed(cmd, out):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sh(cmd, out)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def read(path):
    """Per reading: (series, value, label, flagged by which rules)."""
    rows = []
    for line in open(path):
        d = json.loads(line)
        if "value" not in d:
            continue
        rules = {a["rule"] for a in d.get("anomalies", [])}
        rows.append((d["asset"] + "|" + d["tag"], float(d["value"]), d.get("fault", ""), rules))
    return rows


def episodes(rows, flagged):
    """Per fault kind: {episode id: found?}; an episode is a run of one
    series' readings with the same label."""
    open_ep, eps, n = {}, {}, 0
    for i, (s, _, lab, _) in enumerate(rows):
        cur = open_ep.get(s)
        if not lab:
            open_ep.pop(s, None)
            continue
        if cur is None or cur[0] != lab:
            n += 1
            cur = open_ep[s] = (lab, n)
            eps.setdefault(lab, {})[n] = False
        if flagged[i]:
            eps[lab][cur[1]] = True
    return eps


def compare(title, rows, ours, theirs, t_ours, t_theirs, names, kinds):
    both = sum(1 for a, b in zip(ours, theirs) if a and b)
    either = sum(1 for a, b in zip(ours, theirs) if a or b)
    print(f"\n{title}")
    print(f"  readings {len(rows)}, flagged by {names[0]} {sum(ours)}, by {names[1]} {sum(theirs)}, "
          f"both {both}, either {either}: agreement (both / either) {both / max(either, 1):.3f}")
    e1, e2 = episodes(rows, ours), episodes(rows, theirs)
    for kind in kinds:
        n = len(e1[kind])
        f1 = sum(e1[kind].values())
        f2 = sum(e2[kind].values())
        fb = sum(1 for k in e1[kind] if e1[kind][k] and e2[kind][k])
        fe = sum(1 for k in e1[kind] if e1[kind][k] or e2[kind][k])
        print(f"  {kind:8} episodes {n:5}: found by {names[0]} {f1} ({f1 / n:.3f}), by {names[1]} {f2} "
              f"({f2 / n:.3f}); found by both / by either {fb}/{fe}")
    def false_alarms(flags):
        """Runs of flagged readings with no fault label, per series (an
        alarm an operator would see: detect counts false positives so)."""
        last, runs = {}, 0
        for (s, _, lab, _), f in zip(rows, flags):
            on = f and not lab
            runs += on and not last.get(s, False)
            last[s] = on
        return runs
    n_series = len({r[0] for r in rows})
    day = 86400 / (len(rows) / n_series)
    fa1, fa2 = false_alarms(ours), false_alarms(theirs)
    print(f"  false alarms (runs of flagged readings with no fault label): {names[0]} {fa1}, "
          f"{names[1]} {fa2} ({fa1 / n_series * day:.1f} and {fa2 / n_series * day:.1f} per series per day)")
    print(f"  time: {names[0]} {t_ours:.2f} s (median of {runs}, NDJSON in and out), "
          f"{names[1]} {t_theirs:.2f} s (values already in memory): {t_theirs / t_ours:.1f}x")


def by_series(rows):
    idx = {}
    for i, (s, v, _, _) in enumerate(rows):
        idx.setdefault(s, []).append((i, v))
    return idx


# 1 and 2: the fermenter, spikes and stuck runs.
ferm = os.path.join(work, "fermenter.ndjson")
sh(f"{iiot} simulate --preset fermenter --duration 2h --seed 7 "
   f"--faults spike=0.002,stuck=0.0005 --label", ferm)
z3 = os.path.join(work, "z3.ndjson")
t_z3 = timed(f"{iiot} -q detect --zscore 3 --window 50 --min-samples 10 < {ferm}", z3)
rows = read(z3)
ours = [("zscore" in r[3]) for r in rows]
series = by_series(rows)

t = time.perf_counter()
theirs = [False] * len(rows)
for s, readings in series.items():
    mean = utils.Rolling(stats.Mean(), window_size=50)
    var = utils.Rolling(stats.Var(ddof=1), window_size=50)
    n = 0
    for i, v in readings:
        if n >= 10:
            sd = max(var.get(), 0.0) ** 0.5
            theirs[i] = sd > 0 and abs(v - mean.get()) > 3 * sd
        mean.update(v)
        var.update(v)
        n += 1
t_river = time.perf_counter() - t
compare("1. rolling z-score, ±3σ over the 50 readings before, judged from the 10th "
        "(detect --zscore 3 --window 50 beside River's Rolling(Mean) / Rolling(Var))",
        rows, ours, theirs, t_z3, t_river, ("detect", "River"), ["spike"])

z45 = os.path.join(work, "z45.ndjson")
t_z45 = timed(f"{iiot} -q detect --zscore 4.5 --window 50 < {ferm}", z45)
rows = read(z45)
ours = [("zscore" in r[3]) for r in rows]
t = time.perf_counter()
theirs = [False] * len(rows)
for s, readings in series.items():
    sad = anomaly.StandardAbsoluteDeviation(sub_stat=utils.Rolling(stats.Mean(), window_size=50))
    n = 0
    for i, v in readings:
        if n >= 10:
            theirs[i] = sad.score_one(None, v) > 4.5
        sad.learn_one(None, v)
        n += 1
t_river = time.perf_counter() - t
compare("2. z-score at 4.5: detect's built-in (robust spread learnt over 1000 readings, "
        "flagged readings left out) beside River's StandardAbsoluteDeviation "
        "(deviation from a rolling mean of 50 over the deviation of all readings seen)",
        rows, ours, theirs, t_z45, t_river, ("detect", "River"), ["spike"])

# 3: the boiler's drifts (6 h: the shift rule judges from its second hour),
# detect's built-in set (its shift rule) beside River's PageHinkley.
boil = os.path.join(work, "boiler.ndjson")
sh(f"{iiot} simulate --preset boiler --duration 6h --seed 7 --faults drift=0.0002 --label", boil)
bd = os.path.join(work, "boiler-detect.ndjson")
t_bd = timed(f"{iiot} -q detect --preset boiler < {boil}", bd)
rows = read(bd)
ours = [("shift" in r[3]) for r in rows]
series = by_series(rows)
for label, standardise in (("raw values, River's defaults", False),
                           ("values in noise widths (over the mean |first difference|)", True)):
    t = time.perf_counter()
    theirs = [False] * len(rows)
    for s, readings in series.items():
        ph = drift.PageHinkley()
        prev, dev, n = None, 0.0, 0
        for i, v in readings:
            x = v
            if standardise:
                if prev is None:
                    prev = v
                    continue
                n += 1
                dev += (abs(v - prev) - dev) / min(n, 1000)
                prev = v
                if dev <= 0:
                    continue
                x = v / dev
            ph.update(x)
            theirs[i] = ph.drift_detected
    t_river = time.perf_counter() - t
    compare(f"3. drift on the boiler: detect's built-in set, its shift rule's flags, beside "
            f"River's PageHinkley on {label} (River flags the reading a change is detected at)",
            rows, ours, theirs, t_bd, t_river, ("detect", "River"), ["drift"])

#!/usr/bin/env bash
# notify's speed and memory: 100,000 alarm events (1,000 assets × 5 tags,
# raised and cleared, a second apart) through three glob routes and a
# default route, grouped by asset (group_wait 30s, group_interval 5m,
# repeat_interval 1h), delivered to an HTTP server on 127.0.0.1 (Python's
# http.server, answering 200). Beside it, `iiot cat` of the same events:
# what reading and writing the records alone costs. Prints events per
# second, notifications sent, the ratio to cat and notify's peak memory.
#
#   bench/notify.sh                 default: 100,000 events, median of 3 runs
#   EVENTS=20000 RUNS=5 bench/notify.sh
#
# Needs python3 and /usr/bin/time.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
EVENTS=${EVENTS:-100000}
RUNS=${RUNS:-3}
build_iiot
tmp=$(mktemp -d)
srv_pid=
cleanup() {
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# The events: alarm k of 5,000 alternates raised/cleared.
awk -v n="$EVENTS" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = i % 5000; a = int(k / 5); t = k % 5
    ev = (int(i / 5000) % 2 == 0) ? "raised" : "cleared"
    sev = (t == 0) ? "critical" : (t < 3 ? "high" : "medium")
    printf "{\"ts\":%d,\"asset\":\"%s-%03d\",\"tag\":\"tag%d\",\"value\":%d,\"event\":\"%s\",\"rule\":\"hi\",\"kind\":\"threshold\",\"severity\":\"%s\",\"limit\":45}\n",
      1767225600000 + i * 1000, (a < 300 ? "BOIL" : (a < 600 ? "FERM" : "WH")), a, t, 50 + t, ev, sev
  }
}' > "$tmp/events.ndjson"

cat > "$tmp/server.py" <<'PY'
import http.server, os, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(srv.server_address[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
python3 "$tmp/server.py" "$tmp/port" & srv_pid=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")

cat > "$tmp/n.toml" <<TOML
[grouping]
group_wait = "30s"
group_interval = "5m"
repeat_interval = "1h"

[channels.ops]
type = "webhook"
url = "http://127.0.0.1:$port/ops"
template = '{"text":"{summary}","alarms":{alarms_json}}'

[channels.boilers]
type = "webhook"
url = "http://127.0.0.1:$port/boilers"

[[routes]]
asset = ["BOIL-*"]
severity = ["critical"]
channels = ["boilers", "ops"]
group_by = ["asset"]

[[routes]]
asset = ["BOIL-*", "FERM-*"]
channels = ["ops"]
group_by = ["asset"]

[[routes]]
tag = ["tag4"]
channels = ["boilers"]

[default]
channels = ["ops"]
group_by = ["asset"]
TOML

n=$(wc -l < "$tmp/events.ndjson")
notify="$bin notify -q --config $tmp/n.toml $tmp/events.ndjson > $tmp/log.ndjson"
t_notify=$(median_seconds "$notify")
t_cat=$(median_seconds "$bin cat -q $tmp/events.ndjson > /dev/null")
sent=$(grep -c '"delivery":"delivered"' "$tmp/log.ndjson" || true)
failed=$(grep -c '"delivery":"failed"' "$tmp/log.ndjson" || true)
kb=$(peak_kb "$bin" notify -q --config "$tmp/n.toml" "$tmp/events.ndjson")
echo "events:            $n (median of $RUNS runs)"
echo "notify:            $(calc %.2f "$t_notify") s, $(calc %.0f "$n / $t_notify") events/s, $sent notifications delivered, $failed failed"
echo "cat (same events): $(calc %.3f "$t_cat") s, $(calc %.0f "$n / $t_cat") events/s"
echo "ratio notify/cat:  $(calc %.1f "$t_notify / $t_cat")"
echo "notify peak RSS:   ${kb} KB"

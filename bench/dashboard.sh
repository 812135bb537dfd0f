#!/usr/bin/env bash
# Benchmark (issue 19): the fleet dashboard's pages at 30,000 servers.
# Loads a database with bench/fleet.sh (KEEP=1), adds an analyst, starts
# `exhunt serve` on it, and runs bench/dashboard_pages.py: each page's
# server time (READS GETs, p50/p99/max) and the browser's load event
# (headless chromium, LOADS loads each).
#
#   bash bench/dashboard.sh                       # SQLite, N=30000
#   WORK=/tmp/exhunt-fleet.XXXX bash bench/dashboard.sh    # reuse a kept fleet.sh folder
#   DB=postgres://postgres@127.0.0.1:55432/fleetbench_123 bash bench/dashboard.sh
#
# Needs chromium and python3 with websocket-client (installed with pip if
# missing).
set -euo pipefail
cd "$(dirname "$0")/.."
EXHUNT=${EXHUNT:-target/release/exhunt}
[ -x "$EXHUNT" ] || cargo build --release -q -p exhunt
python3 -c "import websocket" 2>/dev/null || pip install -q websocket-client
if [ -z "${DB:-}" ]; then
  if [ -z "${WORK:-}" ]; then
    KEEP=1 DBS=sqlite bash bench/fleet.sh 2> /tmp/exhunt-dashboard-fleet.err > /dev/null
    WORK=$(sed -n 's/^kept \(\/.*\)$/\1/p' /tmp/exhunt-dashboard-fleet.err | tail -1)
  fi
  DB="$WORK/fleet.db"
fi
pw=$(mktemp)
echo "bench password $$ $RANDOM" > "$pw"
"$EXHUNT" serve --database "$DB" user add "bench-$$" --analyst --password-file "$pw" 2>/dev/null
log=$(mktemp)
"$EXHUNT" serve --database "$DB" --listen 127.0.0.1:0 2> "$log" &
server=$!
trap 'kill $server 2>/dev/null || true; "$EXHUNT" serve --database "$DB" user remove "bench-$$" 2>/dev/null || true; rm -f "$pw" "$log"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$log")
# A compromised server, and the address most servers saw.
token=$("$EXHUNT" serve --database "$DB" token add --analyst --label bench 2>/dev/null)
id=$(curl -s -H "Authorization: Bearer $token" "$url/api/v1/servers?verdict=compromised&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["servers"][0]["id"])')
ip=$(curl -s -H "Authorization: Bearer $token" "$url/api/v1/servers/$id" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(max((i for i in d["indicators"] if i["kind"]=="ip"), key=lambda i: i["servers"])["value"])')
echo "dashboard at $url on $DB: $(curl -s -H "Authorization: Bearer $token" "$url/api/v1/counts" | python3 -c 'import json,sys; print(json.load(sys.stdin)["servers"])') servers; server $id, address $ip" >&2
python3 bench/dashboard_pages.py "$url" "bench-$$" "$(cat "$pw")" "$id" "$ip"

#!/usr/bin/env bash
# Benchmark of `exhunt probe` (issue 5). Not a test: run by hand.
#
#   bash bench/probe.sh                  # 10,000 targets at 2,000 requests/s
#   TARGETS=10000 RATE=5000 bash bench/probe.sh
#
# A fake OWA server (crates/probe/examples/fake_owa_server.rs) answers on
# every loopback address as Exchange 2019 CU12 does (logon page links with
# the three-part build, then the export tool manifest: three requests per
# target with the /owa/ redirect). The probe gets one target per address;
# the server counts requests and the most that arrived within any second.
set -euo pipefail
cd "$(dirname "$0")/.."
TARGETS=${TARGETS:-10000}
RATE=${RATE:-2000}
CONC=${CONC:-256}
PORT=${PORT:-18443}
cargo build --release -q -p exhunt
cargo build --release -q -p exhunt-probe --example fake_owa_server
list=$(mktemp)
python3 - "$TARGETS" "$PORT" > "$list" <<'PY'
import sys
n, port = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    print(f"http://127.{1 + i // 65000}.{(i % 65000) // 250}.{1 + i % 250}:{port}")
PY
./target/release/examples/fake_owa_server "$PORT" > /tmp/exhunt-fake.out 2>/dev/null &
server=$!
sleep 0.5
/usr/bin/time -f "exhunt probe: %e s wall, %U s user, %S s sys, peak RSS %M KB" \
  ./target/release/exhunt probe -q --targets "$list" --rate "$RATE" --concurrency "$CONC" \
  --timeout 10 -f json -o /tmp/exhunt-probe.json
wait "$server"
python3 - "$RATE" <<'PY'
import json, sys
r = json.load(open('/tmp/exhunt-probe.json'))['results']
ok = sum(1 for x in r if x['build'] == '15.2.1118.20')
errs = [x['error'] for x in r if x['error']]
print(f"{len(r)} targets: {ok} with build 15.2.1118.20, {len(errs)} errors" + (f" (first: {errs[0]})" if errs else ""))
req, peak = open('/tmp/exhunt-fake.out').read().split()[1::2]
print(f"server: {req} requests, at most {peak} within one second (configured rate {sys.argv[1]}/s)")
PY
rm -f "$list"

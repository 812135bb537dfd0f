#!/usr/bin/env bash
# Benchmarks for event and web logs (issue 3). Not a test: run by hand.
#
#   bash bench/events.sh
#
# 1. EVTX: exhunt's end-to-end scan (parse, flatten, all Sigma rules) of a
#    corpus made of the real EVTX samples copied many times, beside the evtx
#    crate's own parse of the same files (JSON rendering, no detection).
# 2. IIS: exhunt's scan of generated IIS W3C logs beside `rg -c` with the
#    literals of the same webserver rules.
set -euo pipefail
cd "$(dirname "$0")/.."
COPIES=${COPIES:-300}
IIS_BYTES=${IIS_BYTES:-1G}
cargo build --release -q -p exhunt -p exhunt-testgen
cargo build --release -q -p exhunt-sources --example evtx_throughput

EVTX=bench-data/evtx-x$COPIES
if [ ! -d "$EVTX" ]; then
  mkdir -p "$EVTX"
  for i in $(seq "$COPIES"); do
    for f in crates/sources/tests/data/evtx-*/*.evtx; do
      cp "$f" "$EVTX/$i-$(basename "$f" | tr ' ' _)"
    done
  done
fi
echo "== EVTX: $(find "$EVTX" -type f | wc -l) files, $(du -sh "$EVTX" | cut -f1); one core"
./target/release/examples/evtx_throughput 1 "$EVTX"/*.evtx | tail -n 3
/usr/bin/time -f "exhunt scan -j1 (parse + all Sigma rules + report): %e s, peak RSS %M KB" \
  ./target/release/exhunt scan -q -j1 --format json "$EVTX" > /tmp/exhunt-evtx.json || true
python3 -c "
import json; r = json.load(open('/tmp/exhunt-evtx.json'))
print('exhunt read', r['stats']['lines_read'], 'events;', len(r['findings']), 'findings')"

IIS=bench-data/iis-$IIS_BYTES
[ -d "$IIS" ] || ./target/release/exhunt-testgen iis "$IIS" --bytes "$IIS_BYTES"
echo "== IIS: $(du -sh "$IIS" | cut -f1) in $(find "$IIS" -type f | wc -l) files; $(nproc) cores"
find "$IIS" -type f -exec cat {} + > /dev/null
pats=()
for l in $(grep -h -A40 '  literals:' rules/sigma/webserver/*.yml | sed -n "s/^    - '\(.*\)'$/\1/p" | tr ' ' '\001'); do
  pats+=(-e "$(printf '%s' "$l" | tr '\001' ' ')")
done
best() { local b=""; for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o /tmp/exhunt-t "$@" > /dev/null 2>&1 || true
    read -r t m < <(tail -n 1 /tmp/exhunt-t)
    if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then b=$t; fm=$m; fi
  done; echo "$b s, peak RSS $((fm / 1024)) MB"; }
echo "rg -F -i -c (${#pats[@]} patterns): $(best rg -F -i -c "${pats[@]}" "$IIS")"
echo "exhunt scan:                  $(best ./target/release/exhunt scan -q "$IIS")"

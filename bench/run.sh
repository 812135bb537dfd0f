#!/usr/bin/env bash
# Benchmark: exhunt scan over a generated, realistic 2 GB Exchange log tree,
# beside `rg -c ServerInfo~` (the reference script's own pre-filter) on the
# same files. Not a test: run it by hand and copy the figures to RESULTS.md.
#
#   bash bench/run.sh [BYTES]        (default 2000000000)
#
# Needs ripgrep (`apt-get install ripgrep`) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${1:-2000000000}
DATA=bench-data/logs-$BYTES
RUNS=${RUNS:-5}

command -v rg >/dev/null || { echo "ripgrep (rg) is needed: apt-get install ripgrep" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 2; }

cargo build --release -q -p exhunt -p exhunt-testgen
if [ ! -d "$DATA" ]; then
  echo "generating $BYTES bytes of logs into $DATA ..." >&2
  ./target/release/exhunt-testgen bench "$DATA" --bytes "$BYTES"
fi
echo "data: $(du -sh "$DATA" | cut -f1) in $(find "$DATA" -type f | wc -l) files; $(nproc) cores"

# Warm the page cache so both tools read from memory.
find "$DATA" -type f -exec cat {} + > /dev/null

measure() { # name, command...: best wall time and peak RSS over $RUNS runs
  local name=$1; shift
  local best="" mem=0
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o /tmp/exhunt-bench-time "$@" > /dev/null 2>&1 || true
    read -r t m < <(tail -n 1 /tmp/exhunt-bench-time)
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    [ "$m" -gt "$mem" ] && mem=$m
  done
  printf '%-34s best %6.2f s   peak RSS %7.1f MB\n' "$name" "$best" "$(awk "BEGIN{print $mem/1024}")"
  echo "$best" > "/tmp/exhunt-bench-$name"
}

measure rg "rg" -c 'ServerInfo~' "$DATA"
measure exhunt ./target/release/exhunt scan -q "$DATA"
measure exhunt-json ./target/release/exhunt scan -q --format json "$DATA"
measure rg-j1 "rg" -j1 -c 'ServerInfo~' "$DATA"
measure exhunt-j1 ./target/release/exhunt scan -q -j1 "$DATA"
awk -v a="$(cat /tmp/exhunt-bench-exhunt)" -v b="$(cat /tmp/exhunt-bench-rg)" \
  'BEGIN{printf "exhunt / rg (all cores): %.2fx\n", a/b}'
awk -v a="$(cat /tmp/exhunt-bench-exhunt-j1)" -v b="$(cat /tmp/exhunt-bench-rg-j1)" \
  'BEGIN{printf "exhunt / rg (one core):  %.2fx\n", a/b}'
./target/release/exhunt scan -q "$DATA" | sed -n '1,12p'

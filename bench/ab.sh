#!/usr/bin/env bash
# A/B benchmark: two exhunt binaries on the data of bench/run.sh (2 GB of
# Exchange logs), bench/events.sh (EVTX copies, IIS logs) and bench/sweep.sh
# (100,000 files), alternating runs, best wall time of $RUNS each, with
# ripgrep beside them for scale. Not a test: for a refactor's closing note.
#
#   bash bench/ab.sh OLD_EXHUNT NEW_EXHUNT
set -euo pipefail
cd "$(dirname "$0")/.."
OLD=$(realpath "$1"); NEW=$(realpath "$2")
RUNS=${RUNS:-3}
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 2; }
cargo build --release -q -p exhunt-testgen
GEN=./target/release/exhunt-testgen
LOGS=bench-data/logs-2000000000
[ -d "$LOGS" ] || "$GEN" bench "$LOGS" --bytes 2000000000
EVTX=bench-data/evtx-x300
if [ ! -d "$EVTX" ]; then
  mkdir -p "$EVTX"
  for i in $(seq 300); do
    for f in crates/sources/tests/data/evtx-*/*.evtx; do cp "$f" "$EVTX/$i-$(basename "$f" | tr ' ' _)"; done
  done
fi
IIS=bench-data/iis-1G
[ -d "$IIS" ] || "$GEN" iis "$IIS" --bytes 1G
FILES=bench-data/files-100000
[ -d "$FILES" ] || "$GEN" files "$FILES" --count 100000
echo "$(nproc) cores; best of $RUNS, old and new alternating; page cache warm"

t() { /usr/bin/time -f "%e %M" -o /tmp/exhunt-ab-t "$@" > /dev/null 2>&1 || true; tail -n 1 /tmp/exhunt-ab-t; }
ab() { # name, data, args...
  local name=$1 data=$2; shift 2
  find "$data" -type f -exec cat {} + > /dev/null
  local bo="" bn="" mo=0 mn=0
  for _ in $(seq "$RUNS"); do
    read -r to m < <(t "$OLD" scan -q "$@" "$data"); [ "$m" -gt "$mo" ] && mo=$m
    if [ -z "$bo" ] || awk "BEGIN{exit !($to < $bo)}"; then bo=$to; fi
    read -r tn m < <(t "$NEW" scan -q "$@" "$data"); [ "$m" -gt "$mn" ] && mn=$m
    if [ -z "$bn" ] || awk "BEGIN{exit !($tn < $bn)}"; then bn=$tn; fi
  done
  printf '%-30s old %7.2f s %6d MB   new %7.2f s %6d MB   new/old %.3f\n' \
    "$name" "$bo" $((mo / 1024)) "$bn" $((mn / 1024)) "$(awk "BEGIN{print $bn/$bo}")"
}
ab "logs 2 GB, all cores" "$LOGS"
ab "logs 2 GB, -j1" "$LOGS" -j1
ab "EVTX, -j1, json" "$EVTX" -j1 --format json
ab "IIS 1 GB, all cores" "$IIS"
ab "100k files, all cores, json" "$FILES" --format json
if command -v rg > /dev/null; then
  read -r tr _ < <(t rg -c 'ServerInfo~' "$LOGS"); echo "for scale: rg -c ServerInfo~ over the 2 GB logs: $tr s"
fi

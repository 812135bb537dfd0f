#!/usr/bin/env bash
# Benchmark of the file sweep (issue 4). Not a test: run by hand.
#
#   bash bench/sweep.sh            # 100,000 files
#   COUNT=20000 bash bench/sweep.sh
#
# A generated tree of ordinary server files (pages, scripts, images,
# assemblies, configuration) with a web shell in every 5,000, scanned by
#   - `yr scan` (yara-x's own CLI, same version as exhunt's engine) with
#     exhunt's bundled rules, the globals defined empty;
#   - `exhunt scan`: the same rules plus SHA-256 of every file, the
#     indicator lists, the web-folder checks and the report.
# Page cache warm, best of 5, on all cores; then one core each. Also counts
# the open() calls on the tree's files (strace), to show each file is
# read once.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-100000}
RUNS=${RUNS:-5}
command -v yr > /dev/null || { echo "needs yr: cargo install yara-x-cli --version =1.22.1 --locked"; exit 1; }
cargo build --release -q -p exhunt -p exhunt-testgen
TREE=bench-data/files-$COUNT
[ -d "$TREE" ] || ./target/release/exhunt-testgen files "$TREE" --count "$COUNT"
echo "== $(find "$TREE" -type f | wc -l) files, $(du -sh --apparent-size "$TREE" | cut -f1); $(nproc) cores; $(yr --version)"
find "$TREE" -type f -exec cat {} + > /dev/null
RULES=rules/yara/exchange_webshells.yar
DEFS=(-d 'filename=""' -d 'filepath=""' -d 'extension=""')
best() { local b=""; for _ in $(seq "$RUNS"); do
    /usr/bin/time -f "%e %M" -o /tmp/exhunt-t "$@" > /tmp/exhunt-out 2>/dev/null || true
    read -r t m < <(tail -n 1 /tmp/exhunt-t)
    if [ -z "$b" ] || awk "BEGIN{exit !($t < $b)}"; then b=$t; fm=$m; fi
  done; echo "$b s, peak RSS $((fm / 1024)) MB"; }
for j in "$(nproc)" 1; do
  echo "-- $j thread(s)"
  echo "yr scan -r:     $(best yr scan -r -p "$j" "${DEFS[@]}" "$RULES" "$TREE")"
  echo "yr matches:     $(grep -c . /tmp/exhunt-out || true) (rule, file) lines"
  echo "exhunt scan:    $(best ./target/release/exhunt scan -q -j "$j" --format json "$TREE")"
  python3 - <<'PY'
import json
r = json.load(open('/tmp/exhunt-out'))
y = [f for f in r['findings'] if 'yara_rule' in f['evidence']]
print(f"exhunt: verdict {r['verdict']}, {r['stats']['files_content_scanned']} files hashed and YARA-scanned, "
      f"{len(y)} YARA findings on {len({f['path'] for f in y})} files, {len(r['findings'])} findings in all")
PY
done
if command -v strace > /dev/null; then
  strace -f -e trace=openat -o /tmp/exhunt-strace ./target/release/exhunt scan -q --format json "$TREE" > /dev/null || true
  opens=$(grep -c "$TREE/.*O_RDONLY" /tmp/exhunt-strace || true)
  files=$(grep "$TREE/" /tmp/exhunt-strace | grep -v O_DIRECTORY | grep -o "\"$TREE/[^\"]*\"" | sort | uniq -d | wc -l)
  echo "exhunt open() calls on the tree: $opens (files opened more than once: $files)"
fi

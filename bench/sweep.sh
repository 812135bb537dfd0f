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
# Page cache warm, best of RUNS (default 5), on all cores; then one core each. Also counts
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
# Runs alternate between the two tools (this VM's speed drifts by 20% or
# more from minute to minute); the best wall time of each is reported, with
# its CPU time (user + system).
run() { /usr/bin/time -f "%e %U %S %M" -o /tmp/exhunt-t "$@" > "$OUT" 2>/dev/null || true
  read -r t u s m < <(tail -n 1 /tmp/exhunt-t); echo "$t $(awk "BEGIN{print $u+$s}") $((m / 1024))"; }
for j in "$(nproc)" 1; do
  echo "-- $j thread(s), best of $RUNS, alternating"
  by=""; be=""
  for _ in $(seq "$RUNS"); do
    OUT=/tmp/exhunt-yr.out; r=$(run yr scan -r -p "$j" "${DEFS[@]}" "$RULES" "$TREE")
    if [ -z "$by" ] || awk "BEGIN{exit !(${r%% *} < ${by%% *})}"; then by=$r; fi
    OUT=/tmp/exhunt-out; r=$(run ./target/release/exhunt scan -q -j "$j" --format json "$TREE")
    if [ -z "$be" ] || awk "BEGIN{exit !(${r%% *} < ${be%% *})}"; then be=$r; fi
  done
  read -r yt yc ym <<< "$by"; read -r et ec em <<< "$be"
  echo "yr scan -r:   ${yt} s wall, ${yc} s CPU, peak RSS ${ym} MB; $(grep -c . /tmp/exhunt-yr.out || true) (rule, file) matches"
  echo "exhunt scan:  ${et} s wall, ${ec} s CPU, peak RSS ${em} MB; ratio $(awk "BEGIN{printf \"%.2f\", $et/$yt}")x wall"
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
  opens=$(grep "$TREE/" /tmp/exhunt-strace | grep -v O_DIRECTORY | grep -c O_RDONLY || true)
  files=$(grep "$TREE/" /tmp/exhunt-strace | grep -v O_DIRECTORY | grep -o "\"$TREE/[^\"]*\"" | sort | uniq -d | wc -l)
  echo "exhunt open() calls on the tree's files: $opens (files opened more than once: $files)"
fi

#!/usr/bin/env bash
# Benchmark of `exhunt collect` (issue 6). Not a test: run by hand.
#
#   bash bench/collect.sh            # the 2 GB benchmark tree of bench/run.sh
#   BYTES=500000000 bash bench/collect.sh
#
# The generated tree is laid out as a server's system drive (Exchange in its
# default folder, no registry hive: discovery falls back to the default
# install folder). Measures, page cache warm, best of RUNS (default 3):
#   - `exhunt collect --system-root TREE`: discovery, SHA-256 of every file,
#     deflate (level 1) on all cores, manifest;
#   - `zip -1 -r -q` of the same tree (Info-ZIP, one core, no hashes);
#   - `exhunt scan` of the tree and of the collection, and that both give
#     the same findings.
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${BYTES:-2000000000}
RUNS=${RUNS:-3}
cargo build --release -q -p exhunt -p exhunt-testgen
TREE=bench-data/logs-$BYTES
[ -d "$TREE" ] || ./target/release/exhunt-testgen bench "$TREE" --bytes "$BYTES"
echo "== $(find "$TREE" -type f | wc -l) files, $(du -sh --apparent-size "$TREE" | cut -f1); $(nproc) cores; $(zip -v | sed -n 2p)"
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
best() { sort -n | head -1; }
t() { /usr/bin/time -f "%e %U %S %M" -o "$OUT/t" "$@" > /dev/null 2>&1 || true; cat "$OUT/t"; }
for _ in $(seq "$RUNS"); do
  rm -f "$OUT/c.zip" "$OUT/c.zip.sha256"
  t ./target/release/exhunt collect -q --system-root "$TREE" -o "$OUT/c.zip" >> "$OUT/collect"
  rm -f "$OUT/z.zip"
  (cd "$TREE" && t zip -1 -r -q "$OUT/z.zip" .) >> "$OUT/zip"
done
read -r e u s m < <(best < "$OUT/collect"); echo "exhunt collect: ${e} s wall, $(awk "BEGIN{print $u+$s}") s CPU, $((m / 1024)) MB peak; zip $(stat -c %s "$OUT/c.zip") bytes"
read -r e u s m < <(best < "$OUT/zip"); echo "zip -1 -r:      ${e} s wall, $(awk "BEGIN{print $u+$s}") s CPU, $((m / 1024)) MB peak; zip $(stat -c %s "$OUT/z.zip") bytes"
./target/release/exhunt scan -q -f json --system-root "$TREE" > "$OUT/a.json" || true
./target/release/exhunt scan -q -f json "$OUT/c.zip" > "$OUT/b.json" || true
python3 - "$OUT/a.json" "$OUT/b.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
fa = [json.dumps(f, sort_keys=True) for f in a["findings"]]
fb = [json.dumps(f, sort_keys=True).replace("c.zip!/", "") for f in b["findings"]]
print(f"findings: tree {len(fa)}, collection {len(fb)}, identical: {fa == fb}")
sys.exit(0 if fa == fb else 1)
PY

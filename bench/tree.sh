#!/usr/bin/env bash
# Benchmark (issue 15): exhunt over a tree shaped like a real server's
# logs — 30 days of a mid-sized Exchange server: hourly HttpProxy files in
# nine protocol folders, hourly ECP Server logs, daily OABGenerator and IIS
# logs (`exhunt-testgen server`) — per part of the tree, beside ripgrep.
# Not a test: run by hand and copy the table to RESULTS.md.
#
#   bash bench/tree.sh                 # SIZE=1G
#   SIZE=100M bash bench/tree.sh
#   SIZE=10G RUNS=3 bash bench/tree.sh
#   ONE_CORE=1 bash bench/tree.sh      # adds -j1 / rg -j1 rows
#   EXHUNT=/path/to/exhunt bash bench/tree.sh   # another build (A/B)
#
# For each part (whole tree, HttpProxy, inetpub (IIS), ECP), page cache
# warm, best wall time of RUNS (default 3), the tools alternating:
# (each part is scanned as a tree of hard links that keeps the files' paths,
# TREE.parts/<part>/Program Files/..., so its files are recognised by their
# path as in the whole tree: a log folder scanned by itself is recognised
# by content instead, which reads each file whole first)
#   - `exhunt scan --quiet --format json PART > /dev/null` (time, peak RSS);
#   - `rg -c ServerInfo~ PART` (the reference script's own pre-filter);
#   - `rg -F -i -c -e L1 -e L2 ... PART` with the literals exhunt's IIS line
#     filter searches: the `exhunt: literals:` of the bundled webserver
#     Sigma rules that apply to IIS (rules/sigma/webserver; not the
#     `service: httpproxy` ones), the page check's folders
#     (crates/detect/src/pages.rs FOLDERS) and the attacker addresses
#     (rules/iocs/attacker-ips.csv);
#   - the ratios exhunt / rg.
# Needs ripgrep (`apt-get install ripgrep`) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1G}
DAYS=${DAYS:-30}
RUNS=${RUNS:-3}
SEED=${SEED:-}
command -v rg > /dev/null || { echo "ripgrep (rg) is needed: apt-get install ripgrep" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is needed: apt-get install time" >&2; exit 2; }

if [ -z "${EXHUNT:-}" ]; then
  cargo build --release -q -p exhunt
  EXHUNT=./target/release/exhunt
fi
TREE=bench-data/server-$SIZE
[ "$DAYS" = 30 ] || TREE=$TREE-${DAYS}d
[ -z "$SEED" ] || TREE=$TREE-s$SEED
if [ ! -d "$TREE" ]; then
  cargo build --release -q -p exhunt-testgen
  echo "generating $SIZE ($DAYS days) into $TREE ..." >&2
  ./target/release/exhunt-testgen server "$TREE" --bytes "$SIZE" --days "$DAYS" ${SEED:+--seed "$SEED"}
fi
EXCHANGE="Program Files/Microsoft/Exchange Server/V15"
PARTS=$TREE.parts
if [ ! -d "$PARTS" ]; then
  for p in "$EXCHANGE/Logging/HttpProxy" "$EXCHANGE/Logging/ECP" inetpub; do
    dst="$PARTS/$(basename "$p")/$(dirname "$p")"
    mkdir -p "$dst"
    cp -al "$TREE/$p" "$dst/" 2> /dev/null || cp -a "$TREE/$p" "$dst/"
  done
fi

# The IIS line filter's literals.
pats=()
while IFS= read -r l; do pats+=(-e "$l"); done < <(
  for f in rules/sigma/webserver/*.yml; do
    grep -qi '^ *service: *httpproxy' "$f" && continue
    awk '/^  literals:/ { f = 1; next }
         f && /^    - / { sub(/^    - /, ""); gsub(/^'"'"'|'"'"'$/, ""); print; next }
         { f = 0 }' "$f"
  done
  sed -n 's/^const FOLDERS: &\[&str\] = &\[\(.*\)\];$/\1/p' crates/detect/src/pages.rs | tr -d ' "' | tr ',' '\n'
  grep -v '^#' rules/iocs/attacker-ips.csv | grep -v '^ip,' | cut -d, -f1
)
nlit=$((${#pats[@]} / 2))

echo "== $EXHUNT; $TREE: $(find "$TREE" -type f | wc -l) files, $(du -sh --apparent-size "$TREE" | cut -f1); $(nproc) cores; $(rg --version | sed -n 1p)"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
find "$TREE" -type f -print0 | xargs -0 cat > /dev/null

OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# One run: "wall_s peak_kb".
t() { /usr/bin/time -f "%e %M" -o "$OUT/t" "$@" > /dev/null 2>&1 || true; tail -n 1 "$OUT/t"; }
best() { sort -n "$1" | head -1; }

row() { # name, path, [extra exhunt/rg args]
  local name=$1 part=$2; shift 2
  : > "$OUT/e"; : > "$OUT/s"; : > "$OUT/l"
  for _ in $(seq "$RUNS"); do
    t "$EXHUNT" scan --quiet --format json "$@" "$part" >> "$OUT/e"
    t rg "$@" -c 'ServerInfo~' "$part" >> "$OUT/s"
    t rg "$@" -F -i -c "${pats[@]}" "$part" >> "$OUT/l"
  done
  local mem; mem=$(sort -k2 -n "$OUT/e" | tail -1 | cut -d' ' -f2)
  read -r te _ < <(best "$OUT/e"); read -r ts _ < <(best "$OUT/s"); read -r tl _ < <(best "$OUT/l")
  # GNU time counts in hundredths: a ratio to 0.00 s means nothing.
  ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.1fx\", $1 / $2; else printf \"(rg < 0.01 s)\" }"; }
  printf '| %s | %s files, %s | %.2f s | %d MB | %.2f s | %.2f s | %s | %s |\n' \
    "$name" "$(find "$part" -type f | wc -l)" "$(du -sh --apparent-size "$part" | cut -f1)" \
    "$te" $((mem / 1024)) "$ts" "$tl" "$(ratio "$te" "$ts")" "$(ratio "$te" "$tl")"
}

echo
echo "best of $RUNS, page cache warm, exhunt and rg alternating"
echo
echo "| part | data | exhunt scan | peak RSS | \`rg -c ServerInfo~\` | \`rg -F -i -c\` ($nlit IIS literals) | exhunt / rg ServerInfo~ | exhunt / rg literals |"
echo "|---|---|---|---|---|---|---|---|"
row "whole tree" "$TREE"
row "HttpProxy" "$PARTS/HttpProxy"
row "inetpub (IIS)" "$PARTS/inetpub"
row "ECP" "$PARTS/ECP"
if [ -n "${ONE_CORE:-}" ]; then
  row "whole tree, -j1" "$TREE" -j1
  row "HttpProxy, -j1" "$PARTS/HttpProxy" -j1
  row "inetpub (IIS), -j1" "$PARTS/inetpub" -j1
fi
echo
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

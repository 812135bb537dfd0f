#!/usr/bin/env bash
# Compares the reports of two exhunt binaries, byte for byte, over the
# bundled example, the repository's test data and trees made by
# exhunt-testgen: the check that a refactor changed no finding, no word and
# no order in any output format.
#
#   bash scripts/compare-reports.sh OLD_EXHUNT NEW_EXHUNT [TESTGEN]
#
# To compare against an older commit, build it in a worktree first:
#   git worktree add /tmp/exhunt-old REV && (cd /tmp/exhunt-old && cargo build -p exhunt)
#   cargo build -p exhunt -p exhunt-testgen
#   bash scripts/compare-reports.sh /tmp/exhunt-old/target/debug/exhunt target/debug/exhunt
# Exit 0 when every report is identical; prints the first differences otherwise.
set -uo pipefail
cd "$(dirname "$0")/.."
OLD=$(realpath "$1"); NEW=$(realpath "$2")
GEN=${3:-target/debug/exhunt-testgen}
[ -x "$GEN" ] || { echo "exhunt-testgen not found at $GEN (cargo build -p exhunt-testgen)" >&2; exit 2; }
GEN=$(realpath "$GEN")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Trees made once, scanned by both binaries.
"$GEN" example "$work/example" >/dev/null
"$GEN" clean "$work/clean" >/dev/null
"$GEN" example-zip "$work/example.zip" >/dev/null
"$GEN" files "$work/files" --count 3000 --seed 7 >/dev/null
"$GEN" bench "$work/bench" --bytes 30M --seed 3 >/dev/null
"$GEN" iis "$work/iis" --bytes 8M >/dev/null
if command -v hivexsh >/dev/null; then "$GEN" sysroot "$work/sysroot" >/dev/null; fi

# name | arguments (paths relative to the repository, or $work)
cases=(
  "example-dir|examples/proxylogon-compromised"
  "testgen-example|$work/example"
  "testgen-clean|$work/clean"
  "testgen-zip|$work/example.zip"
  "testgen-files|$work/files"
  "testgen-bench|$work/bench"
  "testgen-iis|$work/iis"
  "sources-data|crates/sources/tests/data"
  "yara-data|crates/yara/tests/data"
  "detect-data|crates/detect/tests/data"
  "small-files|--max-filesize 2K $work/example"
)
[ -d "$work/sysroot" ] && cases+=("sysroot|--system-root $work/sysroot")

fail=0; n=0
for c in "${cases[@]}"; do
  name=${c%%|*}; args=${c#*|}
  for fmt in json jsonl timeline text; do
    # shellcheck disable=SC2086
    "$OLD" scan -q -j2 --format "$fmt" $args > "$work/old.$name.$fmt" 2>/dev/null; oc=$?
    # shellcheck disable=SC2086
    "$NEW" scan -q -j2 --format "$fmt" $args > "$work/new.$name.$fmt" 2>/dev/null; nc=$?
    n=$((n+1))
    if [ "$oc" != "$nc" ] || ! cmp -s "$work/old.$name.$fmt" "$work/new.$name.$fmt"; then
      echo "DIFFERENT: $name ($fmt): exit $oc vs $nc"
      diff "$work/old.$name.$fmt" "$work/new.$name.$fmt" | head -20
      fail=1
    fi
  done
done
if [ $fail = 0 ]; then echo "identical: $n reports (${#cases[@]} inputs x 4 formats)"; fi
exit $fail

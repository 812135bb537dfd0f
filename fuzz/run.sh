#!/usr/bin/env bash
# Runs exhunt's fuzz targets with cargo-fuzz (libFuzzer).
#
#   bash fuzz/run.sh SECONDS [TARGET...]
#
# Each named target (default: all of them) runs for SECONDS or 10,000,000
# executions, whichever comes first, with -rss_limit_mb=2048 -timeout=10,
# under `nice -n 19` (other people build on the same machines), through
# `cargo +nightly fuzz run`. The targets are built once first. Exits
# non-zero when a target found a crash, a hang or a memory blow-up (the
# input is then in fuzz/artifacts/<target>/); prints the executions of
# every target.
#
# Environment:
#   FUZZ_JOBS=N       targets run N at a time (default 1)
#   FUZZ_RUNS=N       execution cap per target (default 10000000)
#   FUZZ_LOG_DIR=DIR  libFuzzer's output per target (default fuzz/target/logs)
#   FUZZ_SANITIZER=S  cargo-fuzz --sanitizer (default address)
#   FUZZ_BUILD_FLAGS  more cargo-fuzz build options, e.g. "--dev" (CI: a
#                     build without optimisations takes a third of the time)
#
# New corpus entries go to fuzz/corpus/<target>/ (ignored by git; only the
# seed-* files are committed).
set -uo pipefail
cd "$(dirname "$0")"

if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  echo "usage: bash fuzz/run.sh SECONDS [TARGET...]" >&2
  exit 2
fi
seconds=$1
shift
runs=${FUZZ_RUNS:-10000000}
jobs=${FUZZ_JOBS:-1}
sanitizer=${FUZZ_SANITIZER:-address}
read -r -a build_flags <<<"${FUZZ_BUILD_FLAGS:-}"
logs=${FUZZ_LOG_DIR:-target/logs}
mkdir -p "$logs"
logs=$(cd "$logs" && pwd)

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "== installing the nightly toolchain (cargo-fuzz needs it)"
  rustup toolchain install nightly --profile minimal || exit 1
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || exit 1
fi

all=$(cargo +nightly fuzz list) || exit 1
if [ $# -eq 0 ]; then
  set -- $all
fi
for t in "$@"; do
  if ! grep -qx "$t" <<<"$all"; then
    echo "no fuzz target $t (targets: $(echo $all))" >&2
    exit 2
  fi
done

# The fuzz workspace has its own Cargo.lock. Left to re-resolve it (a new
# dependency of a crate it fuzzes), cargo moves notatin to nom 8, which it
# does not build with: the lock must already hold every dependency.
cargo +nightly metadata --manifest-path Cargo.toml --locked --format-version 1 >/dev/null 2>&1 || {
  echo "fuzz/Cargo.lock is out of date: run 'cargo +nightly metadata --manifest-path fuzz/Cargo.toml' and check that notatin still depends on nom 7.1.3 in it" >&2
  exit 1
}

echo "== building the fuzz targets (sanitizer $sanitizer${FUZZ_BUILD_FLAGS:+, $FUZZ_BUILD_FLAGS})"
start=$(date +%s)
one=()
if [ $# -eq 1 ]; then one=("$1"); fi
nice -n 19 cargo +nightly fuzz build --sanitizer "$sanitizer" "${build_flags[@]}" "${one[@]}" >"$logs/build.log" 2>&1 || {
  tail -40 "$logs/build.log"
  echo "the fuzz targets did not build"
  exit 1
}
echo "built in $(($(date +%s) - start)) s"

# Scratch files of the targets (temporary zips, indicator lists) go here,
# removed at the end.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run_one() {
  local t=$1
  local log="$logs/$t.log"
  local t0
  t0=$(date +%s)
  mkdir -p "corpus/$t"
  TMPDIR="$scratch" nice -n 19 cargo +nightly fuzz run --sanitizer "$sanitizer" "${build_flags[@]}" "$t" -- \
    -max_total_time="$seconds" -runs="$runs" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 >"$log" 2>&1
  local code=$?
  echo "$code $(($(date +%s) - t0))" >"$logs/$t.status"
}

for t in "$@"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n
  done
  echo "== $t"
  run_one "$t" &
done
wait

failed=0
printf '%-20s %-8s %12s %9s %7s %8s\n' target result executions exec/s seconds corpus
for t in "$@"; do
  log="$logs/$t.log"
  read -r code secs <"$logs/$t.status"
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ -z "$execs" ]; then
    execs=$(sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' "$log" | tail -1)
  fi
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "corpus/$t" -type f | wc -l)
  result=ok
  if [ "$code" != 0 ]; then
    failed=1
    result=FAILED
  fi
  printf '%-20s %-8s %12s %9s %7s %8s\n' "$t" "$result" "${execs:-?}" "${rate:-?}" "$secs" "$corpus"
done
if [ "$failed" != 0 ]; then
  for t in "$@"; do
    read -r code _ <"$logs/$t.status"
    if [ "$code" != 0 ]; then
      echo
      echo "== $t failed (exit $code); the end of its log ($logs/$t.log):"
      grep -E 'ERROR|panicked|SUMMARY|Test unit written|Timeout|out-of-memory|leak' "$logs/$t.log" | head -20
      tail -25 "$logs/$t.log"
    fi
  done
  echo
  echo "fuzzing found a problem: reproduce with"
  echo "  cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/<file>"
fi
exit $failed

#!/usr/bin/env bash
# Benchmark (issue 18): the fleet server, `exhunt serve`, on SQLite and on
# PostgreSQL. N realistic reports (default 30,000, one per server) are
# uploaded into each, then the read API is timed.
# Not a test: run by hand and copy the table to RESULTS.md.
#
#   bash bench/fleet.sh                                  # both databases, own PostgreSQL cluster
#   EXHUNT_BENCH_PG=postgres://postgres@127.0.0.1:55432/postgres bash bench/fleet.sh
#   N=3000 DBS=sqlite bash bench/fleet.sh                # a quick look
#
# Knobs: N (reports = servers, default 30000), ORGS (organisations, default
# 3000), CONC (uploads in flight, default 8), READS (requests per read,
# default 50), DBS ("sqlite postgres"), EXHUNT (the binary, default
# target/release/exhunt), EXHUNT_BENCH_PG (an admin URL of a running
# PostgreSQL: a database fleetbench_<pid> is made there and dropped at the
# end; without it the script starts its own cluster, initdb as user
# postgres into a temporary folder on a free port, stopped and removed at
# the end), KEEP=1 (keep the work folder: templates, tokens, results,
# server logs, the SQLite file; and the database made in EXHUNT_BENCH_PG),
# TMPDIR (where the work folder and so the SQLite file go; /dev/shm: no
# fsync cost).
#
# The reports (crates/fleetbench, `exhunt-fleetbench run`) are made from
# templates the real scanner writes:
#   - clean: `exhunt scan` of `exhunt-testgen server --bytes 20M` (30 days
#     of one server's benign logs; the scanner says `inconclusive`, its logs
#     starting after ProxyLogon began: so does the driver for a server of
#     this class given an exposed build, `clean` on a patched one);
#   - compromised: the bundled example (examples/proxylogon-compromised) and
#     a planted server tree (`exhunt-testgen server --plant`), alternately;
#   - attempted: the example's report with only its findings of verdict
#     `attempted` kept (`exhunt-fleetbench derive`); exploited: the planted
#     tree's with those of verdict `attempted` and `exploited`.
# Each server gets its host name (srv-000001...), an organisation
# (skewed: a few large, most small), a real Exchange 2016/2019 build from
# rules/exchange-builds.csv with its exposure (`exhunt build`), attacker
# addresses, web-shell names and hashes from shared pools (skewed: the
# first address is on about a quarter of the servers with findings), in the
# proportions 60% clean, 25% attempted, 10% exploited, 5% compromised;
# uploaded gzipped as `exhunt upload` sends them.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-30000}
ORGS=${ORGS:-3000}
CONC=${CONC:-8}
READS=${READS:-50}
DBS=${DBS:-sqlite postgres}
EXHUNT=${EXHUNT:-target/release/exhunt}
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

if ! "$EXHUNT" serve --help > /dev/null 2>&1; then
  echo "building $EXHUNT (release) ..." >&2
  cargo build --release -q -p exhunt
  EXHUNT=target/release/exhunt
fi
FLEETBENCH=target/release/exhunt-fleetbench
cargo build --release -q -p exhunt-fleetbench
TESTGEN=target/release/exhunt-testgen
[ -x "$TESTGEN" ] || cargo build --release -q -p exhunt-testgen

WORK=$(mktemp -d "${TMPDIR:-/tmp}/exhunt-fleet.XXXXXX")
SERVER_PID=
PG_OWN=
PG_ADMIN=
PG_DB=
cleanup() {
  [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2> /dev/null || true
  if [ -n "$PG_DB" ] && [ -n "$PG_ADMIN" ]; then
    if [ "${KEEP:-}" = 1 ] && [ -z "$PG_OWN" ]; then
      echo "kept database ${PG_ADMIN%/*}/$PG_DB (drop it when done)" >&2
    else
      psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $PG_DB" > /dev/null 2>&1 || true
    fi
  fi
  if [ -n "$PG_OWN" ]; then
    as_postgres "$PGBIN/pg_ctl" -D "$PG_OWN" -m fast -w stop > /dev/null 2>&1 || true
    rm -rf "$PG_OWN"
  fi
  if [ "${KEEP:-}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
# `exhunt scan` exits with the verdict (0, 5, 10, 20, 30, +1); 2 is an error.
scan_json() {
  local rc=0
  "$EXHUNT" scan -q --format json "$1" > "$2" || rc=$?
  [ "$rc" != 2 ] || { echo "scan of $1 failed" >&2; exit 2; }
}

echo "templates ..." >&2
"$TESTGEN" server "$WORK/clean" --bytes 20M --seed 5 2> /dev/null
"$TESTGEN" server "$WORK/plant" --bytes 20M --seed 7 --plant 2> /dev/null
scan_json "$WORK/clean" "$WORK/clean.json"
scan_json "$WORK/plant" "$WORK/plant.json"
scan_json examples/proxylogon-compromised "$WORK/example.json"
"$FLEETBENCH" derive --verdict attempted "$WORK/example.json" > "$WORK/attempted.json"
"$FLEETBENCH" derive --verdict exploited "$WORK/plant.json" > "$WORK/exploited.json"
rm -rf "$WORK/clean" "$WORK/plant"
# Every Exchange 2016 and 2019 build, as `exhunt build` explains it (it
# exits 10 when one of them is exposed).
# shellcheck disable=SC2046
"$EXHUNT" build --format json $(awk -F, '$1 == "2016" || $1 == "2019" { print $4 }' rules/exchange-builds.csv) > "$WORK/builds.json" || true
jq -e '.results | length > 0' "$WORK/builds.json" > /dev/null

# Organisations and their tokens, made with the CLI (one process each,
# four at a time: about 5 ms an organisation on SQLite), plus an analyst
# token for the reads.
make_orgs() {
  local db=$1
  seq -f "org%05g" 1 "$ORGS" | xargs -P 4 -I{} sh -c \
    'printf "%s\t%s\n" "$2" "$("$0" serve --database "$1" org add "$2" 2> /dev/null)"' "$EXHUNT" "$db" {} \
    > "$WORK/tokens.unsorted"
  sort "$WORK/tokens.unsorted" > "$WORK/tokens"
  [ "$(grep -c "	exh_" "$WORK/tokens")" = "$ORGS" ] || { echo "org add failed" >&2; exit 2; }
  "$EXHUNT" serve --database "$db" token add --analyst 2> /dev/null
}

# Server CPU seconds (user + system) of a process.
cpu_of() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

bench_db() {
  local name=$1 db=$2 analyst t0 port
  echo "$name: $ORGS organisations ..." >&2
  t0=$(date +%s%N)
  analyst=$(make_orgs "$db")
  echo "$name: organisations made in $(( ($(date +%s%N) - t0) / 1000000 )) ms" >&2
  "$EXHUNT" serve --listen 127.0.0.1:0 --database "$db" --rate-limit 0 2> "$WORK/serve-$name.log" &
  SERVER_PID=$!
  for _ in $(seq 100); do
    grep -q "listening on" "$WORK/serve-$name.log" && break
    sleep 0.1
  done
  port=$(grep -o 'listening on http://[0-9.:]*' "$WORK/serve-$name.log" | sed 's/.*://')
  [ -n "$port" ] || { cat "$WORK/serve-$name.log" >&2; exit 2; }
  echo "$name: $N reports, $CONC in flight ..." >&2
  "$FLEETBENCH" run --url "http://127.0.0.1:$port" --tokens "$WORK/tokens" --analyst "$analyst" \
    --builds "$WORK/builds.json" --clean "$WORK/clean.json" --attempted "$WORK/attempted.json" \
    --exploited "$WORK/exploited.json" --compromised "$WORK/example.json,$WORK/plant.json" \
    -n "$N" --concurrency "$CONC" --reads "$READS" > "$WORK/$name.json"
  cpu_of "$SERVER_PID" > "$WORK/$name.cpu"
  if [ "$name" = sqlite ]; then
    # The database file and its write-ahead log, the server still running.
    du -b "$WORK/fleet.db"* >&2
    cat "$WORK/fleet.db" "$WORK/fleet.db-wal" 2> /dev/null | wc -c > "$WORK/sqlite.size"
  fi
  kill -INT "$SERVER_PID"
  wait "$SERVER_PID" || true
  SERVER_PID=
}

for d in $DBS; do
  case $d in
    sqlite)
      bench_db sqlite "$WORK/fleet.db"
      ;;
    postgres)
      if [ -n "${EXHUNT_BENCH_PG:-}" ]; then
        PG_ADMIN=$EXHUNT_BENCH_PG
      else
        PG_OWN=$(mktemp -d /tmp/exhunt-fleet-pg.XXXXXX)
        [ "$(id -u)" != 0 ] || chown postgres "$PG_OWN"
        port=55433
        while (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do port=$((port + 1)); done
        as_postgres "$PGBIN/initdb" -D "$PG_OWN" -U postgres -A trust > /dev/null
        as_postgres "$PGBIN/pg_ctl" -D "$PG_OWN" -l "$PG_OWN/log" -w \
          -o "-p $port -k $PG_OWN -c listen_addresses=127.0.0.1" start > /dev/null
        PG_ADMIN=postgres://postgres@127.0.0.1:$port/postgres
      fi
      PG_DB=fleetbench_$$
      psql -q "$PG_ADMIN" -c "CREATE DATABASE $PG_DB" > /dev/null
      pg_url=${PG_ADMIN%/*}/$PG_DB
      bench_db postgres "$pg_url"
      psql -At "$pg_url" -c "SELECT pg_database_size(current_database())" > "$WORK/postgres.size"
      ;;
    *) echo "unknown database $d (sqlite, postgres)" >&2; exit 2 ;;
  esac
done

echo
echo "N=$N reports (one per server), $ORGS organisations, $CONC uploads in flight, $READS requests per read, $(nproc) cores, $(date -u +%F)"
args=()
for d in $DBS; do args+=("$d=$WORK/$d.json,$(cat "$WORK/$d.size"),$(cat "$WORK/$d.cpu")"); done
"$FLEETBENCH" table "${args[@]}"
for d in $DBS; do
  echo
  echo "$d: generated and shared indicators"
  jq -c '.generated | del(.templates)' "$WORK/$d.json" 2> /dev/null || true
  jq -c '.reads.shared' "$WORK/$d.json" 2> /dev/null || true
done

#!/usr/bin/env bash
# The benchmark, end to end: the first start on a new SQLite file (bench/first_start.py), a
# throwaway PostgreSQL, the generated dataset, the release server
# with a participant organisation's token, our own load (bench/bench.py), the side-by-side run
# against PostGraphile 5 (../shared/bench/peer.sh) and the same load over SQLite. Prints the
# tables, writes them with JSON to OUT, and stops everything it started.
#
#   bench/run.sh                  scale 1, 10 s cells, peer rounds x3, then SQLite (~15 minutes)
#   bench/run.sh --quick          scale 1, 3 s cells, one peer round, no SQLite (~2-3 minutes)
#   bench/run.sh --scale 10       ten times the data
#   bench/run.sh --no-peer        only our own load
#   bench/run.sh --no-cache       our server without its response cache (the engine alone)
#   bench/run.sh --out DIR        where results go (default: a new /tmp/regiograaf-bench.*)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

scale=1 quick=0 peer=1 sqlite=1 out="" server_args=()
duration=10 warmup=3 repeat=3 subscribers=100 events=50
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 duration=3 warmup=1 repeat=1 sqlite=0 subscribers=50 events=20 ;;
    --scale) scale=$2; shift ;;
    --no-peer) peer=0 ;;
    --no-sqlite) sqlite=0 ;;
    --no-cache) server_args+=(--response-cache-mb 0) ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$(mktemp -d /tmp/regiograaf-bench.XXXXXX)}
mkdir -p "$out"
die() { echo "bench/run.sh: $*" >&2; exit 1; }
for tool in initdb pg_ctl psql python3 node cargo; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH"
done
peer_sh=${PEER_SH:-$root/../shared/bench/peer.sh}
[ "$peer" = 0 ] || [ -x "$peer_sh" ] || [ -f "$peer_sh" ] || die "peer.sh not found at $peer_sh (set PEER_SH, or --no-peer)"

echo "== building the release server"
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-$root/target}/release/regiograaf

echo "== first start: a new SQLite file, migrated and loaded with the bundled agendas, until ready"
python3 bench/first_start.py --bin "$bin" --out "$out/first_start"

# Everything started here is stopped on exit, whatever happens.
pg_dir=$(mktemp -d /tmp/regiograaf-bench-pg.XXXXXX)
as_pg=()
if [ "$(id -u)" = 0 ]; then chown postgres "$pg_dir"; as_pg=(runuser -u postgres --); fi
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  "${as_pg[@]}" pg_ctl -D "$pg_dir/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pg_port=$(free_port)
echo "== throwaway PostgreSQL on port $pg_port"
"${as_pg[@]}" initdb -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
# synchronous_commit=off for both servers alike: the benchmark measures the servers, not the disk.
"${as_pg[@]}" pg_ctl -D "$pg_dir/data" -l "$pg_dir/log" -w -t 30 start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=256MB -c synchronous_commit=off" >/dev/null
db="postgres://postgres@127.0.0.1:$pg_port/regiograaf"
psql -q "postgres://postgres@127.0.0.1:$pg_port/postgres" -c "create database regiograaf"

echo "== generating scale $scale and importing it"
data="$out/data"
python3 bench/generate.py --scale "$scale" --out "$data"
"$bin" --database-url "$db" migrate
start=$(date +%s.%N)
"$bin" --database-url "$db" import "$data" | tail -1
echo "   import took $(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')") s"
psql -q "$db" -c "analyze"

org=welzijn-00041   # takes part in 41 initiatives of regio-000, the most of any party there
token=$("$bin" --database-url "$db" token --auth-config bench/auth.yaml --org "$org" --role editor --ttl 4h)
# S1 syncs as another party of the region, so the load's organisation keeps its relations.
sync_token=$("$bin" --database-url "$db" token --auth-config bench/auth.yaml --org vvt-00019 --role editor --ttl 4h)
ids=$(psql -AtX "$db" -c "select string_agg(ip.initiative_id::text, ',' order by ip.initiative_id) from initiative_party ip join party p on p.id = ip.party_id where p.code = '$org'")
fanout_ids=$(python3 -c "print(','.join('Initiative:' + i for i in '$ids'.split(',')))")
oha_bin=${PEER_CACHE:-$HOME/.cache/regiograaf-peer}/oha/bin/oha
[ -x "$oha_bin" ] || bash "$peer_sh" install
[ -x "$oha_bin" ] || die "oha is missing at $oha_bin (peer.sh install puts it there)"

# Limits stay on (depth, complexity, ...) but the rate and cost budgets are raised: the load is
# one organisation sending thousands of requests a second on purpose.
serve() { # DATABASE_URL
  local port; port=$(free_port)
  RUST_LOG=warn "$bin" --database-url "$1" --auth-config bench/auth.yaml serve --listen "127.0.0.1:$port" --no-seed \
    --rate-per-minute 100000000 --rate-burst 10000000 --cost-per-minute 4000000000 --cost-burst 4000000000 "${server_args[@]}" \
    >"$out/server.log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port/graphql"
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.1; done
  cat "$out/server.log" >&2; die "the server did not become ready"
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
ours() { # LABEL DIR
  python3 bench/bench.py --url "$url" --pid "$server_pid" --token "$token" --oha "$oha_bin" --out "$2" --label "$1" \
    --duration "$duration" --warmup "$warmup" --fanout-ids "$fanout_ids" --sync-token "$sync_token" --subscribers "$subscribers" --events "$events"
}

echo "== our server on PostgreSQL, scale $scale"
serve "$db"
# The side-by-side run first: our own run's S1 adds 10,000 initiatives to agenda-000.
if [ "$peer" = 1 ]; then
  echo "== side by side with PostGraphile 5 on the same database"
  bash "$peer_sh" --db "$db" --ours "$url" --header "authorization: Bearer $token" --queries bench/queries \
    --duration "$duration" --warmup "$warmup" --repeat "$repeat" --out "$out/peer"
fi
echo "== our own figures"
ours "PostgreSQL, scale $scale" "$out/postgres"
stop

if [ "$sqlite" = 1 ]; then
  echo "== our server on SQLite, scale $scale"
  sqlite="sqlite://$out/bench.sqlite?mode=rwc"
  "$bin" --database-url "$sqlite" import "$data" | tail -1
  serve "$sqlite"
  ours "SQLite, scale $scale" "$out/sqlite"
  stop
fi

echo
echo "== results in $out"
cat "$out/first_start/first_start.md"
echo
cat "$out/postgres/ours.md"
[ "$sqlite" = 0 ] || { echo; cat "$out/sqlite/ours.md"; }
[ "$peer" = 0 ] || { echo; echo "## side by side (ratio = ours / PostGraphile 5)"; echo; cat "$out/peer/results.md"; }

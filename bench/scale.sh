#!/usr/bin/env bash
# bench/scale.sh: the scale benchmark of issue 19, in one command.
#
# Proves, on PostgreSQL seeded with 100,000 customers and 1,000,000 resets, one request
# at a time (examples/latency_probe): that a page deep in a list (after position 900,000
# of the resets, 90,000 of the customers) costs about what the first page costs, under
# the default sort and under a nullable one (reference; and the resets' page after
# position 500,000 under referenceOrigin, inside a run of 666,667 equal values), with
# cursors the service itself handed out while walking the whole list (bench/walk.py,
# pages of 25, timed); and that the first page under every filter of the reset and
# customer lists answers in milliseconds. Writes bench/scale-results.md: scenario, p50, p99, deep/first ratio,
# PASS/MISS against the targets (deep page within 2x the first page's p50; every filter's
# first page p50 under 10 ms).
#
# Needs: cargo, psql (PostgreSQL reachable as SCALE_PG, trust auth, superuser: it creates
# the database rg_scale and keeps it), curl, jq, python3.
#
# Settings (environment): SCALE_SEED (1: drop, recreate and seed rg_scale, about 10
# minutes; 0: reuse it and the files the last seed wrote to SCALE_DIR), SCALE_CUSTOMERS
# (100000), SCALE_RESETS (1000000), SCALE_SECONDS (3 s per probe, after 1 s of warm-up),
# SCALE_PG (postgres://postgres@127.0.0.1:5432), SCALE_PORT (4181), SCALE_DIR
# (/tmp/rg-scale), SCALE_BUILD (1; 0 reuses the release binaries).
set -euo pipefail
shopt -s inherit_errexit

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
WORK=${SCALE_DIR:-/tmp/rg-scale}
SEED=${SCALE_SEED:-1}
CUSTOMERS=${SCALE_CUSTOMERS:-100000}
RESETS=${SCALE_RESETS:-1000000}
SECONDS_EACH=${SCALE_SECONDS:-3}
PG=${SCALE_PG:-postgres://postgres@127.0.0.1:5432}
DB_NAME=rg_scale
DB=$PG/$DB_NAME
PORT=${SCALE_PORT:-4181}
URL=http://127.0.0.1:$PORT
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}/release
BIN=$TARGET/reset-gateway
RESULTS=$WORK/results.jsonl
STARTED=$(date +%s)
SERVICE_PID=

say() { printf '\n== %s (%ss)\n' "$*" $(($(date +%s) - STARTED)) >&2; }
die() { echo "scale: $*" >&2; exit 1; }
psql_admin() { psql "$PG/postgres" -v ON_ERROR_STOP=1 -qAtc "$1"; }

for tool in cargo psql curl jq python3 nice; do
  command -v $tool >/dev/null || die "$tool is missing (Debian: apt-get install postgresql-client jq)"
done

cleanup() {
  if [ -n "$SERVICE_PID" ]; then kill "$SERVICE_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

mkdir -p "$WORK/data"
: >"$RESULTS"

if [ "${SCALE_BUILD:-1}" = 1 ]; then
  say "building the release binary and examples"
  cargo build --release --locked --bin reset-gateway --example seed --example latency_probe
fi

# --- data ---------------------------------------------------------------------------------

if [ "$SEED" = 1 ]; then
  say "seeding $DB_NAME: $CUSTOMERS customers, $RESETS resets"
  psql_admin "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)"
  psql_admin "CREATE DATABASE $DB_NAME"
  nice -n 10 "$TARGET/examples/seed" --database-url "$DB" --customers "$CUSTOMERS" \
    --resets "$RESETS" --out "$WORK/data"
  # Planner statistics, as autovacuum would gather them (it is off on some servers).
  psql "$DB" -qc ANALYZE
else
  [ -s "$WORK/data/resets.tsv" ] || die "SCALE_SEED=0 needs the files of a previous seed in $WORK/data"
  say "reusing $DB_NAME (SCALE_SEED=0)"
fi
read -r have_customers have_resets < <(psql "$DB" -qAt -F' ' -c \
  "SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM customer_password_resets)")
echo "  $have_customers customers, $have_resets resets" >&2
[ "$have_resets" -ge "$RESETS" ] || die "$DB_NAME holds $have_resets resets, fewer than $RESETS: seed it (SCALE_SEED=1)"

# --- service ------------------------------------------------------------------------------

say "starting the release service on $URL"
client=$(DATABASE_URL=$DB "$BIN" credentials create --role integration --mode test \
  --name scale-bench --json 2>>"$WORK/cli.log")
# The rate limits stay on, raised so that they never refuse the walks.
env DATABASE_URL="$DB" LISTEN_ADDR="127.0.0.1:$PORT" RATE_LIMIT_GRAPHQL=1000000000 \
  RATE_LIMIT_RESET_CREATIONS=1000000000 RATE_LIMIT_REDEMPTIONS=1000000000 \
  RATE_LIMIT_TOKEN=1000000 NO_COLOR=1 "$BIN" serve >"$WORK/service.log" 2>&1 &
SERVICE_PID=$!
for _ in $(seq 100); do
  curl -fs "$URL/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "$URL/health" >/dev/null || die "the service did not start: see $WORK/service.log"
TOKEN=$(jq -c '{grant_type: "client_credentials", client_id, client_secret}' <<<"$client" |
  curl -fs "$URL/oauth/token" -H 'Content-Type: application/json' -d @- | jq -er .access_token)

graphql() { # BODY: the answer, which must carry no errors
  local answer
  answer=$(curl -fs "$URL/graphql" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$1")
  jq -e '.errors == null' >/dev/null <<<"$answer" || die "errors for $1: $answer"
  echo "$answer"
}

# --- scenarios ----------------------------------------------------------------------------

RESET_NODE='edges { cursor node { id status customer { id email } } }'
CUSTOMER_NODE='edges { cursor node { id email reference } }'
reset_doc() { # the resets page, with $filter, $sort, $first and $after
  echo "query(\$filter: CustomerPasswordResetFilter, \$sort: CustomerPasswordResetSort, \$first: Int, \$after: String) { customerPasswordResets(filter: \$filter, sort: \$sort, first: \$first, after: \$after) { pageInfo { hasNextPage endCursor } $RESET_NODE } }"
}
customer_doc() {
  echo "query(\$filter: CustomerFilter, \$sort: CustomerSort, \$first: Int, \$after: String) { customers(filter: \$filter, sort: \$sort, first: \$first, after: \$after) { pageInfo { hasNextPage endCursor } $CUSTOMER_NODE } }"
}

probe() { # NAME KIND BODY: checks the answer holds records, then times it one at a time
  local name=$1 kind=$2 body=$3 answer records result
  answer=$(graphql "$body")
  records=$(jq '[.data[] | .edges | length] | add' <<<"$answer")
  [ "$records" -gt 0 ] || die "$name matches no record: $body"
  echo "$body" >"$WORK/$name.jsonl"
  "$TARGET/examples/latency_probe" --url "$URL/graphql" --bodies "$WORK/$name.jsonl" \
    --token "$TOKEN" --seconds 1 >/dev/null
  result=$("$TARGET/examples/latency_probe" --url "$URL/graphql" --bodies "$WORK/$name.jsonl" \
    --token "$TOKEN" --seconds "$SECONDS_EACH")
  jq -c --arg name "$name" --arg kind "$kind" --argjson records "$records" \
    '. + {scenario: $name, kind: $kind, records: $records}' <<<"$result" | tee -a "$RESULTS" |
    jq -r '"  \(.scenario): p50 \(.p50_us / 1000) ms, p99 \(.p99_us / 1000) ms, \(.requests) requests, errors \(.non2xx + .socket_errors + .gql_errors)"' >&2
}

walk() { # NAME DOC ROOT VARIABLES POSITION: walks the list, prints the cursor at POSITION
  local name=$1 doc=$2 root=$3 variables=$4 position=$5 result
  result=$(python3 bench/walk.py --url "$URL/graphql" --token "$TOKEN" --query "$doc" \
    --root "$root" --variables "$variables" --keep "$position")
  jq -c --arg name "$name" '{scenario: $name, kind: "walk", records, pages, seconds, request_seconds}' \
    <<<"$result" | tee -a "$RESULTS" |
    jq -r '"  \(.scenario): \(.records) records in \(.pages) pages, \(.seconds) s (\(.request_seconds) s waiting for answers)"' >&2
  jq -er --arg p "$position" '.cursors[$p]' <<<"$result"
}

first_and_deep() { # NAME DOC ROOT SORT POSITION: the first page, the page after POSITION
  local name=$1 doc=$2 root=$3 sort=$4 position=$5 cursor
  say "$name: walking the whole list in pages of 25"
  cursor=$(walk "walk_$name" "$doc" "$root" "{\"sort\": $sort}" "$position")
  probe "${name}_first" first "$(jq -nc --arg q "$doc" --argjson sort "$sort" \
    '{query: $q, variables: {sort: $sort, first: 25}}')"
  probe "${name}_after_$position" deep "$(jq -nc --arg q "$doc" --argjson sort "$sort" \
    --arg after "$cursor" '{query: $q, variables: {sort: $sort, first: 25, after: $after}}')"
}

DEEP_RESETS=$((RESETS * 9 / 10))
DEEP_CUSTOMERS=$((CUSTOMERS * 9 / 10))
first_and_deep resets "$(reset_doc)" customerPasswordResets '{"field": "CREATED_AT"}' "$DEEP_RESETS"
first_and_deep resets_by_reference "$(reset_doc)" customerPasswordResets '{"field": "REFERENCE"}' "$DEEP_RESETS"
# Two thirds of the seeded origins are one value: the deep page lies inside that run of ties.
first_and_deep resets_by_reference_origin "$(reset_doc)" customerPasswordResets '{"field": "REFERENCE_ORIGIN"}' "$((RESETS / 2))"
first_and_deep customers "$(customer_doc)" customers '{"field": "CREATED_AT"}' "$DEEP_CUSTOMERS"
first_and_deep customers_by_reference "$(customer_doc)" customers '{"field": "REFERENCE"}' "$DEEP_CUSTOMERS"

say "the first page under each filter"
filter_probe() { # NAME DOC FILTER
  probe "filter_$1" filter "$(jq -nc --arg q "$2" --argjson filter "$3" \
    '{query: $q, variables: {filter: $filter, first: 25}}')"
}
# Values that match some records: from the files the seed wrote.
customer_id=$(sed -n 4200p "$WORK/data/customers.tsv" | cut -f1)
customer_email=$(sed -n 4200p "$WORK/data/customers.tsv" | cut -f2)
token=$(awk -F'\t' '$3 == "pending" { n++; if (n == 10) { print $4; exit } }' "$WORK/data/resets.tsv")
[ -n "$token" ] || die "no token in $WORK/data/resets.tsv (a seed from before the tokens were written: SCALE_SEED=1)"
# Times relative to the newest reset, so that a kept database still has resets after them.
read -r hour_ago days_ago < <(psql "$DB" -qAt -F' ' -c \
  "SELECT to_char(max(created_at) - interval '1 hour', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
          to_char(max(created_at) - interval '20 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
   FROM customer_password_resets")
RESET_DOC=$(reset_doc)
CUSTOMER_DOC=$(customer_doc)
filter_probe customerEmailEq "$RESET_DOC" "{\"customerEmailEq\": \"$customer_email\"}"
filter_probe customerEmailCont "$RESET_DOC" '{"customerEmailCont": "customer-0421"}'
filter_probe customerIdEq "$RESET_DOC" "{\"customerIdEq\": \"$customer_id\"}"
filter_probe resetPasswordTokenEq "$RESET_DOC" "{\"resetPasswordTokenEq\": \"$token\"}"
filter_probe resetPasswordAtNull_true "$RESET_DOC" '{"resetPasswordAtNull": true}'
filter_probe resetPasswordAtNull_false "$RESET_DOC" '{"resetPasswordAtNull": false}'
filter_probe createdAtGt "$RESET_DOC" "{\"createdAtGt\": \"$hour_ago\"}"
filter_probe createdAtGteq "$RESET_DOC" "{\"createdAtGteq\": \"$hour_ago\"}"
filter_probe createdAtLt "$RESET_DOC" "{\"createdAtLt\": \"$days_ago\"}"
filter_probe createdAtLteq "$RESET_DOC" "{\"createdAtLteq\": \"$days_ago\"}"
filter_probe referenceEq "$RESET_DOC" '{"referenceEq": "ticket-004242"}'
filter_probe metadataJcont "$RESET_DOC" '{"metadataJcont": {"channel": "support"}}'
filter_probe metadataJcont_two_keys "$RESET_DOC" '{"metadataJcont": {"channel": "support", "batch": 42}}'
filter_probe customers_emailEq "$CUSTOMER_DOC" "{\"emailEq\": \"$customer_email\"}"
filter_probe customers_emailCont "$CUSTOMER_DOC" '{"emailCont": "customer-0421"}'
filter_probe customers_emailStart "$CUSTOMER_DOC" '{"emailStart": "bench-customer-0421"}'
filter_probe customers_hasPasswordEq "$CUSTOMER_DOC" '{"hasPasswordEq": true}'
filter_probe customers_referenceEq "$CUSTOMER_DOC" '{"referenceEq": "crm-04242"}'

kill "$SERVICE_PID"
wait "$SERVICE_PID" || true
SERVICE_PID=

say "report"
python3 bench/scale_report.py "$RESULTS" \
  --note "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $have_customers customers and $have_resets resets, PostgreSQL $(psql_admin 'SHOW server_version'), load $(cut -d' ' -f1-3 /proc/loadavg)" |
  tee bench/scale-results.md

#!/usr/bin/env bash
# Runs the Node.js client tests (clients/tests) against a reset-gateway binary:
#
#   clients/run.sh target/debug/reset-gateway
#
# Makes a temp dir with a fresh SQLite database, creates an integration and a sales
# channel credential with the binary, serves on a free port from the repository root
# (CORS for http://localhost:5173, GraphiQL assets from vendor/graphiql, see
# scripts/fetch-graphiql.sh; webhooks may call loopback, where the tests' receivers
# listen), waits for /health, then runs `npm test` in clients/ with
# the environment the tests read. The server is always stopped; on failure the tail of
# its log is printed. Exits with the tests' status.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 PATH/TO/reset-gateway" >&2
    exit 2
fi
binary="$(realpath "$1")"
if [[ ! -x "$binary" ]]; then
    echo "$1 is not an executable file" >&2
    exit 2
fi
clients="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$clients")"

work="$(mktemp -d -t reset-gateway-clients.XXXXXX)"
log="$work/server.log"
server_pid=""

finish() {
    local status=$?
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [[ "$status" -ne 0 && -f "$log" ]]; then
        echo "--- last 50 lines of the server log ($log)" >&2
        tail -n 50 "$log" >&2
    fi
    if [[ "$status" -eq 0 ]]; then
        rm -rf "$work"
    else
        echo "--- kept $work for inspection" >&2
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

export DATABASE_URL="sqlite://$work/gateway.db"

json_field() { # json_field FIELD < JSON
    node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[process.argv[1]] ?? ""))' "$1"
}
create_credential() { # create_credential ROLE NAME
    "$binary" credentials create --role "$1" --mode test --name "$2" --json \
        || { echo "could not create the $1 credential" >&2; return 1; }
}
integration="$(create_credential integration clients-integration)"
sales_channel="$(create_credential sales_channel clients-storefront)"
INTEGRATION_CLIENT_ID="$(json_field client_id <<<"$integration")"
INTEGRATION_CLIENT_SECRET="$(json_field client_secret <<<"$integration")"
SALES_CHANNEL_CLIENT_ID="$(json_field client_id <<<"$sales_channel")"
export INTEGRATION_CLIENT_ID INTEGRATION_CLIENT_SECRET SALES_CHANNEL_CLIENT_ID

# A port the kernel says is free right now.
port="$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"
export GATEWAY_URL="http://127.0.0.1:$port"
export GRAPHIQL_ASSETS="$repo/vendor/graphiql"

(
    cd "$repo"
    CORS_ORIGINS=http://localhost:5173 WEBHOOK_ALLOW_PRIVATE_NETWORKS=true \
        exec "$binary" --listen "127.0.0.1:$port"
) >"$log" 2>&1 &
server_pid=$!

for _ in $(seq 1 100); do
    if curl -fsS "$GATEWAY_URL/health" >/dev/null 2>&1; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server exited before it was ready" >&2
        exit 1
    fi
    sleep 0.2
done
curl -fsS "$GATEWAY_URL/health" >/dev/null || { echo "the server is not healthy at $GATEWAY_URL" >&2; exit 1; }
echo "reset-gateway is up at $GATEWAY_URL (data and log in $work)"

export SCHEMA_PATH="$repo/schema.graphql"
export SCREENSHOT_PATH="$repo/target/graphiql.png"
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"

cd "$clients"
if [[ ! -d node_modules ]]; then
    npm ci
fi
npm test

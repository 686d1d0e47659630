#!/usr/bin/env bash
# bench/webhooks.sh: the webhook benchmark of issue 18, in one command.
#
# Builds and runs examples/webhook_bench in release: the service in-process on a fresh
# SQLite file and on a fresh PostgreSQL database (created on BENCH_PG and dropped at the
# end), default configuration apart from rate limits off and private networks allowed
# (the receiver is on loopback); a receiver on loopback. Measures delivery latency (events
# one at a time), the live throughput of a burst and the drain of a full outbox; prints a
# markdown table and writes it to bench/webhook-results.md. See bench/README.md.
#
# Settings (environment): BENCH_PG (postgres://postgres@127.0.0.1:5432, a user who may
# create databases), BENCH_LATENCY_EVENTS (200), BENCH_BURST_EVENTS (2000),
# BENCH_CLIENTS (16), BENCH_BACKENDS (sqlite,postgres), BENCH_RUNS (3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export BENCH_PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}

cargo run --release --example webhook_bench -- \
    --runs "${BENCH_RUNS:-3}" \
    --latency-events "${BENCH_LATENCY_EVENTS:-200}" \
    --burst-events "${BENCH_BURST_EVENTS:-2000}" \
    --clients "${BENCH_CLIENTS:-16}" \
    --backends "${BENCH_BACKENDS:-sqlite,postgres}" \
    --out bench/webhook-results.md

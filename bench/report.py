#!/usr/bin/env python3
"""Prints the benchmark's table and its targets (issue 6) as markdown.

Proves nothing by itself: it turns the figures bench/run.sh collected in one run
(WORK/results.jsonl, WORK/argon2.json, WORK/run.json) into the table, and computes every
target as a ratio within that run, with PASS or MISS.

usage: report.py WORK
"""
import json
import sys

LABELS = {
    "a25": "(a) `customerPasswordResets(first: 25)` with `customer`",
    "a10": "(a) the same, `first: 10`",
    "a5": "(a) the same, `first: 5`",
    "b25": "(b) `customers(first: 25)` with `passwordResets(first: 5)`",
    "b10": "(b) the same, `first: 10`",
    "b5": "(b) the same, `first: 5`",
    "c": "(c) `customerPasswordReset(id)`",
    "typename": "(f) `{ __typename }`",
    "health": "(f) `GET /health`",
    "c_probe_idle": "(c) probe, 1 connection, idle service",
    "e": "(e) `updateCustomerPasswordReset`, wrong token (argon2-bound)",
    "c_probe_under_e": "(c) probe, 1 connection, while (e) runs",
    "e_under_probe": "(e) while the (c) probe runs",
    "d": "(d) `createCustomerPasswordReset`",
}


def load(work):
    rows = [json.loads(line) for line in open(f"{work}/results.jsonl") if line.strip()]
    argon2 = json.load(open(f"{work}/argon2.json"))
    try:
        reuse = json.load(open(f"{work}/argon2-reuse.json"))
    except OSError:
        reuse = None
    run = json.load(open(f"{work}/run.json"))
    run["write_probes"] = [json.loads(line) for line in open(f"{work}/write-probes.jsonl")
                           if line.strip()]
    return rows, argon2, reuse, run


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def errors(row):
    total = row.get("non2xx", 0) + row.get("socket_errors", 0) + row.get("gql_errors", 0)
    text = str(total)
    if row.get("expected_errors"):
        text += f" (+{row['expected_errors']:,} expected refusals)"
    if row.get("locked"):
        text += f", {row['locked']} locked"
    return text


def table(rows, argon2, reuse):
    out = [
        "| backend | scenario | req/s | p50 ms | p99 ms | errors | SQL statements / request | peak RSS MiB |",
        "|---|---|---:|---:|---:|---|---:|---:|",
    ]
    peak = {}
    for row in rows:
        backend, name = row["backend"], row["scenario"]
        if name.startswith("pgbench_"):
            label = f"ceiling: pgbench running the SQL captured from ({name[8]})"
            rss = "–"
        else:
            label = LABELS.get(name, name)
            peak[backend] = max(peak.get(backend, 0), row.get("rss_hwm_kib", 0))
            rss = fmt(peak[backend] / 1024)
        spr = row.get("statements_per_request")
        out.append(
            f"| {backend} | {label} | {fmt(row['rps'])} | {fmt(row['p50_us'] / 1000, 2)} "
            f"| {fmt(row['p99_us'] / 1000, 2)} | {errors(row)} | {fmt(spr, 2)} | {rss} |"
        )
    for run in (argon2, reuse):
        if not run:
            continue
        how = "one buffer reused per thread (for comparison)" if run.get("reuse_memory") else \
            "as the service calls it"
        out.append(
            f"| – | ceiling: bare argon2id (m={run['m_kib']} KiB, t={run['t']}, p={run['p']}), "
            f"{run['threads']} threads, {how} | {fmt(run['rate'])} hashes/s | – | – | – | – "
            f"| {fmt(run.get('vm_hwm_kib', 0) / 1024)} |"
        )
    return out, peak


def targets(rows, argon2, run, peak):
    by = {(r["backend"], r["scenario"]): r for r in rows}

    def get(backend, name, field="rps"):
        row = by.get((backend, name))
        return None if row is None else row.get(field)

    checks = []

    def ratio(name, num, den, floor, what):
        if num is None or not den:
            checks.append((name, f"n/a ({what})", False))
            return
        value = num / den
        checks.append((name, f"{fmt(num)} / {fmt(den)} = {value:.0%} ({what})", value >= floor))

    ratio("(a) ≥ 50% of pgbench on the same SQL", get("postgres", "a25"),
          get("postgres", "pgbench_a25"), 0.5, "req/s over pgbench tps")
    ratio("(c) ≥ 50% of pgbench on the same SQL", get("postgres", "c"),
          get("postgres", "pgbench_c"), 0.5, "req/s over pgbench tps")
    for query in "ab":
        counts = [get("postgres", f"{query}{n}", "statements_per_request") for n in (5, 10, 25)]
        if None in counts:
            checks.append((f"({query}) constant SQL statements per request, at most 3",
                           "n/a (reset_gateway_db_statements is not in /metrics)", False))
        else:
            ok = max(counts) - min(counts) < 0.05 and max(counts) <= 3.05
            shown = ", ".join(f"{c:.2f}" for c in counts)
            checks.append((f"({query}) constant SQL statements per request, at most 3",
                           f"first: 5, 10, 25 → {shown}", ok))
    ratio("(f) `{ __typename }` ≥ 50% of `GET /health`", get("postgres", "typename"),
          get("postgres", "health"), 0.5, "req/s")
    ratio("(e) ≥ 90% of the bare argon2id rate", get("postgres", "e"), argon2["rate"], 0.9,
          "redeems/s over hashes/s")
    idle, busy = get("postgres", "c_probe_idle", "p99_us"), get("postgres", "c_probe_under_e", "p99_us")
    if idle and busy:
        checks.append(("(c) p99 while (e) saturates hashing ≤ 2× idle p99",
                       f"{busy / 1000:.2f} ms vs {idle / 1000:.2f} ms = {busy / idle:.2f}× "
                       f"(hashing pool at mid-run: {run.get('hashing') or 'n/a'})", busy <= 2 * idle))
    else:
        checks.append(("(c) p99 while (e) saturates hashing ≤ 2× idle p99", "n/a", False))
    for backend, kib in sorted(peak.items()):
        checks.append((f"peak RSS under 100 MiB ({backend})", f"{kib / 1024:.1f} MiB (VmHWM)",
                       kib < 100 * 1024))
    for name in ("a25", "c"):
        ratio(f"SQLite ({name[0]}) ≥ 50% of PostgreSQL", get("sqlite", name), get("postgres", name),
              0.5, "req/s")
    locked_log = int(run.get("sqlite_locked") or 0)
    locked_bodies = sum(get("sqlite", n, "locked") or 0 for n in ("d", "e"))
    write_errors = sum((get("sqlite", n, "gql_errors") or 0) + (get("sqlite", n, "non2xx") or 0)
                       for n in ("d", "e"))
    probes = [p for p in run["write_probes"] if p["backend"] == "sqlite"]
    slow = [p for p in probes if p["failed"] or p["ms"] > 1000]
    shown = ", ".join(f"after ({p['after']}) {p['ms']:,} ms{' failed' if p['failed'] else ''}"
                      for p in probes) or "none"
    checks.append(("SQLite writes (d, e): no `database is locked`",
                   f"{locked_log} in the service log, {locked_bodies} in answers, "
                   f"{write_errors} unexpected errors; one write right after the load stops: "
                   f"{shown}", locked_log == 0 and locked_bodies == 0 and write_errors == 0
                   and not slow))
    failing = [f"{r['backend']} {r['scenario']}" for r in rows
               if r.get("non2xx", 0) + r.get("socket_errors", 0) + r.get("gql_errors", 0)]
    checks.append(("no unexpected errors in any scenario", ", ".join(failing) or "none", not failing))
    out = ["| target | measured | result |", "|---|---|---|"]
    out += [f"| {name} | {measured} | {'PASS' if ok else '**MISS**'} |" for name, measured, ok in checks]
    return out


def main():
    work = sys.argv[1]
    rows, argon2, reuse, run = load(work)
    lines, peak = table(rows, argon2, reuse)
    limits = {
        "raised": "rate limits **raised by config** (`RATE_LIMIT_GRAPHQL=1000000000`, "
                  "`RATE_LIMIT_RESETS=1000000000`, `RATE_LIMIT_TOKEN=1000000`): every request "
                  "is still counted in the database, none is refused",
        "off": "rate limits **off by config** (`RATE_LIMIT_*=0`)",
    }[run["rate_limits"]]
    print("## Benchmark results\n")
    print(f"Machine: {run['nproc']} cores ({run['cpu']}), Linux {run['kernel']}, "
          f"PostgreSQL {run['pg']}; run {run['date']} at commit {run['commit']}, "
          f"{run['elapsed']} s in all; load average {run.get('load', 'n/a')} "
          "(the run itself keeps about 2 busy).  ")
    print(f"Load: wrk over loopback, {run['conns']} connections ({run['threads']} thread), "
          f"{run['duration']} s per scenario after {run['warmup']} s of warm-up; load "
          "generator, service and database share the cores.  ")
    print(f"Service: release build, default settings but {limits}; `HASH_CONCURRENCY` "
          "default (one per core), `DB_POOL_SIZE` default (10).  ")
    print("Errors: non-2xx answers, socket errors, and answers carrying GraphQL `errors` "
          "(the wrong-token redeems of (e) are refused by design and counted apart). "
          "Peak RSS: the service's VmHWM, read after each scenario (a running peak). "
          "SQL statements per request: `reset_gateway_db_statements` from `/metrics` "
          "before and after the run, over the GraphQL requests served.\n")
    print("\n".join(lines))
    print("\n### Targets (issue 6), each a ratio within this run\n")
    print("\n".join(targets(rows, argon2, run, peak)))


if __name__ == "__main__":
    main()

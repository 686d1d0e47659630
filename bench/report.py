#!/usr/bin/env python3
"""Prints the benchmark's table and its targets (issue 6) as markdown, and the comparison
with PostGraphile 5.1.5 (issue 19) when the runs measured it.

Proves nothing by itself: it turns the figures bench/run.sh collected in each run
(RUN/results.jsonl, RUN/argon2.json, RUN/run.json) into one table of medians over the
runs, and computes every target as a ratio within each run, quoting the median of those
ratios (the machine is shared and noisy) with PASS or MISS. Runs of `BENCH_ONLY=peer`
have only the PostGraphile comparison, and older runs only issue 6's figures: each part is
printed when the runs have its figures.

usage: report.py RUN_DIR...
"""
import json
import statistics
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
    "c_probe_idle": "(c) latency probe, one request at a time, idle service",
    "e": "(e) `updateCustomerPasswordReset`, wrong token (argon2-bound)",
    "c_probe_under_e": "(c) latency probe, while (e) runs",
    "e_under_probe": "(e) while the (c) probe runs",
    "c_probe_beside_argon2": "(c) latency probe, idle service beside a bare argon2id "
                             "process (nice 19, all cores): the machine's own effect",
    "d": "(d) `createCustomerPasswordReset`",
}


class Run:
    """The figures of one run."""

    def __init__(self, path):
        rows = [json.loads(line) for line in open(f"{path}/results.jsonl") if line.strip()]
        # The PostGraphile comparison's rows (peer_*), a list per scenario: one per pair.
        self.peer = {}
        for row in rows:
            if row["scenario"].startswith("peer_"):
                self.peer.setdefault(row["scenario"], []).append(row)
        self.rows = [r for r in rows if not r["scenario"].startswith("peer_")]
        self.argon2 = load_json(f"{path}/argon2.json")
        self.alloc = load_json(f"{path}/argon2-alloc.json")
        self.meta = json.load(open(f"{path}/run.json"))
        try:
            self.write_probes = [json.loads(line) for line in open(f"{path}/write-probes.jsonl")
                                 if line.strip()]
        except OSError:
            self.write_probes = []
        self.by = {(r["backend"], r["scenario"]): r for r in self.rows}
        # Peak RSS per backend over the whole run (VmHWM is already a running peak).
        self.peak = {}
        for row in self.rows:
            if not row["scenario"].startswith("pgbench_"):
                backend = row["backend"]
                self.peak[backend] = max(self.peak.get(backend, 0), row.get("rss_hwm_kib", 0))

    def get(self, backend, name, field="rps"):
        row = self.by.get((backend, name))
        return None if row is None else row.get(field)


def load_json(path):
    try:
        return json.load(open(path))
    except OSError:
        return None


def fmt(value, digits=1):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def errors(rows):
    total = sum(r.get("non2xx", 0) + r.get("socket_errors", 0) + r.get("gql_errors", 0)
                for r in rows)
    text = str(total)
    expected = sum(r.get("expected_errors", 0) for r in rows)
    if expected:
        text += f" (+{expected:,} expected refusals)"
    locked = sum(r.get("locked", 0) for r in rows)
    if locked:
        text += f", {locked} locked"
    return text


def table(runs):
    out = [
        "| backend | scenario | req/s | p50 ms | p99 ms | errors (all runs) | SQL statements / request "
        "| service CPU µs / request | PostgreSQL CPU µs / request | peak RSS MiB |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for key in [(r["backend"], r["scenario"]) for r in runs[0].rows]:
        rows = [run.by[key] for run in runs if key in run.by]
        backend, name = key
        if name.startswith("pgbench_"):
            label = f"ceiling: pgbench running the SQL captured from ({name[8]})"
            rss = "–"
        else:
            label = LABELS.get(name, name)
            rss = fmt(max(r.get("rss_hwm_kib", 0) for r in rows) / 1024)

        def mid(field, scale=1.0):
            value = median(r.get(field) for r in rows)
            return None if value is None else value / scale

        out.append(
            f"| {backend} | {label} | {fmt(mid('rps'))} | {fmt(mid('p50_us', 1000), 2)} "
            f"| {fmt(mid('p99_us', 1000), 2)} | {errors(rows)} "
            f"| {fmt(mid('statements_per_request'), 2)} | {fmt(mid('service_cpu_us'), 0)} "
            f"| {fmt(mid('pg_cpu_us'), 0)} | {rss} |"
        )
    for which in ("argon2", "alloc"):
        ceilings = [getattr(run, which) for run in runs if getattr(run, which)]
        if not ceilings:
            continue
        first = ceilings[0]
        how = "one buffer reused per thread, as the service hashes" \
            if first.get("reuse_memory") else "argon2's `hash_password`, allocating (for comparison)"
        out.append(
            f"| – | ceiling: bare argon2id (m={first['m_kib']} KiB, t={first['t']}, "
            f"p={first['p']}), {first['threads']} threads, {how} "
            f"| {fmt(median(c['rate'] for c in ceilings))} hashes/s | – | – | – | – | – | – "
            f"| {fmt(max(c.get('vm_hwm_kib', 0) for c in ceilings) / 1024)} |"
        )
    return out


class Check:
    """One target as measured in one run: a value (a ratio, or MiB) or just a verdict."""

    def __init__(self, name, detail, ok, value=None, shown=None):
        self.name, self.detail, self.ok, self.value = name, detail, ok, value
        self.shown = shown or (lambda v: f"{v:.0%}")


def run_checks(run):
    checks = []

    def ratio(name, num, den, floor, what):
        if num is None or not den:
            checks.append(Check(name, f"n/a ({what})", False))
            return
        value = num / den
        checks.append(Check(name, f"{fmt(num)} / {fmt(den)} ({what})", value >= floor, value))

    ratio("(a) ≥ 50% of pgbench on the same SQL", run.get("postgres", "a25"),
          run.get("postgres", "pgbench_a25"), 0.5, "req/s over pgbench tps")
    ratio("(c) ≥ 50% of pgbench on the same SQL", run.get("postgres", "c"),
          run.get("postgres", "pgbench_c"), 0.5, "req/s over pgbench tps")
    for query in "ab":
        name = f"({query}) constant SQL statements per request, at most 3"
        counts = [run.get("postgres", f"{query}{n}", "statements_per_request") for n in (5, 10, 25)]
        if None in counts:
            checks.append(Check(name, "n/a (reset_gateway_db_statements is not in /metrics)",
                                False))
        else:
            ok = max(counts) - min(counts) < 0.05 and max(counts) <= 3.05
            shown = ", ".join(f"{c:.2f}" for c in counts)
            checks.append(Check(name, f"first: 5, 10, 25 → {shown}", ok))
    ratio("(f) `{ __typename }` ≥ 50% of `GET /health`", run.get("postgres", "typename"),
          run.get("postgres", "health"), 0.5, "req/s")
    ratio("(e) ≥ 90% of the bare argon2id rate", run.get("postgres", "e"),
          run.argon2 and run.argon2["rate"], 0.9, "redeems/s over hashes/s")
    name = "(c) p99 while (e) saturates hashing ≤ 2× idle p99"
    idle = run.get("postgres", "c_probe_idle", "p99_us")
    busy = run.get("postgres", "c_probe_under_e", "p99_us")
    control = run.get("postgres", "c_probe_beside_argon2", "p99_us")
    if idle and busy:
        beside = f"; beside bare argon2id: {control / 1000:.2f} ms = {control / idle:.2f}×" \
            if control else ""
        checks.append(Check(name, f"{busy / 1000:.2f} ms vs {idle / 1000:.2f} ms idle{beside} "
                            f"(hashing pool at mid-run: {run.meta.get('hashing') or 'n/a'})",
                            busy <= 2 * idle, busy / idle, lambda v: f"{v:.2f}×"))
    else:
        checks.append(Check(name, "n/a", False))
    for backend, kib in sorted(run.peak.items()):
        checks.append(Check(f"peak RSS under 100 MiB ({backend})", "VmHWM", kib < 100 * 1024,
                            kib / 1024, lambda v: f"{v:.1f} MiB"))
    for name in ("a25", "c"):
        ratio(f"SQLite ({name[0]}) ≥ 50% of PostgreSQL", run.get("sqlite", name),
              run.get("postgres", name), 0.5, "req/s")
    locked_log = int(run.meta.get("sqlite_locked") or 0)
    locked_bodies = sum(run.get("sqlite", n, "locked") or 0 for n in ("d", "e"))
    write_errors = sum((run.get("sqlite", n, "gql_errors") or 0) +
                       (run.get("sqlite", n, "non2xx") or 0) for n in ("d", "e"))
    probes = [p for p in run.write_probes if p["backend"] == "sqlite"]
    slow = [p for p in probes if p["failed"] or p["ms"] > 1000]
    shown = ", ".join(f"after ({p['after']}) {p['ms']:,} ms{' failed' if p['failed'] else ''}"
                      for p in probes) or "none"
    checks.append(Check("SQLite writes (d, e): no `database is locked`",
                        f"{locked_log} in the service log, {locked_bodies} in answers, "
                        f"{write_errors} unexpected errors; one write right after the load "
                        f"stops: {shown}", locked_log == 0 and locked_bodies == 0
                        and write_errors == 0 and not slow))
    failing = [f"{r['backend']} {r['scenario']}" for r in run.rows
               if r.get("non2xx", 0) + r.get("socket_errors", 0) + r.get("gql_errors", 0)]
    checks.append(Check("no unexpected errors in any scenario", ", ".join(failing) or "none",
                        not failing))
    return checks


def targets(runs):
    """Per target: the median over the runs of its per-run ratio (the highest peak RSS), or,
    for a plain verdict, whether every run passed."""
    per_run = [run_checks(run) for run in runs]
    out = ["| target | measured | result |", "|---|---|---|"]
    for i, first in enumerate(per_run[0]):
        checks = [checks[i] for checks in per_run]
        if all(c.value is not None for c in checks):
            values = [c.value for c in checks]
            rss = first.name.startswith("peak RSS")
            value = max(values) if rss else statistics.median(values)
            # The run whose figure is quoted: the median one (the highest, for RSS).
            quoted = min(checks, key=lambda c: abs(c.value - value))
            ok = quoted.ok
            runs_shown = ", ".join(first.shown(v) for v in values)
            which = "highest" if rss else "median"
            measured = f"{which} **{first.shown(value)}** (runs: {runs_shown}); " \
                       f"that run: {quoted.detail}"
        else:
            failed = [(n, c) for n, c in enumerate(checks, 1) if not c.ok]
            ok = not failed
            n, shown = failed[0] if failed else (1, first)
            measured = f"run {n}: {shown.detail}" if failed else \
                f"all {len(checks)} runs; run 1: {shown.detail}"
        out.append(f"| {first.name} | {measured} | {'PASS' if ok else '**MISS**'} |")
    return out


PEER_SCENARIOS = {
    "a": ("(a) a page of 25 resets with their customers",
          "`customerPasswordResets(first: 25)` with `customer { id email }`",
          "`allCustomerPasswordResets(first: 25, condition: {mode: \"test\"}, orderBy: "
          "[CREATED_AT_ASC, ROW_ID_ASC])` "
          "with `customerByCustomerId`"),
    "b": ("(b) 25 customers with their first 5 resets each",
          "`customers(first: 25)` with `passwordResets(first: 5)`",
          "`allCustomers(first: 25, condition: {mode: \"test\"}, orderBy: [CREATED_AT_ASC, "
          "ROW_ID_ASC])` with `customerPasswordResetsByCustomerId(first: 5, condition: "
          "{mode: \"test\"}, orderBy: [CREATED_AT_DESC, ROW_ID_DESC])`"),
    "c": ("(c) one reset by id with its customer",
          "`customerPasswordReset(id)` with `customer { id email }`",
          "`customerPasswordResetByRowId(rowId)` with `customerByCustomerId`"),
}


def peer_figures(run, scenario):
    """One side of a peer scenario in one run: its pairs' mean req/s and CPU, median
    latencies; None when the run did not measure it."""
    rows = run.peer.get(scenario)
    if not rows:
        return None

    def mean(field):
        values = [r.get(field) for r in rows if r.get(field) is not None]
        return statistics.mean(values) if values else None
    return {
        "rps": mean("rps"),
        "p50_us": median(r.get("p50_us") for r in rows),
        "p99_us": median(r.get("p99_us") for r in rows),
        "service_cpu_us": mean("service_cpu_us"),
        "pg_cpu_us": mean("pg_cpu_us"),
        "rss_hwm_kib": max(r.get("rss_hwm_kib") or 0 for r in rows),
        "rows": rows,
    }


def peer_section(runs):
    """The table against PostGraphile and its targets, or nothing when no run measured it."""
    measured = [run for run in runs if run.peer]
    if not measured:
        return []
    meta = measured[0].meta
    pairs = meta.get("peer_pairs", 1)
    out = [
        "\n## Against PostGraphile 5.1.5\n",
        f"Same PostgreSQL database and seeded data, same machine, same wrk and "
        f"`bench/load.lua` (GraphQL errors counted), {meta.get('peer_conns', '?')} connections, "
        f"{meta['duration']} s per measurement after {meta['warmup']} s of warm-up; per "
        f"scenario the service then PostGraphile, {pairs} pair(s) per run, {len(measured)} "
        "run(s). PostGraphile: Amber preset, node 22, pool of 10 as the service's "
        "`DB_POOL_SIZE`, production settings. Each scenario was checked to return the same "
        "rows from both before it was timed (`bench/peer_check.py`). CPU per request: the "
        "service's (or PostGraphile's node process's) user+system time, and the benchmark "
        "database's PostgreSQL backends', over the measurement, divided by the requests. "
        "Figures: medians over the runs; the ratio is the median of the per-run ratios.\n",
        "| scenario | server | query | req/s | p50 ms | p99 ms | errors (all runs) "
        "| server CPU µs / request | PostgreSQL CPU µs / request | peak RSS MiB "
        "| req/s ratio (ours / PostGraphile) |",
        "|---|---|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    checks = []
    for key, (label, our_query, their_query) in PEER_SCENARIOS.items():
        ours = [peer_figures(run, f"peer_{key}_ours") for run in measured]
        theirs = [peer_figures(run, f"peer_{key}_postgraphile") for run in measured]
        both = [(o, t) for o, t in zip(ours, theirs) if o and t and t["rps"]]
        ratios = [o["rps"] / t["rps"] for o, t in both]
        p99s = [o["p99_us"] / t["p99_us"] for o, t in both if o["p99_us"] and t["p99_us"]]
        ratio = median(ratios)
        for side, figures, query in (("reset-gateway", ours, our_query),
                                     ("PostGraphile 5.1.5", theirs, their_query)):
            figures = [f for f in figures if f]
            if not figures:
                continue

            def mid(field, scale=1.0):
                value = median(f.get(field) for f in figures)
                return None if value is None else value / scale
            shown = (f"**{ratio:.2f}×**" if ratio is not None else "n/a") \
                if side == "reset-gateway" else ""
            out.append(
                f"| {label} | {side} | {query} | {fmt(mid('rps'))} | {fmt(mid('p50_us', 1000), 2)} "
                f"| {fmt(mid('p99_us', 1000), 2)} | {errors([r for f in figures for r in f['rows']])} "
                f"| {fmt(mid('service_cpu_us'), 0)} | {fmt(mid('pg_cpu_us'), 0)} "
                f"| {fmt(max(f['rss_hwm_kib'] for f in figures) / 1024)} | {shown} |")
        runs_shown = ", ".join(f"{r:.2f}×" for r in ratios) or "n/a"
        checks.append(
            f"| {label[:3]} ≥ 3× PostGraphile's req/s | median **{fmt(ratio, 2)}×** "
            f"(runs: {runs_shown}) | {verdict(ratio is not None and ratio >= 3)} |")
        p99 = median(p99s)
        runs_shown = ", ".join(f"{r:.2f}×" for r in p99s) or "n/a"
        checks.append(
            f"| {label[:3]} p99 no higher than PostGraphile's | ours / PostGraphile's: median "
            f"**{fmt(p99, 2)}×** (runs: {runs_shown}) | {verdict(p99 is not None and p99 <= 1)} |")
    failing = [f"{r['scenario']} (run {n})" for n, run in enumerate(measured, 1)
               for rows in run.peer.values() for r in rows
               if r.get("non2xx", 0) + r.get("socket_errors", 0) + r.get("gql_errors", 0)]
    checks.append(f"| no errors from either server | {', '.join(failing) or 'none'} "
                  f"| {verdict(not failing)} |")
    out += ["", "### Targets (issue 19): ratios within one run, the median of "
            f"{len(measured)} run(s) quoted\n", "| target | measured | result |", "|---|---|---|"]
    return out + checks


def verdict(ok):
    return "PASS" if ok else "**MISS**"


def main():
    runs = [Run(path) for path in sys.argv[1:]]
    meta = runs[0].meta
    limits = {
        "raised": "rate limits **raised by config** (`RATE_LIMIT_GRAPHQL=1000000000`, "
                  "`RATE_LIMIT_RESET_CREATIONS` and `RATE_LIMIT_REDEMPTIONS=1000000000`, "
                  "`RATE_LIMIT_TOKEN=1000000`): every request "
                  "is still counted, none is refused",
        "off": "rate limits **off by config** (`RATE_LIMIT_*=0`)",
    }[meta["rate_limits"]]
    print("## Benchmark results\n")
    print(f"Machine: {meta['nproc']} cores ({meta['cpu']}), Linux {meta['kernel']}, "
          f"PostgreSQL {meta['pg']}; {len(runs)} runs from {meta['date']} at commit "
          f"{meta['commit']}, {runs[-1].meta['elapsed']} s in all; load average per run: "
          + "; ".join(run.meta.get("load", "n/a") for run in runs)
          + " (the run itself keeps about 2 busy).  ")
    print(f"Load: wrk over loopback, {meta['conns']} connections ({meta['threads']} thread), "
          f"{meta['duration']} s per scenario after {meta['warmup']} s of warm-up; the (c) latency "
          "probes: `examples/latency_probe`, one request at a time on one kept-alive "
          "connection. Load generator, service and database share the cores. Each run seeds "
          "fresh databases.  ")
    print(f"Service: release build, default settings but {limits}; `HASH_CONCURRENCY` "
          "default (one per core), `DB_POOL_SIZE` default (10 on PostgreSQL; on SQLite two per core, at least 4).  ")
    print("Figures are medians over the runs. Errors: non-2xx answers, socket errors, and "
          "answers carrying GraphQL `errors` (the wrong-token redeems of (e) are refused by "
          "design and counted apart), summed over the runs. Peak RSS: the service's VmHWM, "
          "read after each scenario (a running peak; the highest run). SQL statements per "
          "request: `reset_gateway_db_statements` from `/metrics` before and after the "
          "scenario, over the GraphQL requests served. CPU per request: the service's and "
          "the `rg_bench` PostgreSQL backends' user+system time over the scenario, divided "
          "by the requests (pgbench: over its middle seconds).\n")
    if any(run.rows for run in runs):
        print("\n".join(table(runs)))
        print(f"\n### Targets (issue 6): each a ratio within one run, the median of {len(runs)} "
              "runs quoted\n")
        print("\n".join(targets(runs)))
    else:
        print(f"Only the comparison with PostGraphile was run (`BENCH_ONLY={meta.get('only')}`).")
    print("\n".join(peer_section(runs)))


if __name__ == "__main__":
    main()

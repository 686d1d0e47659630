#!/usr/bin/env python3
"""The table of bench/scale.sh: one row per probe, the walks apart.

Reads the JSON lines scale.sh wrote (`kind` first, deep, filter or walk) and prints
markdown: scenario, p50, p99, and for a deep page the ratio of its p50 to its list's first
page's, with PASS/MISS against issue 19's targets (a deep page within 2x of the first
page; every filter's first page under 10 ms at p50).
"""

import argparse
import json

DEEP_RATIO = 2.0
FILTER_P50_MS = 10.0


def ms(us):
    return f"{us / 1000:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--note", default="")
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.results) if line.strip()]
    firsts = {r["scenario"][: -len("_first")]: r for r in rows if r["kind"] == "first"}

    out = ["# Scale benchmark (issue 19)", ""]
    if args.note:
        out += [f"Run: {args.note}. Release build, one request at a time (`examples/latency_probe`).", ""]
    out += [
        "| scenario | records | p50 ms | p99 ms | deep/first (p50) | target | result |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        if r["kind"] == "walk":
            continue
        ratio = target = result = ""
        errors = r["non2xx"] + r["socket_errors"] + r["gql_errors"]
        if r["kind"] == "deep":
            first = firsts[r["scenario"].rsplit("_after_", 1)[0]]
            value = r["p50_us"] / max(first["p50_us"], 1)
            ratio = f"{value:.2f}"
            target = f"within {DEEP_RATIO:g}x of the first page"
            result = "PASS" if value <= DEEP_RATIO else "MISS"
        elif r["kind"] == "filter":
            target = f"p50 < {FILTER_P50_MS:g} ms"
            result = "PASS" if r["p50_us"] / 1000 < FILTER_P50_MS else "MISS"
        if errors:
            result = f"MISS ({errors} errors)"
        out.append(
            f"| {r['scenario']} | {r['records']} | {ms(r['p50_us'])} | {ms(r['p99_us'])} | {ratio} | {target} | {result} |"
        )
    walks = [r for r in rows if r["kind"] == "walk"]
    if walks:
        out += [
            "",
            "Walking each whole list through its cursors, pages of 25 (`bench/walk.py`, one request at a time):",
            "",
            "| walk | records | pages | wall s | s waiting for answers | ms per page |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in walks:
            per_page = 1000 * r["request_seconds"] / max(r["pages"], 1)
            out.append(
                f"| {r['scenario']} | {r['records']} | {r['pages']} | {r['seconds']:.1f} | {r['request_seconds']:.1f} | {per_page:.2f} |"
            )
    print("\n".join(out))


if __name__ == "__main__":
    main()

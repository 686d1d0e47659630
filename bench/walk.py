#!/usr/bin/env python3
"""Walks a whole list through the service's own cursors, as a sync or export job does.

Used by bench/scale.sh: pages of `--first` (25, the largest a page may hold) one after the
other over one kept-alive connection, each after the previous page's `endCursor`, until
`hasNextPage` is false. Keeps the cursor of the record at each `--keep` position (the
page after it starts at that position) and prints one JSON object:
`{"records": N, "pages": P, "seconds": wall time, "request_seconds": time spent waiting
for answers, "cursors": {"900000": "..."}}`.

The query must take `$first: Int` and `$after: String` and select, under the list's
root field, `pageInfo { hasNextPage endCursor }` and `edges { cursor }`.
"""

import argparse
import http.client
import json
import sys
import time
from urllib.parse import urlsplit


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the GraphQL endpoint, http://host:port/graphql")
    parser.add_argument("--token", required=True, help="a bearer token")
    parser.add_argument("--query", required=True, help="the page document")
    parser.add_argument("--root", required=True, help="the list's root field")
    parser.add_argument("--variables", default="{}", help="other variables, as JSON")
    parser.add_argument("--first", type=int, default=25)
    parser.add_argument("--keep", type=int, action="append", default=[], help="a position whose cursor to keep")
    args = parser.parse_args()

    url = urlsplit(args.url)
    connection = http.client.HTTPConnection(url.hostname, url.port or 80)
    headers = {"Authorization": f"Bearer {args.token}", "Content-Type": "application/json"}
    variables = json.loads(args.variables)
    keep = set(args.keep)
    cursors = {}
    records = pages = 0
    waited = 0.0
    after = None
    started = time.perf_counter()
    while True:
        body = json.dumps({"query": args.query, "variables": {**variables, "first": args.first, "after": after}})
        sent = time.perf_counter()
        connection.request("POST", url.path or "/graphql", body, headers)
        answer = connection.getresponse().read()
        waited += time.perf_counter() - sent
        answer = json.loads(answer)
        if answer.get("errors"):
            sys.exit(f"walk: page {pages + 1} answered errors: {answer['errors']}")
        page = answer["data"][args.root]
        pages += 1
        for edge in page["edges"]:
            records += 1
            if records in keep:
                cursors[str(records)] = edge["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    print(
        json.dumps(
            {
                "records": records,
                "pages": pages,
                "seconds": round(time.perf_counter() - started, 3),
                "request_seconds": round(waited, 3),
                "cursors": cursors,
            }
        )
    )


if __name__ == "__main__":
    main()

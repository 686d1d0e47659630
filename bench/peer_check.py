#!/usr/bin/env python3
"""Checks that the service and PostGraphile answer a peer scenario with the same rows.

Sends one body to each (the first line of each bodies file), reduces both answers to the
same shape (ids in order, each reset's status, its customer's id and email; for (b) each
customer's id, email and its resets' ids and statuses in order; for (c) also the reset's
customer email and expiry) and exits 1, printing both, when they differ. PostGraphile has
no `status`: it is derived from the columns it returns by the service's rule (used when
reset_password_at is set, else expired when expires_at has passed or as many attempts
failed as src/pending_resets.rs allows, else pending).

usage: peer_check.py a|b|c OUR_URL TOKEN OUR_BODIES PEER_URL PEER_BODIES
"""
import datetime
import json
import pathlib
import re
import sys
import urllib.request

# Read from the service's source, so that the two cannot drift apart.
MAX_FAILED_ATTEMPTS = int(
    re.search(
        r"pub const MAX_FAILED_ATTEMPTS: i32 = (\d+);",
        (pathlib.Path(__file__).resolve().parent.parent / "src/pending_resets.rs").read_text(),
    ).group(1)
)


def post(url, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body.encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        document = json.load(answer)
    if document.get("errors") or not document.get("data"):
        sys.exit(f"peer check: {url} answered with errors: {json.dumps(document)[:2000]}")
    return document["data"]


def instant(text):
    """A timestamp of either answer as a naive UTC datetime, to the millisecond."""
    # At most 6 digits of a fraction, which fromisoformat reads on every Python 3.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000).isoformat()


def status(node, now):
    if node["resetPasswordAt"] is not None:
        return "used"
    expires = datetime.datetime.fromisoformat(instant(node["expiresAt"]))
    if expires <= now or node["failedAttempts"] >= MAX_FAILED_ATTEMPTS:
        return "expired"
    return "pending"


def ours(kind, data):
    if kind == "a":
        return [(n["id"], n["status"].lower(), n["customer"]["id"], n["customer"]["email"])
                for n in (e["node"] for e in data["customerPasswordResets"]["edges"])]
    if kind == "b":
        return [(n["id"], n["email"],
                 [(r["node"]["id"], r["node"]["status"].lower())
                  for r in n["passwordResets"]["edges"]])
                for n in (e["node"] for e in data["customers"]["edges"])]
    n = data["customerPasswordReset"]
    return (n["id"], n["status"].lower(), n["customerEmail"], instant(n["expiresAt"]),
            n["customer"]["id"], n["customer"]["email"])


def theirs(kind, data, now):
    if kind == "a":
        return [(n["rowId"], status(n, now), n["customerByCustomerId"]["rowId"],
                 n["customerByCustomerId"]["email"])
                for n in (e["node"] for e in data["allCustomerPasswordResets"]["edges"])]
    if kind == "b":
        return [(n["rowId"], n["email"],
                 [(r["node"]["rowId"], status(r["node"], now))
                  for r in n["customerPasswordResetsByCustomerId"]["edges"]])
                for n in (e["node"] for e in data["allCustomers"]["edges"])]
    n = data["customerPasswordResetByRowId"]
    return (n["rowId"], status(n, now), n["customerEmail"], instant(n["expiresAt"]),
            n["customerByCustomerId"]["rowId"], n["customerByCustomerId"]["email"])


def main():
    kind, our_url, token, our_bodies, peer_url, peer_bodies = sys.argv[1:7]
    first = lambda path: open(path).readline().strip()  # noqa: E731
    mine = ours(kind, post(our_url, first(our_bodies), token))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    peer = theirs(kind, post(peer_url, first(peer_bodies)), now)
    if mine != peer:
        print(f"peer check ({kind}): the service and PostGraphile answer different rows",
              file=sys.stderr)
        print(f"  service:     {json.dumps(mine)}", file=sys.stderr)
        print(f"  postgraphile: {json.dumps(peer)}", file=sys.stderr)
        sys.exit(1)
    count = len(mine) if isinstance(mine, list) else 1
    nested = sum(len(c[2]) for c in mine) if kind == "b" else 0
    print(f"  peer check ({kind}): same {count} rows" + (f" and {nested} nested resets"
                                                         if kind == "b" else "") + " from both",
          file=sys.stderr)


if __name__ == "__main__":
    main()

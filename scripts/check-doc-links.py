#!/usr/bin/env python3
"""Checks that every relative link in README.md and docs/*.md resolves: the file exists,
and an `#anchor` names a heading of that file (GitHub's slugs). Exits 1 on a broken link.

Usage: scripts/check-doc-links.py [FILE.md ...]   (default: README.md docs/*.md bench/README.md)
"""
import glob
import os
import re
import sys

LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def lines_outside_code(path):
    fenced = False
    with open(path, encoding="utf-8") as text:
        for number, line in enumerate(text, 1):
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            if not fenced:
                yield number, line.rstrip("\n")


def slug(heading):
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    heading = heading.strip().lower()
    heading = re.sub(r"[^\w\- ]", "", heading)
    return heading.replace(" ", "-")


def anchors(path, cache={}):
    if path not in cache:
        seen = {}
        found = set()
        for _, line in lines_outside_code(path):
            match = HEADING.match(line)
            if not match:
                continue
            base = slug(match.group(2))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
        cache[path] = found
    return cache[path]


def check(path):
    broken = []
    for number, line in lines_outside_code(path):
        line = re.sub(r"`[^`]*`", "", line)  # links inside inline code are not links
        for target in LINK.findall(line):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            file_part, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
            if not os.path.exists(resolved):
                broken.append(f"{path}:{number}: {target}: no file {resolved}")
            elif anchor and resolved.endswith(".md") and anchor not in anchors(resolved):
                broken.append(f"{path}:{number}: {target}: no heading #{anchor} in {resolved}")
    return broken


def main():
    files = sys.argv[1:] or ["README.md", *sorted(glob.glob("docs/*.md")), "bench/README.md"]
    broken = [problem for path in files for problem in check(path)]
    for problem in broken:
        print(problem)
    print(f"{len(files)} files, {len(broken)} broken links", file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

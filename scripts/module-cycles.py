#!/usr/bin/env python3
"""Prints the cycles of the crate's top-level module graph and exits 1 if there is one.

A top-level module is a file or folder directly under src/ (`src/metrics.rs`,
`src/webhooks/`). Module A imports B when a file of A names `crate::B` (in a `use`, a path
or a `use crate::{B, ...}` group) or reaches B through `super::`, outside comments and
string literals. src/graphql/ is the GraphQL object graph, which may import everything, so
its files are not read as sources; src/lib.rs and src/main.rs are the crate root, which
wires every module together, and are not read either.

Usage: scripts/module-cycles.py [--graph]   (--graph also prints every edge)
"""
import os
import re
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src")
IGNORED_SOURCES = {"graphql", "lib", "main"}
IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
CRATE_PATH = re.compile(r"(?<![A-Za-z0-9_])crate::(\{|" + IDENT + ")")
SUPER_PATH = re.compile(r"(?<![A-Za-z0-9_:])((?:super::)+)(\{|" + IDENT + ")")


def code_only(text):
    """The text with comments and the contents of string and char literals blanked
    (newlines kept, so that line numbers stay)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        else:
            raw = re.match(r'b?r(#*)"', text[i:]) if c in "br" and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
            if raw:
                close = '"' + raw.group(1)
                end = text.find(close, i + raw.end())
                end = n if end < 0 else end + len(close)
                out.append('""' + "\n" * text.count("\n", i, end))
                i = end
            elif c == '"':
                i += 1
                while i < n and text[i] != '"':
                    if text[i] == "\n":
                        out.append("\n")
                    i += 2 if text[i] == "\\" else 1
                out.append('""')
                i += 1
            elif c == "'" and re.match(r"'(\\.[^']*|[^\\'])'", text[i:]):
                i += re.match(r"'(\\.[^']*|[^\\'])'", text[i:]).end()
                out.append("' '")
            else:
                out.append(c)
                i += 1
    return "".join(out)


def group_heads(text, start):
    """The first segment of each item of the `{...}` group opening at `start`."""
    heads, depth, item = [], 0, ""
    for c in text[start:]:
        if c == "{":
            depth += 1
            if depth == 1:
                continue
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        if depth == 1 and c == ",":
            heads.append(item)
            item = ""
        elif depth >= 1:
            item += c
    heads.append(item)
    names = []
    for head in heads:
        match = re.match(r"\s*(" + IDENT + ")", head)
        if match:
            names.append(match.group(1))
    return names


def module_path(path):
    """The module path of a source file: src/webhooks/outbox/mod.rs -> [webhooks, outbox]."""
    parts = os.path.relpath(path, SRC)[: -len(".rs")].split(os.sep)
    if parts[-1] == "mod":
        parts.pop()
    return parts


def imports(path, top_level):
    """(target module, line) for each import of another top-level module in one file."""
    with open(path, encoding="utf-8") as source:
        text = code_only(source.read())
    here = module_path(path)

    def line(pos):
        return text.count("\n", 0, pos) + 1

    found = []
    for match in CRATE_PATH.finditer(text):
        heads = group_heads(text, match.start(1)) if match.group(1) == "{" else [match.group(1)]
        found += [(head, line(match.start())) for head in heads]
    for match in SUPER_PATH.finditer(text):
        ups = match.group(1).count("super::")
        # Inline `mod tests { use super::... }` blocks sit one level deeper than the file;
        # reaching the crate root from them takes one more `super`, so this only
        # over-reports, never misses, an edge from a file's own level.
        if ups == len(here):
            heads = group_heads(text, match.start(2)) if match.group(2) == "{" else [match.group(2)]
            found += [(head, line(match.start())) for head in heads]
    return [(head, number) for head, number in found if head in top_level and head != here[0]]


def graph():
    top_level = {name[: -len(".rs")] if name.endswith(".rs") else name for name in os.listdir(SRC)
                 if name.endswith(".rs") or os.path.isdir(os.path.join(SRC, name))}
    edges = {}  # (from, to) -> ["file:line", ...]
    for root, _, files in os.walk(SRC):
        for name in sorted(files):
            path = os.path.join(root, name)
            if not name.endswith(".rs") or module_path(path)[0] in IGNORED_SOURCES:
                continue
            for target, number in imports(path, top_level):
                where = f"{os.path.relpath(path, os.path.join(SRC, os.pardir))}:{number}"
                edges.setdefault((module_path(path)[0], target), []).append(where)
    return edges


def cycles(edges):
    """Every elementary cycle, each once, starting from its smallest module name."""
    following = {}
    for source, target in edges:
        following.setdefault(source, set()).add(target)
    found = []

    def walk(start, path):
        for target in sorted(following.get(path[-1], ())):
            if target == start:
                found.append(path + [start])
            elif target > start and target not in path:
                walk(start, path + [target])

    for start in sorted(following):
        walk(start, [start])
    return found


def main():
    edges = graph()
    if "--graph" in sys.argv[1:]:
        for (source, target), places in sorted(edges.items()):
            print(f"{source} -> {target}  ({len(places)} imports)")
        print()
    found = cycles(edges)
    if not found:
        print(f"no cycles among {len({m for edge in edges for m in edge})} top-level modules "
              f"({len(edges)} edges; src/graphql/ and the crate root not read)")
        return 0
    print(f"{len(found)} cycle(s) in the top-level module graph:")
    for cycle in found:
        print("  " + " -> ".join(cycle))
        for source, target in zip(cycle, cycle[1:]):
            places = edges[(source, target)]
            shown = ", ".join(places[:4]) + (f", ... ({len(places)} in all)" if len(places) > 4 else "")
            print(f"      {source} -> {target}: {shown}")
    return 1


if __name__ == "__main__":
    sys.exit(main())

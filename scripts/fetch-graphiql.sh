#!/usr/bin/env bash
# Fetch the GraphiQL page's assets so that the service serves GraphiQL offline.
#
# Downloads graphiql@3.9.0, react@18.3.1 and react-dom@18.3.1 from the npm registry
# with `npm pack` (npm's own client, so its registry settings and cache apply), then
# copies exactly four files into vendor/graphiql/ of this repository:
#
#   graphiql.min.js               graphiql's UMD build (package root of graphiql@3.9.0)
#   graphiql.min.css              its stylesheet (package root of graphiql@3.9.0)
#   react.production.min.js       react@18.3.1, umd/
#   react-dom.production.min.js   react-dom@18.3.1, umd/
#
# The server serves them at /graphiql/<file> when they are all present in
# vendor/graphiql (relative to its working directory; GRAPHIQL_ASSETS overrides).
# vendor/ is not committed. Running the script again replaces the files: it is
# idempotent. Needs bash, npm and tar.
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$repo/vendor/graphiql"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
for tarball in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
    pkg="${tarball%-*}"
    mkdir "$pkg"
    tar -xzf "$tarball.tgz" -C "$pkg"
done

# source (relative to the temp dir) -> file name in vendor/graphiql
files=(
    "graphiql/package/graphiql.min.js"
    "graphiql/package/graphiql.min.css"
    "react/package/umd/react.production.min.js"
    "react-dom/package/umd/react-dom.production.min.js"
)

mkdir -p "$dest"
for src in "${files[@]}"; do
    if [[ ! -f "$src" ]]; then
        echo "fetch-graphiql: $src is missing from the package" >&2
        exit 1
    fi
    cp "$src" "$dest/$(basename "$src")"
done

echo "fetched graphiql@$GRAPHIQL_VERSION, react@$REACT_VERSION, react-dom@$REACT_VERSION into $dest:"
for src in "${files[@]}"; do
    name="$(basename "$src")"
    printf '  %-30s %8d bytes\n' "$name" "$(wc -c <"$dest/$name")"
done

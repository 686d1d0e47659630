#!/usr/bin/env bash
# Print the Subresource Integrity hashes of the GraphiQL page's CDN files
# (src/http/graphiql.rs, `CDN`), computed from the npm registry's packages of exactly
# the pinned versions: unpkg serves those packages' files byte for byte, so a browser
# given these hashes runs the CDN's copy only if it is the published one.
#
# Run it after changing a version in src/http/graphiql.rs (and in fetch-graphiql.sh),
# and paste the hashes it prints. Needs bash, npm, tar and openssl.
set -euo pipefail

GRAPHIQL_VERSION=3.9.0
REACT_VERSION=18.3.1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "graphiql@$GRAPHIQL_VERSION" "react@$REACT_VERSION" "react-dom@$REACT_VERSION" >/dev/null
for tarball in "graphiql-$GRAPHIQL_VERSION" "react-$REACT_VERSION" "react-dom-$REACT_VERSION"; do
    pkg="${tarball%-*}"
    mkdir "$pkg"
    tar -xzf "$tarball.tgz" -C "$pkg"
done

# the URL the page loads -> the file in the package
files=(
    "https://unpkg.com/react@$REACT_VERSION/umd/react.production.min.js react/package/umd/react.production.min.js"
    "https://unpkg.com/react-dom@$REACT_VERSION/umd/react-dom.production.min.js react-dom/package/umd/react-dom.production.min.js"
    "https://unpkg.com/graphiql@$GRAPHIQL_VERSION/graphiql.min.js graphiql/package/graphiql.min.js"
    "https://unpkg.com/graphiql@$GRAPHIQL_VERSION/graphiql.min.css graphiql/package/graphiql.min.css"
)
for entry in "${files[@]}"; do
    read -r url file <<<"$entry"
    printf '%s\n    sha384-%s\n' "$url" "$(openssl dgst -sha384 -binary "$file" | openssl base64 -A)"
done

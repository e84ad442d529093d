#!/usr/bin/env bash
# Re-fetches the vendored GraphiQL assets from the npm registry and checks them against VERSIONS.
# graphiql 4.x is the newest line with a browser (UMD) bundle; 5.x ships ES modules only.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent graphiql@4.1.2 react@18.3.1 react-dom@18.3.1 >/dev/null)
for package in graphiql-4.1.2 react-18.3.1 react-dom-18.3.1; do
  mkdir -p "$work/$package" && tar xzf "$work/$package.tgz" -C "$work/$package"
done
cp "$work/graphiql-4.1.2/package/graphiql.min.js" "$work/graphiql-4.1.2/package/graphiql.min.css" .
cp "$work/react-18.3.1/package/umd/react.production.min.js" .
cp "$work/react-dom-18.3.1/package/umd/react-dom.production.min.js" .
grep -E '^[0-9a-f]{64}  ' VERSIONS | sha256sum --check

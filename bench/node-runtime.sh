#!/usr/bin/env bash
# Prepares a copy of this checkout that runs on another Node.js major, for `npm run bench --
# --node-major <M>`: the benchmark starts Capstan's processes from it with that Node.
#   bash bench/node-runtime.sh 22        prints "node=<binary>" and "root=<copy>"
# Node comes from the npm registry's `node` package, in the cache scripts/test-on-node.sh uses
# (/tmp/capstan-node-<M>). node_modules of this checkout hold native code built for the Node
# that installed them (better-sqlite3), so the copy gets its own `npm ci`, built against that
# Node's headers; it runs once, and again only when package-lock.json changes. The source
# files are copied again on every call, so the copy runs the working tree as it is now.
set -euo pipefail
major=${1:?usage: bench/node-runtime.sh <node major>}
root=$(cd "$(dirname "$0")/.." && pwd)
node_cache=${CAPSTAN_NODE_CACHE:-${TMPDIR:-/tmp}/capstan-node-$major}
copy=${CAPSTAN_BENCH_NODE_COPY:-${TMPDIR:-/tmp}/capstan-bench-node-$major}

if [ ! -e "$node_cache/node_modules/node/bin/node" ]; then
  echo "== installing Node $major from the npm registry into $node_cache" >&2
  mkdir -p "$node_cache"
  npm install --prefix "$node_cache" --no-save --no-audit --no-fund --loglevel=error "node@$major" >&2
fi
gypi=$(find "$node_cache/node_modules" -path '*/include/node/common.gypi' -print -quit)
[ -n "$gypi" ] || { echo "no Node $major headers under $node_cache" >&2; exit 1; }
headers=$(dirname "$(dirname "$(dirname "$gypi")")")
node="$headers/bin/node"

mkdir -p "$copy"
# The working tree's tracked and unignored files, as test-on-node.sh copies them; files deleted
# here since the last call are deleted there too (node_modules is ignored, so it stays).
find "$copy" -mindepth 1 -maxdepth 1 ! -name node_modules ! -name .installed-lock -exec rm -rf {} +
git -C "$root" ls-files -z --cached --others --exclude-standard |
  tar -C "$root" --ignore-failed-read --null -T - -cf - 2>/dev/null | tar -C "$copy" -xf -

if ! cmp -s "$copy/package-lock.json" "$copy/.installed-lock" 2>/dev/null; then
  echo "== Node $("$node" --version): npm ci in $copy" >&2
  (
    cd "$copy"
    export PATH="$headers/bin:$PATH" npm_config_nodedir="$headers"
    npm ci --no-audit --no-fund --loglevel=error >&2
  )
  cp "$copy/package-lock.json" "$copy/.installed-lock"
fi
echo "node=$node"
echo "root=$copy"

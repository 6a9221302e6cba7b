#!/usr/bin/env bash
# Runs the node tests (test/nodes/**) against Node-RED 5.x on Node 22.
#
# Node-RED 5 needs Node >= 22.9, the repo's toolchain runs on Node 20: both come from the npm
# registry into a cache folder (git-ignored), reused when present:
#   .cache/nr5/node_modules/.bin/node          Node 22 (npm package "node")
#   .cache/nr5/node_modules/node-red           Node-RED 5
#   .cache/nr5/node_modules/node-red-node-test-helper
# test/support/helper.js picks that runtime up through TEST_NODE_RED_DIR.
#
# Usage: scripts/test-nr5.sh [--no-build] [extra mocha args / test files]
# Env:   NR5_CACHE (default .cache/nr5), NR5_NODE_RED_VERSION (default 5), NR5_NODE_VERSION (default 22)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${NR5_CACHE:-$ROOT/.cache/nr5}"
NR_SPEC="${NR5_NODE_RED_VERSION:-5}"
NODE_SPEC="${NR5_NODE_VERSION:-22}"
HELPER_SPEC="0.3.6"

build=1
if [[ "${1:-}" == "--no-build" ]]; then build=0; shift; fi

major_of() { # prints the major version of the package in $1 (a dir with package.json), or nothing
  [[ -f "$1/package.json" ]] && node -e 'console.log(require(process.argv[1]).version.split(".")[0])' "$1/package.json" || true
}

if [[ "$(major_of "$CACHE/node_modules/node-red")" != "${NR_SPEC%%.*}" \
   || "$(major_of "$CACHE/node_modules/node")" != "${NODE_SPEC%%.*}" \
   || ! -x "$CACHE/node_modules/.bin/node" \
   || ! -f "$CACHE/node_modules/node-red-node-test-helper/package.json" ]]; then
  echo "test:nr5: installing node@$NODE_SPEC node-red@$NR_SPEC node-red-node-test-helper@$HELPER_SPEC into $CACHE"
  mkdir -p "$CACHE"
  # Its own package.json, so npm treats the cache as a project of its own and never touches the repo's.
  [[ -f "$CACHE/package.json" ]] || echo '{ "name": "nr5-test-runtime", "private": true }' > "$CACHE/package.json"
  t0=$SECONDS
  (cd "$CACHE" && npm install --no-audit --no-fund --loglevel=error \
      "node@$NODE_SPEC" "node-red@$NR_SPEC" "node-red-node-test-helper@$HELPER_SPEC")
  echo "test:nr5: installed in $((SECONDS - t0)) s"
else
  echo "test:nr5: reusing $CACHE"
fi

cd "$ROOT"
if [[ $build == 1 ]]; then npm run --silent build; fi

export PATH="$CACHE/node_modules/.bin:$PATH"
export TEST_NODE_RED_DIR="$CACHE/node_modules/node-red"
export EXPECT_NODE_RED_MAJOR="${NR_SPEC%%.*}"
export EXPECT_NODE_MAJOR="${NODE_SPEC%%.*}"

echo "test:nr5: $(node --version) ($(command -v node)), Node-RED $(node -p 'require(process.argv[1]).version' "$TEST_NODE_RED_DIR/package.json")"

specs=()
for a in "$@"; do [[ "$a" == -* ]] || specs+=("$a"); done
if [[ ${#specs[@]} -eq 0 ]]; then set -- "$@" 'test/nodes/**/*.test.js'; fi
exec node "$ROOT/node_modules/mocha/bin/mocha.js" --config "$ROOT/.mocharc.js" "$@"

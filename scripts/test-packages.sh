#!/usr/bin/env bash
# Debian packages the unit tests want before they start (called by scripts/test.mjs):
#   libvulkan1, mesa-vulkan-drivers  the Vulkan loader and Mesa's drivers (lavapipe, radv, intel). On a machine
#       without a GPU that WebGPU accepts they make onnxruntime's WebGPU provider print Mesa's and Dawn's warnings
#       to stderr, which is the case test/unit/cli/providerNoise.test.ts must see stay off the user's terminal.
# Installs only as root with apt-get; otherwise it says so and the tests check the same contract without them.
# Never fails the test run: a failed install is reported and skipped.
set -uo pipefail

PKGS=(libvulkan1 mesa-vulkan-drivers)
log() { echo "[test-packages] $*"; }

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
  log "no apt-get here: skipping ${PKGS[*]} (the GPU-probe tests then run without the Vulkan loader)"
  exit 0
fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "${PKGS[*]} already installed"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  log "not root: skipping apt-get install ${missing[*]} (the GPU-probe tests then run without them)"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
LOG=$(mktemp)
apt_install() { apt-get install -y -q -o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0 "${missing[@]}" >>"$LOG" 2>&1; }
apt_update() { apt-get update -q -o DPkg::Lock::Timeout=300 >>"$LOG" 2>&1; }
log "apt-get install ${missing[*]}"
# apt-get update only when the lists lack a package or are stale (the download fails).
need_update=0
for p in "${missing[@]}"; do
  cand=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then need_update=1; fi
done
if { [ "$need_update" = 0 ] && apt_install; } || { apt_update && apt_install; }; then
  log "installed ${missing[*]}"
else
  log "WARNING: could not install ${missing[*]}; the GPU-probe tests run without them. apt said:"
  tail -n 5 "$LOG" | sed 's/^/[test-packages]   /'
fi
rm -f "$LOG"
exit 0

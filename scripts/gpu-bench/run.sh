#!/usr/bin/env bash
# grokcat's model on a GPU machine (the workplace's device tool runs this from the repository root):
#   1. onnxruntime-node's bundled WebGPU provider, with a carried Node and onnxruntime-node
#      (.gpu-carry/bundle.tar.xz) and the Vulkan loader (.gl/*.deb, see the device tool's README);
#   2. the same ONNX graph in PyTorch on CUDA at fp32, tf32 and bf16 (bench.py).
# Writes $OUT/gpu.json (copy it to docs/benchmarks/gpu.json; `grokcat bench all` puts it in the report).
set -uo pipefail
OUT=${OUT:-/tmp/gpu-bench-out}
mkdir -p "$OUT" /tmp/gpu-bench
MODEL=.gpu-carry/model.onnx
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$OUT/nvidia-smi.txt"
if ls .gl/*.deb >/dev/null 2>&1; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
tar xJf .gpu-carry/bundle.tar.xz -C /tmp/gpu-bench
NODE=$(command -v node || echo /tmp/gpu-bench/node)
echo "node: $NODE $($NODE --version)"
ORT_NODE=/tmp/gpu-bench/node_modules/onnxruntime-node timeout 150 "$NODE" scripts/gpu-bench/webgpu-bench.mjs "$MODEL" \
  > "$OUT/webgpu.json" 2> "$OUT/webgpu.stderr" || echo "webgpu run exited $?"
cat "$OUT/webgpu.json"; tail -5 "$OUT/webgpu.stderr"
PYTHONUNBUFFERED=1 timeout 300 python3 scripts/gpu-bench/bench.py "$MODEL" "$OUT/gpu.json" "$OUT/webgpu.json"

#!/usr/bin/env bash
# On a development machine (dotnet SDK, NuGet): publishes flame self-contained with ONNX
# Runtime's CUDA build (-p:FlameCuda=true: Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0, restored
# through NuGet) and packs it into parts the device tool can carry (each call carries at most
# 64 MiB, the working tree included; the CUDA provider alone is 284 MB, ~186 MB compressed).
#
#   bench/gpu/prepare.sh            → artifacts/gpu-carry/part00 ... part03 (4 parts of <= 56 MiB, 221 MB in all)
#
# DuckDB and ParquetSharp (97 MB, for trace/analyze/eval on Parquet) are left out unless
# FLAME_GPU_FULL=1: the GPU benchmarks never load them. Then one device `run` per part, back to
# back (a machine stays warm only ~30 s between calls), each carrying that part:
#   run 1..N-1: mkdir -p /tmp/flame-gpu && cp artifacts/gpu-carry/partXX /tmp/flame-gpu/
#   run N     : cp artifacts/gpu-carry/partNN /tmp/flame-gpu/ && . bench/gpu/unpack-on-device.sh && bench/gpu/run.sh
# docs/gpu.md has the calls.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
app=artifacts/gpu-app
out=artifacts/gpu-carry
rm -rf "$app" "$out"
# Its own bin/obj (artifacts/gpu-build), so the tree's CPU build is left as it is.
dotnet publish src/Flame.Cli -c Release -r linux-x64 --self-contained -p:FlameCuda=true --artifacts-path artifacts/gpu-build -o "$app"
if [[ ${FLAME_GPU_FULL:-0} != 1 ]]; then
  rm -f "$app/libduckdb.so" "$app/ParquetSharpNative.so"
fi
rm -f "$app/libonnxruntime_providers_tensorrt.so"   # TensorRT is not used (and not on the machine)
for library in libonnxruntime.so libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
  [[ -f $app/$library ]] || { echo "prepare.sh: $app/$library is missing: the CUDA build did not restore" >&2; exit 1; }
done
mkdir -p "$out"
# xz: the device machine's image has it (and Python's lzma), not necessarily zstd.
tar -C "$app" -cf - . | xz -T2 -6 | split -b 56M -d - "$out/part"
ls -la "$out"
echo "parts: $(ls "$out"/part* | wc -l) — one device run call per part, back to back (docs/gpu.md)"

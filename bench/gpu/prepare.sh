#!/usr/bin/env bash
# On a development machine: publishes flame self-contained and packs it with ORT's CUDA
# plug-ins into parts the device tool can carry (../shared/gpu/prepare-carry.sh).
#
#   bench/gpu/prepare.sh            → artifacts/gpu-carry/part00, part01, ... + unpack-on-device.sh
#
# Then, with the device tool, one run per part back to back (see docs/gpu.md), the last one:
#   cp artifacts/gpu-carry/partNN /tmp/flame-gpu/ && . artifacts/gpu-carry/unpack-on-device.sh && bench/gpu/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${FLAME_SHARED:-$root/../shared}
cd "$root"
dotnet publish src/Flame.Cli -c Release -r linux-x64 --self-contained -o artifacts/gpu-app
"$shared/gpu/prepare-carry.sh" artifacts/gpu-carry artifacts/gpu-app

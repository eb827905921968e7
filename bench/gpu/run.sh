#!/usr/bin/env bash
# On the GPU machine (after unpack-on-device.sh): every GPU measurement of docs/benchmarks.md,
# ORT and PyTorch on the same GPU in the same session. Results (JSON, logs, ORT profiles) go to
# $OUT (the device tool brings them back), a summary to stdout.
#
#   TRAIN_BATCH=8 DECODE=128 PEAK_TFLOPS=989 bench/gpu/run.sh [configs...]
#
# Smoke test on a CPU machine: PYTHON=/usr/bin/python3 DEVICE=cpu PRECISIONS=fp32 SEQ=32 TRAIN_BATCH=2 DECODE=4 FLAME=path/to/flame bench/gpu/run.sh tiny-moe
#
# PEAK_TFLOPS: the GPU's dense bf16 peak (H100/H200 SXM: 989) for MFU; fp32 runs are measured
# against the TF32 peak, half of it.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/flame-gpu/results}
mkdir -p "$out"
flame=${FLAME:-/tmp/flame-gpu/app/flame}
seq=${SEQ:-2048}
batch=${TRAIN_BATCH:-8}
decode=${DECODE:-128}
peak=${PEAK_TFLOPS:-989}
device=${DEVICE:-cuda}
python=${PYTHON:-python3}
read -r -a precisions <<< "${PRECISIONS:-fp32 bf16}"
if (($#)); then configs=("$@"); else configs=(flame-moe-38m flame-moe-290m); fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>&1 | tee "$out/gpu.txt"

# Runs a command while sampling the GPU's used memory every 100 ms; prints the command's last line and the peak.
measure() {
  local name=$1; shift
  local samples="$out/$name.memory"
  (while true; do nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits >> "$samples" 2>/dev/null; sleep 0.1; done) &
  local sampler=$!
  local start=$SECONDS
  timeout "${STEP_TIMEOUT:-300}" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  local peak_mib; peak_mib=$(sort -n "$samples" 2>/dev/null | tail -1)
  printf '%-34s rc=%-3s %4ss  peak GPU memory %6s MiB  %s\n' "$name" "$rc" "$((SECONDS - start))" "${peak_mib:-?}" "$(grep -v '^\s' "$out/$name.log" | tail -1)"
}

# Smoke first (seconds each): does every path run on this device before the long measurements?
for precision in "${precisions[@]}" fp16; do
  measure "smoke-train-$precision" "$flame" bench train --config tiny-moe --batch 2 --seq 64 --steps 2 --warmup 1 --device "$device" --precision "$precision"
done
measure "smoke-train-expert-shards" "$flame" bench train --config tiny-moe --batch 2 --seq 64 --steps 2 --warmup 1 --device "$device" --expert-shards 2
measure "smoke-forward-decode" "$flame" bench forward --config tiny-moe --batch 2 --seq 64 --runs 2 --decode 8 --device "$device"

for config in "${configs[@]}"; do
  for precision in "${precisions[@]}"; do
    tflops=$peak; [[ $precision == fp32 ]] && tflops=$((peak / 2))
    measure "ort-train-$config-$precision" "$flame" bench train --config "$config" --batch "$batch" --seq "$seq" --steps 6 --warmup 2 \
      --device "$device" --precision "$precision" --peak-tflops "$tflops" --json "$out/ort-train-$config-$precision.json"
    measure "torch-train-$config-$precision" "$python" bench/train_torch.py --config "$config" --batch "$batch" --seq "$seq" --steps 6 --warmup 2 \
      --device "$device" --dtype "$precision" --json "$out/torch-train-$config-$precision.json"
    measure "torch-compile-train-$config-$precision" "$python" bench/train_torch.py --config "$config" --batch "$batch" --seq "$seq" --steps 6 --warmup 3 \
      --device "$device" --dtype "$precision" --compile --json "$out/torch-compile-train-$config-$precision.json"
  done
  measure "ort-infer-$config" "$flame" bench forward --config "$config" --batch "$batch" --seq "$seq" --runs 5 --decode "$decode" --device "$device"
  measure "torch-infer-$config" "$python" bench/infer_torch.py --config "$config" --batch "$batch" --seq "$seq" --decode "$decode" --device "$device" \
    --json "$out/torch-infer-$config.json"
done

# Where ORT's step time goes (first config, last precision): the operators, for closing the gap.
measure "ort-profile-${configs[0]}" "$flame" bench train --config "${configs[0]}" --batch "$batch" --seq "$seq" --steps 2 --warmup 1 \
  --device "$device" --precision "${precisions[-1]}" --profile "$out/profile"
grep -A16 'kernel time by operator' "$out/ort-profile-${configs[0]}.log"
# Profiles can be large: the summary is in the log; compress the traces.
gzip -f "$out"/profile/*.json 2>/dev/null || true

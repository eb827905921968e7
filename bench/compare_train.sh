#!/usr/bin/env bash
# Interleaved rounds of one training-step benchmark: Flame.Onnx (`flame bench train`), then the
# PyTorch peer with separate expert parameters (what a user writes), then with stacked experts, so
# that the machine's drift falls on all three alike. Prints each run's summary line.
#   bench/compare_train.sh CONFIG BATCH SEQ STEPS [ROUNDS]     e.g. bench/compare_train.sh flame-moe-38m 4 256 5 3
set -euo pipefail
config=$1 batch=$2 seq=$3 steps=$4 rounds=${5:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
flame="$root/src/Flame.Cli/bin/Release/net10.0/flame"
[ -x "$flame" ] || dotnet build "$root/src/Flame.Cli" -c Release >/dev/null
for round in $(seq "$rounds"); do
  echo "round $round"
  "$flame" bench train --config "$config" --batch "$batch" --seq "$seq" --steps "$steps" --warmup 2 | tail -1
  /usr/bin/python3 "$root/bench/train_torch.py" --config "$config" --batch "$batch" --seq "$seq" --steps "$steps" --warmup 2
  /usr/bin/python3 "$root/bench/train_torch.py" --config "$config" --batch "$batch" --seq "$seq" --steps "$steps" --warmup 2 --stacked-experts
done

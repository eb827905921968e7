#!/usr/bin/env bash
# Data- and expert-parallel training on one machine against one process, in interleaved rounds:
# the same global batch (ACCUMULATION micro-batches of MICRO sequences per step) trained by one
# process (all cores), by 2 ranks data-parallel, and by 2 ranks holding half the experts each.
# Prints each run's steady tokens/s (the log's mean after the first WARMUP steps), every process's
# peak RSS, and what rank 0 sent per step. On a 2-core machine the ranks cannot be faster: the
# figure is what the exchanges cost.
#   bench/compare_ranks.sh DATA [CONFIG] [MICRO] [SEQ] [ACCUMULATION] [STEPS] [ROUNDS]
#   e.g. bench/compare_ranks.sh artifacts/quickstart/data/demo quickstart-moe 4 128 2 30 3
set -euo pipefail
data=$1 config=${2:-quickstart-moe} micro=${3:-4} seq=${4:-128} accumulation=${5:-2} steps=${6:-30} rounds=${7:-3}
warmup=5
root=$(cd "$(dirname "$0")/.." && pwd)
flame="$root/src/Flame.Cli/bin/Release/net10.0/flame"
[ -x "$flame" ] || dotnet build "$root/src/Flame.Cli" -c Release >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
common=(train --config "$config" --data "$data" --steps "$steps" --seq "$seq" --micro-batch "$micro" --accumulation "$accumulation"
        --valid-every 0 --valid-batches 0 --checkpoint-every "$steps" --milestones 0 --log-every "$steps")
mpirun=(mpirun --allow-run-as-root --oversubscribe -np 2)

# Mean tokens/s over the log's rows after the warmup steps.
throughput() { awk -F, -v w="$warmup" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "tokens_per_s") c = i; next } NR > w + 1 { s += $c; n++ } END { printf "%.0f tok/s", s / n }' "$1/logs/train.csv"; }
traffic() { echo "rank 0 $(grep -o 'sent [0-9.]* MiB per step' "$1"), $(grep -o '[0-9.]* ms per step in exchanges' "$1")"; }
peaks() { awk '{ printf "%s%.0f MiB", (NR > 1 ? " + " : ""), $1 / 1024 }' "$1"; }

for round in $(seq "$rounds"); do
  echo "round $round"
  /usr/bin/time -o "$work/one.rss" -f "%M" "$flame" "${common[@]}" --run "$work/one-$round" > /dev/null
  echo "  1 process:                $(throughput "$work/one-$round"), peak $(peaks "$work/one.rss")"
  "${mpirun[@]}" /usr/bin/time -a -o "$work/dp.rss" -f "%M" "$flame" "${common[@]}" --run "$work/dp-$round" --data-parallel > "$work/dp.out"
  echo "  2 ranks, data-parallel:   $(throughput "$work/dp-$round"), peak $(peaks "$work/dp.rss"), $(traffic "$work/dp.out")"
  "${mpirun[@]}" /usr/bin/time -a -o "$work/ep.rss" -f "%M" "$flame" "${common[@]}" --run "$work/ep-$round" --data-parallel --expert-shards 2 > "$work/ep.out"
  echo "  2 ranks, experts split:   $(throughput "$work/ep-$round"), peak $(peaks "$work/ep.rss"), $(traffic "$work/ep.out")"
  rm -f "$work"/*.rss
done

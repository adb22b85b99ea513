#!/usr/bin/env bash
# Zero-shot classification on a random-weight facebook/bart-large-mnli stand-in (same shapes,
# config and tokenizer; written once by tools/make_bart_large_mnli, 1.63 GB).
#   bench/run_zero_shot_bench.sh [BUILD_DIR] [extra zero_shot_bench args, e.g. --json]
# Model directory: $LMPIPE_BENCH_MODEL (default /tmp/lmpipe-bart-large-mnli). Threads: 2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
model="${LMPIPE_BENCH_MODEL:-/tmp/lmpipe-bart-large-mnli}"

cmake --build "$build" --target make_bart_large_mnli zero_shot_bench lmpipe_cli fma_peak >/dev/null
if [ ! -f "$model/model.safetensors" ]; then
  "$build/tools/make_bart_large_mnli" "$model"
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
"$build/bench/fma_peak"
LMPIPE_NUM_THREADS=2 OMP_NUM_THREADS=2 "$build/bench/zero_shot_bench" --model "$model" "$@"
echo "after: $("$build/bench/fma_peak")"

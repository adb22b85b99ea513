#!/usr/bin/env bash
# Generation benchmarks on random-weight stand-ins of openai-community/gpt2, google-t5/t5-small and
# facebook/bart-large-cnn (written once by tools/make_generation_model into $LMPIPE_BENCH_DIR,
# default /tmp). Threads: 2.
#   bench/run_generation_bench.sh [BUILD_DIR] [RUNS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
runs="${2:-5}"
dir="${LMPIPE_BENCH_DIR:-/tmp}"

cmake --build "$build" --target make_generation_model generation_bench fma_peak >/dev/null
for model in gpt2 t5-small bart-large-cnn; do
  if [ ! -f "$dir/lmpipe-gen-$model/model.safetensors" ]; then
    "$build/tools/make_generation_model" "$model" "$dir/lmpipe-gen-$model"
  fi
done
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
"$build/bench/fma_peak"
export LMPIPE_NUM_THREADS=2 OMP_NUM_THREADS=2
"$build/bench/generation_bench" --model "$dir/lmpipe-gen-gpt2" --case gpt2-decode --runs "$runs"
"$build/bench/generation_bench" --model "$dir/lmpipe-gen-gpt2" --case gpt2-prefill --runs "$runs"
"$build/bench/generation_bench" --model "$dir/lmpipe-gen-t5-small" --case t5-greedy --runs "$runs"
"$build/bench/generation_bench" --model "$dir/lmpipe-gen-bart-large-cnn" --case bart-cnn --runs "$runs"
echo "after: $("$build/bench/fma_peak")"

#!/usr/bin/env bash
# Sentence embeddings (all-MiniLM-L6-v2 shapes) and fill-mask (bert-base-uncased shapes) on
# random-weight stand-ins written once by tools/make_encoder_models (90 MB and 440 MB).
#   bench/run_encoder_bench.sh [BUILD_DIR] [extra encoder_bench args, e.g. --runs 9 --json]
# Model directories: $LMPIPE_BENCH_MINILM (default /tmp/lmpipe-minilm), $LMPIPE_BENCH_BERT_BASE
# (default /tmp/lmpipe-bert-base). Threads: 2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
minilm="${LMPIPE_BENCH_MINILM:-/tmp/lmpipe-minilm}"
bert_base="${LMPIPE_BENCH_BERT_BASE:-/tmp/lmpipe-bert-base}"

cmake --build "$build" --target make_encoder_models encoder_bench fma_peak >/dev/null
[ -f "$minilm/model.safetensors" ] || "$build/tools/make_encoder_models" minilm "$minilm"
[ -f "$bert_base/model.safetensors" ] || "$build/tools/make_encoder_models" bert-base "$bert_base"
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
"$build/bench/fma_peak"
LMPIPE_NUM_THREADS=2 OMP_NUM_THREADS=2 "$build/bench/encoder_bench" --minilm "$minilm" --bert-base "$bert_base" "$@"
echo "after: $("$build/bench/fma_peak")"

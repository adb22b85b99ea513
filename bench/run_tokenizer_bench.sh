#!/usr/bin/env bash
# Tokenizer throughput, lmpipe vs Hugging Face tokenizers (Rust, via Node bindings), on the same
# generated corpus, one after the other; prints a Markdown table with ratios and a parity line.
#   bench/run_tokenizer_bench.sh [BUILD_DIR] [RUNS]     (threads: LMPIPE_NUM_THREADS, default 2)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
runs="${2:-5}"
threads="${LMPIPE_NUM_THREADS:-2}"

cmake --build "$build" --target tokenizer_bench >/dev/null
if [ ! -d "$root/bench/peer/node_modules/@anush008/tokenizers" ]; then
  (cd "$root/bench/peer" && npm ci --no-audit --no-fund >/dev/null)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$build/bench/tokenizer_bench" --write-corpus "$work/corpus.jsonl"

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
LMPIPE_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" \
  "$build/bench/tokenizer_bench" --corpus "$work/corpus.jsonl" --runs "$runs" --json >"$work/lmpipe.jsonl"
RAYON_NUM_THREADS="$threads" node "$root/bench/peer/tokenizers_peer.mjs" --corpus "$work/corpus.jsonl" \
  --runs "$runs" >"$work/peer.jsonl"
node "$root/bench/peer/report.mjs" "$work/lmpipe.jsonl" "$work/peer.jsonl"

#!/usr/bin/env bash
# The Python package against the CLI, and on Dask LocalClusters (bench/python_bench.py), on the
# random-weight facebook/bart-large-mnli stand-in (written once by tools/make_bart_large_mnli).
#   bench/run_python_bench.sh [BUILD_DIR] [python_bench.py args, e.g. --rounds 5 --emails 96]
# Model directory: $LMPIPE_BENCH_MODEL (default /tmp/lmpipe-bart-large-mnli).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
model="${LMPIPE_BENCH_MODEL:-/tmp/lmpipe-bart-large-mnli}"

cmake --build "$build" --target make_bart_large_mnli write_bench_emails lmpipe_cli lmpipe_python >/dev/null
if [ ! -f "$model/model.safetensors" ]; then
  "$build/tools/make_bart_large_mnli" "$model"
fi
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"
python=$(sed -n 's/^Python3_EXECUTABLE:[A-Z]*=//p' "$build/CMakeCache.txt")  # the one the package is built for
exec "${python:-python3}" "$root/bench/python_bench.py" --build "$build" --model "$model" "$@"

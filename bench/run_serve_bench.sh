#!/usr/bin/env bash
# `lmpipe serve` under load, on loopback only (BENCHMARKS.md, section 4): the bart-large-mnli
# stand-in (tools/make_bart_large_mnli), 2 labels, short and mixed-length emails.
#   1. the CLI's stdin mode on the same emails (batch sizes $CLI_BATCH_SIZES, default 1 4 8): its best emails/s;
#   2. wrk at concurrency 1, 8 and 64, each run bounded by $DURATION seconds, $ROUNDS rounds in
#      alternating order: requests/s, p50/p99 latency;
#   3. a soak of $SOAK requests (one good in ten, the others bad: invalid JSON and UTF-8, missing and wrong
#      fields, empty text) on a fresh server: peak RSS (VmHWM) after a warm-up and at the end.
#   bench/run_serve_bench.sh [BUILD_DIR]
# Environment: LMPIPE_BENCH_MODEL (default /tmp/lmpipe-bart-large-mnli), DURATION (30), ROUNDS (2),
# SOAK (10000), PORT (18080), EMAILS (200). Needs wrk (scripts/setup.sh installs it). Threads: 2.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
model="${LMPIPE_BENCH_MODEL:-/tmp/lmpipe-bart-large-mnli}"
duration="${DURATION:-30}"
rounds="${ROUNDS:-2}"
soak="${SOAK:-10000}"
port="${PORT:-18080}"
export LMPIPE_NUM_THREADS=2 OMP_NUM_THREADS=2

cmake --build "$build" --target make_bart_large_mnli serve_bench lmpipe_cli >/dev/null
[ -f "$model/model.safetensors" ] || "$build/tools/make_bart_large_mnli" "$model"
work="$(mktemp -d /tmp/lmpipe-serve-bench.XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"$build/bench/serve_bench" write "$work" --emails "${EMAILS:-200}"
machine() { echo "# $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)"; }
machine

health() {  # HTTP status of GET /health, or 000
  { exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /health HTTP/1.0\r\n\r\n' >&3 && head -1 <&3 | cut -d' ' -f2; exec 3>&-; } 2>/dev/null || echo 000
}
start_server() {
  "$build/lmpipe" serve --model "$model" --port "$port" 2>"$work/server.log" &
  server_pid=$!
  until [ "$(health)" = 200 ]; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.5
  done
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid"  # exit status 0 after a graceful stop (set -e checks it)
  server_pid=""
}
drain() {  # waits until the server has answered everything (wrk leaves requests behind at its end)
  until [ "$({ exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3; exec 3>&-; } 2>/dev/null |
             awk '$1 == "lmpipe_requests_in_flight" {print $2}')" = 0 ]; do sleep 0.5; done
}
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$server_pid/status"; }  # kB
answered() {  # requests the server has answered so far, all routes
  { exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3 && cat <&3; exec 3>&-; } 2>/dev/null |
    awk '$1 ~ /^lmpipe_requests_total/ && $1 !~ /metrics/ {n += $2} END {print n + 0}'
}
load_run() {  # SET CONCURRENCY [REQUESTS]: wrk for $duration s, or until REQUESTS are answered
  local threads=$(( $2 < 2 ? 1 : 2 ))
  if [ -z "${3:-}" ]; then
    BODIES="$work/$1.jsonl" wrk -t"$threads" -c"$2" -d"${duration}s" --timeout 120s \
      -s "$root/bench/serve_wrk.lua" "http://127.0.0.1:$port/" | tail -1
    return
  fi
  # wrk has no request count: stop it (SIGINT ends it with its summary) once enough are answered.
  local target=$(( $(answered) + $3 )) out="$work/wrk.out"
  BODIES="$work/$1.jsonl" wrk -t"$threads" -c"$2" -d3600s --timeout 120s \
    -s "$root/bench/serve_wrk.lua" "http://127.0.0.1:$port/" >"$out" &
  local wrk_pid=$!
  while [ "$(answered)" -lt "$target" ]; do sleep 0.2; done
  kill -INT "$wrk_pid"
  wait "$wrk_pid" || true
  tail -1 "$out"
}

echo "## CLI stdin, 2 labels (emails/s after the first output)"
for round in $(seq "$rounds"); do
  for set in short mixed; do
    for batch in ${CLI_BATCH_SIZES:-1 4 8}; do
      echo "cli round=$round set=$set batch_size=$batch $("$build/bench/serve_bench" cli "$build/lmpipe" "$model" "$work/$set.txt" --batch-size "$batch")"
    done
  done
done

echo "## server, wrk, ${duration}s per run"
start_server
echo "load time: $(grep -c . "$work/server.log") log lines; $(machine)"
load_run short 8 >/dev/null  # warm-up
drain
for round in $(seq "$rounds"); do
  order="1 8 64"; [ $((round % 2)) = 0 ] && order="64 8 1"
  for set in short mixed; do
    for c in $order; do
      echo "serve round=$round set=$set concurrency=$c $(load_run "$set" "$c")"
      drain
    done
  done
done
stop_server

echo "## soak: $soak requests (1 good : 9 bad), concurrency 16, fresh server"
start_server
load_run soak 16 1000 >/dev/null  # warm-up
drain
warm_hwm=$(rss VmHWM)
echo "after warm-up: VmHWM ${warm_hwm} kB, VmRSS $(rss VmRSS) kB"
echo "soak $(load_run soak 16 "$soak")"
drain
end_hwm=$(rss VmHWM)
echo "after soak: VmHWM ${end_hwm} kB, VmRSS $(rss VmRSS) kB, peak growth $(awk -v a="$warm_hwm" -v b="$end_hwm" 'BEGIN{printf "%.2f", 100*(b-a)/a}') %"
grep -c ' 200 ' "$work/server.log" | sed 's/^/server log: 200 answers: /'
grep -cE ' (400|422) ' "$work/server.log" | sed 's/^/server log: 400\/422 answers: /'
stop_server
machine

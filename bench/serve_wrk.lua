-- wrk script for bench/run_serve_bench.sh: POSTs the request bodies of $BODIES (one JSON body
-- per line) in turn, each thread from its own starting point. Prints one JSON summary line.
local bodies = {}
for line in io.lines(os.getenv("BODIES")) do bodies[#bodies + 1] = line end
local threads = {}
local next_body = 0

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  next_body = (id * 7919) % #bodies
end

function request()
  next_body = next_body % #bodies + 1
  return wrk.format("POST", "/", {["Content-Type"] = "application/json"}, bodies[next_body])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "requests_per_s": %.3f, "p50_ms": %.1f, "p99_ms": %.1f, ' ..
    '"max_ms": %.1f, "non_2xx": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout))
end

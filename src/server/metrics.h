#pragma once
// The server's Prometheus metrics (text exposition format 0.0.4), rendered for GET /metrics:
// requests by route and status, queue depth, batch sizes and latencies, tokens processed.
// Names follow Prometheus conventions (lmpipe_ prefix, _total counters, _seconds durations);
// TEI's te_* metrics are the model for what is measured.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace lmpipe::server {

// A cumulative histogram with fixed upper bounds (the +Inf bucket is implicit).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  // Appends the _bucket, _sum and _count lines of `name`.
  void render(std::string& out, const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // one per bound, plus +Inf
  double sum_ = 0;
  uint64_t count_ = 0;
};

class Metrics {
 public:
  Metrics();

  // One answered request: `route` is the route pattern ("/models/{id}", not the path).
  void request_done(const std::string& route, int status, double seconds);
  // One batch run: how many requests and tokens it held, how long the forward passes took.
  void batch_done(size_t requests, size_t tokens, double seconds);
  // Time a request waited in the queue before its batch started.
  void queued_for(double seconds);
  void set_queue_depth(size_t depth);
  // Requests taken in for computing (queued or in a batch) and not yet answered: +1 or -1.
  void add_in_flight(int delta);

  std::string render() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  Histogram request_seconds_, queue_seconds_, batch_seconds_, batch_size_, batch_tokens_;
  uint64_t tokens_ = 0, batches_ = 0;
  size_t queue_depth_ = 0;
  int64_t in_flight_ = 0;
};

// Counts a request in flight for its lifetime.
class InFlight {
 public:
  explicit InFlight(Metrics& metrics) : metrics_(metrics) { metrics_.add_in_flight(1); }
  ~InFlight() { metrics_.add_in_flight(-1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

 private:
  Metrics& metrics_;
};

}  // namespace lmpipe::server

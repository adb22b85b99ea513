#include "server/metrics.h"

#include <cmath>
#include <cstdio>

namespace lmpipe::server {

namespace {

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// bounds first, first*factor, ... (count values)
std::vector<double> geometric(double first, double factor, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(first * std::pow(factor, i));
  return out;
}

void header(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  ++counts_[i];
  sum_ += value;
  ++count_;
}

void Histogram::render(std::string& out, const std::string& name) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i];
    const double le = i < bounds_.size() ? bounds_[i] : INFINITY;
    out += name + "_bucket{le=\"" + number(le) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_sum " + number(sum_) + "\n" + name + "_count " + std::to_string(count_) + "\n";
}

// Durations: 1 ms to ~66 s in steps of 2x; batch sizes 1..1024; batch tokens 16..262144.
Metrics::Metrics()
    : request_seconds_(geometric(0.001, 2, 17)),
      queue_seconds_(geometric(0.001, 2, 17)),
      batch_seconds_(geometric(0.001, 2, 17)),
      batch_size_(geometric(1, 2, 11)),
      batch_tokens_(geometric(16, 2, 15)) {}

void Metrics::request_done(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  request_seconds_.observe(seconds);
}

void Metrics::batch_done(size_t requests, size_t tokens, double seconds) {
  std::lock_guard lock(mutex_);
  ++batches_;
  tokens_ += tokens;
  batch_size_.observe(static_cast<double>(requests));
  batch_tokens_.observe(static_cast<double>(tokens));
  batch_seconds_.observe(seconds);
}

void Metrics::queued_for(double seconds) {
  std::lock_guard lock(mutex_);
  queue_seconds_.observe(seconds);
}

void Metrics::set_queue_depth(size_t depth) {
  std::lock_guard lock(mutex_);
  queue_depth_ = depth;
}

void Metrics::add_in_flight(int delta) {
  std::lock_guard lock(mutex_);
  in_flight_ += delta;
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  header(out, "lmpipe_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (const auto& [key, n] : requests_)
    out += "lmpipe_requests_total{route=\"" + key.first + "\",status=\"" + std::to_string(key.second) + "\"} " +
           std::to_string(n) + "\n";
  header(out, "lmpipe_request_duration_seconds", "histogram", "Time from a request's arrival to its answer.");
  request_seconds_.render(out, "lmpipe_request_duration_seconds");
  header(out, "lmpipe_queue_depth", "gauge", "Requests waiting for a batch.");
  out += "lmpipe_queue_depth " + std::to_string(queue_depth_) + "\n";
  header(out, "lmpipe_requests_in_flight", "gauge", "Requests taken in for computing and not yet answered.");
  out += "lmpipe_requests_in_flight " + std::to_string(in_flight_) + "\n";
  header(out, "lmpipe_queue_duration_seconds", "histogram", "Time a request waited before its batch started.");
  queue_seconds_.render(out, "lmpipe_queue_duration_seconds");
  header(out, "lmpipe_batches_total", "counter", "Batches run.");
  out += "lmpipe_batches_total " + std::to_string(batches_) + "\n";
  header(out, "lmpipe_batch_size", "histogram", "Requests per batch.");
  batch_size_.render(out, "lmpipe_batch_size");
  header(out, "lmpipe_batch_tokens", "histogram", "Tokens per batch.");
  batch_tokens_.render(out, "lmpipe_batch_tokens");
  header(out, "lmpipe_batch_duration_seconds", "histogram", "Time to compute one batch.");
  batch_seconds_.render(out, "lmpipe_batch_duration_seconds");
  header(out, "lmpipe_tokens_total", "counter", "Tokens put through the model.");
  out += "lmpipe_tokens_total " + std::to_string(tokens_) + "\n";
  return out;
}

}  // namespace lmpipe::server

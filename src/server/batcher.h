#pragma once
// Dynamic batching: requests from many connections wait in one bounded FIFO queue; a single
// worker thread takes what is queued, in arrival order, under a token budget, and runs it as one
// Pipeline::run (shared forward passes). When the worker is idle, the first request waits at
// most `max_wait` for others to join it; when it is busy, whatever queued meanwhile forms the
// next batch (as TEI's batching task). A batch that fails is rerun one request at a time, so
// one bad request cannot fail the others.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "lmpipe/pipeline.h"
#include "server/metrics.h"

namespace lmpipe::server {

struct BatcherOptions {
  size_t max_batch_tokens = 1024;  // a request over the budget runs alone
  size_t max_batch_requests = 64;
  size_t max_queue = 256;          // requests waiting; submit() refuses more
  std::chrono::microseconds max_wait{2000};
};

// What a request gets back: the pipeline's answer or the exception its call threw.
struct Outcome {
  json value;
  std::exception_ptr error;
  double queue_seconds = 0, inference_seconds = 0;
  size_t batch_requests = 0;  // requests in the batch that answered it
  size_t tokens = 0;          // the call's own tokens (Pipeline::Call::tokens)
};

class Batcher {
 public:
  Batcher(const Pipeline& pipeline, const BatcherOptions& options, Metrics& metrics);
  ~Batcher();  // stop()
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues a prepared call; nullopt when the queue is full (or stopped).
  std::optional<std::future<Outcome>> submit(std::unique_ptr<Pipeline::Call> call);
  // Queues work that must run alone on the worker (e.g. a streamed generation); false when full.
  bool submit_exclusive(std::function<void()> job);
  // Runs everything queued, then ends the worker. Idempotent.
  void stop();

 private:
  struct Entry {
    std::unique_ptr<Pipeline::Call> call;  // or:
    std::function<void()> job;
    std::promise<Outcome> promise;
    std::chrono::steady_clock::time_point arrived;
  };
  bool push(Entry entry);
  void work();
  std::deque<Entry> take_batch(std::unique_lock<std::mutex>& lock);
  void run(std::deque<Entry>& batch);

  const Pipeline& pipeline_;
  const BatcherOptions options_;
  Metrics& metrics_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Entry> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace lmpipe::server

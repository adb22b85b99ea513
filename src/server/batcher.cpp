#include "server/batcher.h"

#include <algorithm>

namespace lmpipe::server {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// A call that says nothing of its size still counts against the budget.
size_t cost(const Pipeline::Call& call) { return std::max<size_t>(call.tokens, 1); }

}  // namespace

Batcher::Batcher(const Pipeline& pipeline, const BatcherOptions& options, Metrics& metrics)
    : pipeline_(pipeline), options_(options), metrics_(metrics), worker_([this] { work(); }) {}

Batcher::~Batcher() { stop(); }

std::optional<std::future<Outcome>> Batcher::submit(std::unique_ptr<Pipeline::Call> call) {
  Entry entry;
  entry.call = std::move(call);
  auto future = entry.promise.get_future();
  if (!push(std::move(entry))) return std::nullopt;
  return future;
}

bool Batcher::submit_exclusive(std::function<void()> job) {
  Entry entry;
  entry.job = std::move(job);
  return push(std::move(entry));
}

bool Batcher::push(Entry entry) {
  entry.arrived = Clock::now();
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= options_.max_queue) return false;
    queue_.push_back(std::move(entry));
    metrics_.set_queue_depth(queue_.size());
  }
  arrived_.notify_one();
  return true;
}

void Batcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  arrived_.notify_one();
  if (worker_.joinable()) worker_.join();
}

void Batcher::work() {
  std::unique_lock lock(mutex_);
  for (;;) {
    arrived_.wait(lock, [&] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, nothing left
    std::deque<Entry> batch = take_batch(lock);
    metrics_.set_queue_depth(queue_.size());
    lock.unlock();
    run(batch);
    lock.lock();
  }
}

std::deque<Batcher::Entry> Batcher::take_batch(std::unique_lock<std::mutex>& lock) {
  // Requests queued while the worker was busy go at once; a lone early request waits a little
  // for company, until the budget fills or the wait bound passes.
  auto queued_cost = [&] {
    size_t total = 0;
    for (const auto& e : queue_) total += e.call ? cost(*e.call) : options_.max_batch_tokens;
    return total;
  };
  const Clock::time_point deadline = queue_.front().arrived + options_.max_wait;
  while (!stopping_ && Clock::now() < deadline && queued_cost() < options_.max_batch_tokens &&
         queue_.size() < options_.max_batch_requests)
    arrived_.wait_until(lock, deadline);

  std::deque<Entry> batch;
  size_t tokens = 0;
  while (!queue_.empty() && batch.size() < options_.max_batch_requests) {
    Entry& next = queue_.front();
    if (!next.call) {  // exclusive work runs alone
      if (batch.empty()) {
        batch.push_back(std::move(next));
        queue_.pop_front();
      }
      break;
    }
    // Arrival order is kept: the first request that does not fit closes the batch.
    if (!batch.empty() && tokens + cost(*next.call) > options_.max_batch_tokens) break;
    tokens += cost(*next.call);
    batch.push_back(std::move(next));
    queue_.pop_front();
  }
  return batch;
}

void Batcher::run(std::deque<Entry>& batch) {
  const Clock::time_point start = Clock::now();
  for (const auto& e : batch) metrics_.queued_for(seconds_between(e.arrived, start));
  if (batch.front().job) {
    try {
      batch.front().job();
    } catch (...) {  // the job answers its own client; it must not end the worker
    }
    return;
  }
  std::vector<const Pipeline::Call*> calls;
  size_t tokens = 0;
  for (const auto& e : batch) {
    calls.push_back(e.call.get());
    tokens += e.call->tokens;
  }
  std::vector<json> values;
  std::vector<std::exception_ptr> errors(batch.size());
  try {
    values = pipeline_.run(calls);
  } catch (...) {
    // Find the call at fault: each alone (an answer does not depend on its batch).
    values.assign(batch.size(), json());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch.size() == 1) {
        errors[i] = std::current_exception();
        break;
      }
      try {
        values[i] = pipeline_.run({calls[i]}).front();
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  }
  const Clock::time_point end = Clock::now();
  metrics_.batch_done(batch.size(), tokens, seconds_between(start, end));
  for (size_t i = 0; i < batch.size(); ++i) {
    Outcome outcome;
    outcome.value = std::move(values[i]);
    outcome.error = errors[i];
    outcome.queue_seconds = seconds_between(batch[i].arrived, start);
    outcome.inference_seconds = seconds_between(start, end);
    outcome.batch_requests = batch.size();
    outcome.tokens = batch[i].call->tokens;
    batch[i].promise.set_value(std::move(outcome));
  }
}

}  // namespace lmpipe::server

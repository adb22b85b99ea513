#pragma once
// The buffers of one generate() call (key/value caches, scratch), kept by the model between
// calls. A prefill writes tens of megabytes; on fresh pages each call paid more to fault them in
// than to copy them (GPT-2, 512-token prompt: about 15 % of the call).
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace lmpipe {

template <class Buffers>
class SessionPool {
 public:
  // Buffers for one session, back to the pool when the lease ends; concurrent sessions each
  // get their own.
  class Lease {
   public:
    Lease(SessionPool* pool, std::unique_ptr<Buffers> buffers) : pool_(pool), buffers_(std::move(buffers)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (buffers_) pool_->give_back(std::move(buffers_));
    }
    Buffers& operator*() const { return *buffers_; }
    Buffers* operator->() const { return buffers_.get(); }

   private:
    SessionPool* pool_;
    std::unique_ptr<Buffers> buffers_;
  };

  Lease take() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.empty()) return Lease(this, std::make_unique<Buffers>());
    Lease lease(this, std::move(idle_.back()));
    idle_.pop_back();
    return lease;
  }

 private:
  void give_back(std::unique_ptr<Buffers> buffers) {
    std::lock_guard<std::mutex> lock(mutex_);
    idle_.push_back(std::move(buffers));
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<Buffers>> idle_;
};

}  // namespace lmpipe

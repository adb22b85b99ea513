#pragma once
// Thread-safe word -> tokens cache shared by the models (HF tokenizers' utils::cache::Cache):
// bounded, no eviction (once full, new words are not stored); reads take no lock and a writer
// that finds its shard busy skips the insert, so encoding threads never block each other.
#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/flat_map.h"
#include "tokenizers/model.h"

namespace lmpipe::tok {

class TokenCache {
 public:
  static constexpr size_t kCapacity = 10000;    // HF's DEFAULT_CACHE_CAPACITY
  static constexpr size_t kMaxWordBytes = 256;  // HF caches words shorter than this

  // Lock-free: an entry is published (used = true, release) only once complete and never
  // changes afterwards, so readers need no lock.
  // Appends the cached tokens of `word` to `out`.
  bool get(std::string_view word, std::vector<Token>& out) const {
    if (word.size() >= kMaxWordBytes) return false;
    uint64_t h = hash_bytes(word);
    const Entry* e = shard(h).find(h, word);
    if (!e) return false;
    out.insert(out.end(), e->tokens.begin(), e->tokens.end());
    return true;
  }

  void put(std::string_view word, std::span<const Token> tokens) const {
    if (word.size() >= kMaxWordBytes) return;
    uint64_t h = hash_bytes(word);
    Shard& s = shard(h);
    std::unique_lock lock(s.writer, std::try_to_lock);
    if (!lock.owns_lock() || s.size >= kPerShard) return;
    for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
      Entry& e = s.slots[i];
      if (!e.used.load(std::memory_order_acquire)) {
        e.hash = h;
        e.key.assign(word);
        e.tokens.assign(tokens.begin(), tokens.end());
        e.used.store(true, std::memory_order_release);
        ++s.size;
        return;
      }
      if (e.hash == h && e.key == word) return;
    }
  }

 private:
  static constexpr size_t kShards = 32;
  static constexpr size_t kPerShard = (kCapacity + kShards - 1) / kShards;
  static constexpr size_t kSlots = 1024;  // power of two, over 3x kPerShard: short probes
  struct Entry {
    std::atomic<bool> used{false};
    uint64_t hash = 0;
    std::string key;
    std::vector<Token> tokens;
  };
  struct Shard {
    std::mutex writer;
    std::vector<Entry> slots = std::vector<Entry>(kSlots);
    size_t size = 0;  // guarded by writer
    const Entry* find(uint64_t h, std::string_view word) const {
      for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
        const Entry& e = slots[i];
        if (!e.used.load(std::memory_order_acquire)) return nullptr;
        if (e.hash == h && e.key == word) return &e;
      }
    }
  };
  Shard& shard(uint64_t h) const { return shards_[(h >> 56) % kShards]; }
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace lmpipe::tok

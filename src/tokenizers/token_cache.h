#pragma once
// Thread-safe word -> tokens cache shared by the models (HF tokenizers' utils::cache::Cache):
// bounded, no eviction (once full, new words are not stored), and a lookup that finds its shard
// busy simply misses instead of waiting, so encoding threads never block each other.
#include <array>
#include <mutex>
#include <optional>
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

  bool get(std::string_view word, std::vector<Token>& out) const {
    if (word.size() >= kMaxWordBytes) return false;
    uint64_t h = hash_bytes(word);
    Shard& s = shard(h);
    std::unique_lock lock(s.mutex, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    const Entry* e = s.find(h, word);
    if (!e || !e->used) return false;
    out = e->tokens;
    return true;
  }

  void put(std::string_view word, const std::vector<Token>& tokens) const {
    if (word.size() >= kMaxWordBytes) return;
    uint64_t h = hash_bytes(word);
    Shard& s = shard(h);
    std::unique_lock lock(s.mutex, std::try_to_lock);
    if (!lock.owns_lock() || s.size >= kPerShard) return;
    Entry* e = s.find(h, word);
    if (e->used) return;
    *e = Entry{h, std::string(word), tokens, true};
    ++s.size;
  }

 private:
  static constexpr size_t kShards = 32;
  static constexpr size_t kPerShard = (kCapacity + kShards - 1) / kShards;
  static constexpr size_t kSlots = 1024;  // power of two, over 3x kPerShard: short probes
  struct Entry {
    uint64_t hash = 0;
    std::string key;
    std::vector<Token> tokens;
    bool used = false;
  };
  struct Shard {
    std::mutex mutex;
    std::vector<Entry> slots = std::vector<Entry>(kSlots);
    size_t size = 0;
    // The entry holding `word`, or the free slot where it belongs (open addressing, no deletes).
    Entry* find(uint64_t h, std::string_view word) {
      for (size_t i = h & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
        Entry& e = slots[i];
        if (!e.used || (e.hash == h && e.key == word)) return &e;
      }
    }
  };
  Shard& shard(uint64_t h) const { return shards_[(h >> 56) % kShards]; }
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace lmpipe::tok

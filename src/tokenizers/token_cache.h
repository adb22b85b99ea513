#pragma once
// Thread-safe word -> tokens cache shared by the models (HF tokenizers' utils::cache::Cache):
// bounded, no eviction (once full, new words are not stored), and a lookup that finds its shard
// busy simply misses instead of waiting, so encoding threads never block each other.
#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizers/flat_map.h"
#include "tokenizers/model.h"

namespace lmpipe::tok {

class TokenCache {
 public:
  static constexpr size_t kCapacity = 10000;  // HF's DEFAULT_CACHE_CAPACITY
  static constexpr size_t kMaxWordBytes = 256;  // HF caches words shorter than this

  bool get(std::string_view word, std::vector<Token>& out) const {
    if (word.size() >= kMaxWordBytes) return false;
    Shard& s = shard(word);
    std::unique_lock lock(s.mutex, std::try_to_lock);
    if (!lock.owns_lock()) return false;
    auto it = s.map.find(word);
    if (it == s.map.end()) return false;
    out = it->second;
    return true;
  }

  void put(std::string_view word, const std::vector<Token>& tokens) const {
    if (word.size() >= kMaxWordBytes) return;
    Shard& s = shard(word);
    std::unique_lock lock(s.mutex, std::try_to_lock);
    if (!lock.owns_lock() || s.map.size() >= kCapacity / kShards) return;
    s.map.emplace(std::string(word), tokens);
  }

 private:
  static constexpr size_t kShards = 32;
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return hash_bytes(s); }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, std::vector<Token>, Hash, std::equal_to<>> map;
  };
  Shard& shard(std::string_view word) const { return shards_[(hash_bytes(word) >> 48) % kShards]; }
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace lmpipe::tok

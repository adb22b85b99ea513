#pragma once
// Open-addressing hash maps for the models' hot loops: token string -> id (keys live in one
// arena, looked up by string_view without allocating) and 64-bit key -> 64-bit value (BPE merge
// pairs, trie edges). Insert overwrites, as Rust's HashMap::insert does.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmpipe::tok {

inline uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (s.size() * 0xFF51AFD7ED558CCDull);
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  if (n) std::memcpy(&v, p, n);
  h = (h ^ v) * 0x94D049BB133111EBull;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
}

inline uint64_t hash_u64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xFF51AFD7ED558CCDull;
  x ^= x >> 33;
  x *= 0xC4CEB9FE1A85EC53ull;
  return x ^ (x >> 33);
}

// string -> uint32_t.
class StringIdMap {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > slots_.size()) rehash(cap);
  }

  void insert(std::string_view key, uint32_t id) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    uint64_t h = hash_bytes(key);
    const uint64_t head = head_of(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.len == kEmpty) {
        s = Slot{head, static_cast<uint32_t>(h), static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(key.size()), id};
        arena_.append(key);
        ++size_;
        return;
      }
      if (s.hash == static_cast<uint32_t>(h) && matches(s, key, head)) {
        s.id = id;
        return;
      }
    }
  }

  const uint32_t* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    uint64_t h = hash_bytes(key);
    const uint64_t head = head_of(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.len == kEmpty) return nullptr;
      if (s.hash == static_cast<uint32_t>(h) && matches(s, key, head)) return &s.id;
    }
  }

  std::optional<uint32_t> get(std::string_view key) const {
    const uint32_t* p = find(key);
    return p ? std::optional<uint32_t>(*p) : std::nullopt;
  }

  size_t size() const { return size_; }

  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.len != kEmpty) f(key_of(s), s.id);
  }

 private:
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  // `head` holds the key's first 8 bytes, so short keys compare without touching the arena.
  struct Slot {
    uint64_t head = 0;
    uint32_t hash = 0, offset = 0, len = kEmpty, id = 0;
  };
  static uint64_t head_of(std::string_view key) {
    uint64_t v = 0;
    if (!key.empty()) std::memcpy(&v, key.data(), key.size() < 8 ? key.size() : 8);
    return v;
  }
  bool matches(const Slot& s, std::string_view key, uint64_t head) const {
    if (s.len != key.size() || s.head != head) return false;
    return key.size() <= 8 || std::memcmp(arena_.data() + s.offset + 8, key.data() + 8, key.size() - 8) == 0;
  }
  std::string_view key_of(const Slot& s) const { return std::string_view(arena_).substr(s.offset, s.len); }
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    size_t mask = cap - 1;
    for (const Slot& s : old) {
      if (s.len == kEmpty) continue;
      size_t i = s.hash & mask;
      while (slots_[i].len != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  // The 32 stored hash bits are the low bits of the full hash, so the slot index derived from
  // them is the same one insert/find start from while the table holds at most 2^32 slots.
  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
};

// uint64_t -> uint64_t; the key ~0 is reserved.
class U64Map {
 public:
  void reserve(size_t n) {
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > slots_.size()) rehash(cap);
  }
  void insert(uint64_t key, uint64_t value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    size_t mask = slots_.size() - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      if (s.key == kEmpty) {
        s = Slot{key, value};
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
    }
  }
  const uint64_t* find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    size_t mask = slots_.size() - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.key == key) return &s.value;
      if (s.key == kEmpty) return nullptr;
    }
  }
  size_t size() const { return size_; }

 private:
  static constexpr uint64_t kEmpty = ~0ull;
  struct Slot {
    uint64_t key = kEmpty, value = 0;
  };
  void rehash(size_t cap) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(cap, Slot{});
    size_t mask = cap - 1;
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      size_t i = hash_u64(s.key) & mask;
      while (slots_[i].key != kEmpty) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace lmpipe::tok

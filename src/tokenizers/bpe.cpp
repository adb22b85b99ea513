// Port of HF tokenizers' models/bpe/model.rs (merge_word, tokenize_with_cache) and word.rs
// (merge_all): characters become symbols, then the lowest-ranked adjacent pair is merged first
// (ties: leftmost), until no pair of the merge table is left.
#include "tokenizers/bpe.h"

#include <algorithm>
#include <cstdio>

#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

uint64_t pair_key(uint32_t a, uint32_t b) { return (static_cast<uint64_t>(a) << 32) | b; }

struct Merge {
  uint32_t pos, rank, new_id;
};
// The heap pops the "largest": make that the lowest rank, then the lowest position.
struct MergeAfter {
  bool operator()(const Merge& a, const Merge& b) const {
    return a.rank != b.rank ? a.rank > b.rank : a.pos > b.pos;
  }
};

}  // namespace

Bpe::Bpe(const std::vector<std::pair<std::string, uint32_t>>& vocab,
         const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
         const std::string& where)
    : opt_(std::move(options)) {
  vocab_.reserve(vocab.size());
  uint32_t max_id = 0;
  for (const auto& [token, id] : vocab) max_id = std::max(max_id, id);
  vocab_r_.resize(vocab.empty() ? 0 : size_t{max_id} + 1);
  has_id_.assign(vocab_r_.size(), false);
  for (const auto& [token, id] : vocab) {
    vocab_.insert(token, id);
    vocab_r_[id] = token;
    has_id_[id] = true;
  }
  size_t prefix_len = opt_.continuing_subword_prefix ? opt_.continuing_subword_prefix->size() : 0;
  merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [a, b] = merges[rank];
    auto a_id = vocab_.get(a);
    if (!a_id) throw Error(where + ": merge token '" + a + "' is not in the vocabulary");
    auto b_id = vocab_.get(b);
    if (!b_id) throw Error(where + ": merge token '" + b + "' is not in the vocabulary");
    std::string merged = a + (prefix_len <= b.size() ? b.substr(prefix_len) : std::string());
    auto new_id = vocab_.get(merged);
    if (!new_id) throw Error(where + ": merge result '" + merged + "' is not in the vocabulary");
    merges_.insert(pair_key(*a_id, *b_id), (static_cast<uint64_t>(rank) << 32) | *new_id);
  }
  if (opt_.unk_token) unk_id_ = vocab_.get(*opt_.unk_token);
}

std::optional<std::string> Bpe::id_to_token(uint32_t id) const {
  if (id >= vocab_r_.size() || !has_id_[id]) return std::nullopt;
  return vocab_r_[id];
}

void Bpe::split_word(std::string_view w, std::vector<Symbol>& symbols) const {
  auto add = [&](uint32_t id, uint32_t len) {
    int32_t n = static_cast<int32_t>(symbols.size());
    if (n > 0) symbols.back().next = n;
    symbols.push_back(Symbol{id, n - 1, -1, len});
  };
  const std::string& prefix = opt_.continuing_subword_prefix ? *opt_.continuing_subword_prefix : std::string();
  const std::string& suffix = opt_.end_of_word_suffix ? *opt_.end_of_word_suffix : std::string();
  std::string buf;
  bool unk = false;  // an unknown run is pending: (unk_id, unk_len)
  uint32_t unk_id = 0, unk_len = 0;
  for (size_t i = 0; i < w.size();) {
    size_t len = std::min(utf8_sequence_length(static_cast<unsigned char>(w[i])), w.size() - i);
    bool is_first = i == 0, is_last = i + len == w.size();
    std::string_view s = w.substr(i, len);
    if ((!is_first && !prefix.empty()) || (is_last && !suffix.empty())) {
      buf.clear();
      if (!is_first) buf += prefix;
      buf += s;
      if (is_last) buf += suffix;
      s = buf;
    }
    i += len;
    if (const uint32_t* id = vocab_.find(s)) {
      if (unk) {
        add(unk_id, unk_len);
        unk = false;
      }
      add(*id, static_cast<uint32_t>(len));
      continue;
    }
    if (opt_.byte_fallback) {
      std::vector<uint32_t> ids;
      for (unsigned char b : s) {
        char code[8];
        std::snprintf(code, sizeof code, "<0x%02X>", b);
        const uint32_t* id = vocab_.find(code);
        if (!id) break;
        ids.push_back(*id);
      }
      if (ids.size() == s.size()) {
        for (uint32_t id : ids) add(id, 1);
        continue;
      }
    }
    if (opt_.unk_token) {
      if (unk && opt_.fuse_unk) {
        unk_len += static_cast<uint32_t>(len);
        continue;
      }
      if (unk) add(unk_id, unk_len);
      if (!unk_id_) throw Error("BPE: unk_token '" + *opt_.unk_token + "' is not in the vocabulary");
      unk = true;
      unk_id = *unk_id_;
      unk_len = static_cast<uint32_t>(len);
    }
  }
  if (unk) add(unk_id, unk_len);
}

void Bpe::merge_all(std::vector<Symbol>& symbols) const {
  // A binary min-heap on a per-thread buffer, so a word costs no allocation.
  thread_local std::vector<Merge> queue;
  queue.clear();
  auto push = [&](uint32_t pos, uint64_t m) {
    queue.push_back(Merge{pos, static_cast<uint32_t>(m >> 32), static_cast<uint32_t>(m)});
    std::push_heap(queue.begin(), queue.end(), MergeAfter{});
  };
  for (size_t i = 0; i + 1 < symbols.size(); ++i) {
    if (const uint64_t* m = merges_.find(pair_key(symbols[i].id, symbols[i + 1].id))) push(static_cast<uint32_t>(i), *m);
  }
  while (!queue.empty()) {
    std::pop_heap(queue.begin(), queue.end(), MergeAfter{});
    Merge top = queue.back();
    queue.pop_back();
    Symbol& cur = symbols[top.pos];
    if (cur.len == 0 || cur.next == -1) continue;
    size_t next_pos = static_cast<size_t>(cur.next);
    Symbol right = symbols[next_pos];
    // Skip entries made stale by earlier merges.
    const uint64_t* m = merges_.find(pair_key(cur.id, right.id));
    if (!m || static_cast<uint32_t>(*m) != top.new_id) continue;
    cur.id = top.new_id;
    cur.len += right.len;
    cur.next = right.next;
    symbols[next_pos].len = 0;
    if (right.next >= 0 && static_cast<size_t>(right.next) < symbols.size()) symbols[right.next].prev = static_cast<int32_t>(top.pos);
    if (cur.prev >= 0) {
      const Symbol& prev = symbols[cur.prev];
      if (const uint64_t* pm = merges_.find(pair_key(prev.id, cur.id))) push(static_cast<uint32_t>(cur.prev), *pm);
    }
    if (cur.next >= 0) {
      const Symbol& next = symbols[cur.next];
      if (const uint64_t* nm = merges_.find(pair_key(cur.id, next.id))) push(top.pos, *nm);
    }
  }
  symbols.erase(std::remove_if(symbols.begin(), symbols.end(), [](const Symbol& s) { return s.len == 0; }), symbols.end());
}

void Bpe::tokenize(std::string_view piece, std::vector<Token>& out) const {
  if (piece.empty()) return;
  if (opt_.ignore_merges) {
    if (const uint32_t* id = vocab_.find(piece)) {
      out.push_back(Token{*id, std::string(piece), 0, piece.size()});
      return;
    }
  }
  if (cache_.get(piece, out)) return;
  thread_local std::vector<Symbol> symbols;
  symbols.clear();
  split_word(piece, symbols);
  merge_all(symbols);
  const size_t first = out.size();
  size_t pos = 0;
  for (const Symbol& s : symbols) {
    out.push_back(Token{s.id, token_text(s.id), pos, pos + s.len});
    pos += s.len;
  }
  cache_.put(piece, std::span<const Token>(out).subspan(first));
}

}  // namespace lmpipe::tok

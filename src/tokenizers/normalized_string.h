#pragma once
// A string under normalization that remembers, for every byte of the normalized text, the
// range of the original input it came from (HF tokenizers' NormalizedString), and the
// list of pieces pre-tokenization cuts it into (PreTokenizedString).
// Alignments here are absolute byte offsets into the whole input, so slices need no shift.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizers/model.h"
#include "tokenizers/unicode.h"

namespace lmpipe::tok {

// Original byte range; 32-bit to halve the per-byte alignment memory.
using Span = std::pair<uint32_t, uint32_t>;
inline Span make_span(size_t start, size_t end) { return {static_cast<uint32_t>(start), static_cast<uint32_t>(end)}; }
// A normalized character and how it relates to the text it replaces: 0 replaces one
// character, +1 is inserted, -n replaces one character and removes the n that follow.
using Change = std::pair<char32_t, int>;

// One piece of a pattern search: [start, end) and whether it is a match.
struct PatternPiece {
  size_t start, end;
  bool is_match;
};

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class NormalizedString {
 public:
  NormalizedString() = default;
  // `text` is the input's bytes [shift, shift + text.size()).
  NormalizedString(std::string_view text, size_t shift);

  const std::string& get() const { return normalized_; }
  bool empty() const { return normalized_.empty(); }
  // Absolute start of this piece in the input.
  size_t original_start() const { return original_start_; }
  const std::vector<Span>& alignments() const { return alignments_; }

  // Replaces normalized bytes [start, end) by `dest`, skipping the first `initial_offset`
  // characters of the range (they are removed), as HF's transform_range.
  void transform_range(size_t start, size_t end, const std::vector<Change>& dest, size_t initial_offset);
  void transform(const std::vector<Change>& dest, size_t initial_offset) {
    transform_range(0, normalized_.size(), dest, initial_offset);
  }
  // Keeps the characters for which keep(c) holds.
  void filter(const std::function<bool(char32_t)>& keep);
  void prepend(std::string_view s);
  void append(std::string_view s);
  // Replaces every match in `pieces` (a cover of the normalized text) by `content`.
  void replace(const std::vector<PatternPiece>& pieces, std::string_view content);
  void lowercase();
  // Replaces every byte b by table[b], each new byte aligned as the byte it replaces.
  void substitute_bytes(const std::string* table);
  void strip(bool left, bool right);

  // Absolute original byte range of normalized bytes [start, end).
  Span to_original(size_t start, size_t end) const;
  // The normalized bytes [start, end) as a piece of their own.
  NormalizedString slice(size_t start, size_t end) const;
  // Cuts along `pieces` (a cover of the normalized text) as HF's NormalizedString::split.
  std::vector<NormalizedString> split(const std::vector<PatternPiece>& pieces, SplitBehavior behavior) const;

 private:
  // Keeps bytes [0, from) as they are and rebuilds the rest character by character:
  // emit(c, i, len, text, aligns) appends what replaces the character c at bytes [i, i + len).
  template <typename Emit>
  void rebuild_from(size_t from, Emit&& emit);

  std::string normalized_;
  std::vector<Span> alignments_;  // one per normalized byte
  size_t original_start_ = 0;
};

// Pattern searches over a string, each returning a cover of it as HF's Pattern::find_matches.
template <typename Pred>
std::vector<PatternPiece> find_char_matches(std::string_view s, Pred&& pred);
std::vector<PatternPiece> find_literal_matches(std::string_view s, std::string_view literal);
// Flips is_match (HF's Invert).
void invert_matches(std::vector<PatternPiece>& pieces);

struct Split {
  NormalizedString normalized;
  std::optional<std::vector<Token>> tokens;  // set once a piece is tokenized (added tokens)
};

// The input cut into pieces; each piece is normalized and pre-tokenized on its own.
struct PreTokenizedString {
  std::vector<Split> splits;
  // Replaces every untokenized piece by the pieces fn returns; empty pieces are dropped.
  template <typename Fn>
  void split(Fn&& fn) {
    std::vector<Split> out;
    out.reserve(splits.size());
    for (auto& s : splits) {
      if (s.tokens) {
        out.push_back(std::move(s));
        continue;
      }
      auto pieces = fn(s.normalized);
      // One input piece often becomes hundreds: grow once for all of them, not by doubling.
      if (out.size() + pieces.size() > out.capacity()) out.reserve(std::max(2 * out.capacity(), out.size() + pieces.size()));
      for (auto& piece : pieces)
        if (!piece.empty()) out.push_back(Split{std::move(piece), std::nullopt});
    }
    splits = std::move(out);
  }
};

template <typename Pred>
std::vector<PatternPiece> find_char_matches(std::string_view s, Pred&& pred) {
  if (s.empty()) return {{0, 0, false}};
  std::vector<PatternPiece> out;
  size_t last = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len;
    char32_t c = decode_utf8(s, i, len);
    if (pred(c)) {
      if (last < i) out.push_back({last, i, false});
      out.push_back({i, i + len, true});
      last = i + len;
    }
    i += len;
  }
  if (last < s.size()) out.push_back({last, s.size(), false});
  return out;
}

}  // namespace lmpipe::tok

// Mirrors HF tokenizers' tokenizer/normalizer.rs (NormalizedString) and pattern.rs.
#include "tokenizers/normalized_string.h"

#include <algorithm>

#include "tokenizers/unicode.h"

namespace lmpipe::tok {

NormalizedString::NormalizedString(std::string_view text, size_t shift)
    : normalized_(text), original_start_(shift) {
  alignments_.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len;
    decode_utf8(text, i, len);
    for (size_t k = 0; k < len; ++k) alignments_.push_back(make_span(shift + i, shift + i + len));
    i += len;
  }
}

void NormalizedString::transform_range(size_t start, size_t end, const std::vector<Change>& dest,
                                       size_t initial_offset) {
  // The replaced characters, consumed as dest says, to track where each new char comes from.
  size_t cursor = start;
  auto skip_chars = [&](size_t n) {
    size_t bytes = 0;
    while (n-- > 0 && cursor < end) {
      size_t len;
      decode_utf8(normalized_, cursor, len);
      cursor += len;
      bytes += len;
    }
    return bytes;
  };
  skip_chars(initial_offset);
  size_t offset = cursor;
  std::string text;
  std::vector<Span> aligns;
  text.reserve(end - start);
  aligns.reserve(end - start);
  for (auto [c, change] : dest) {
    Span align;
    if (change > 0) {
      align = offset < 1 ? make_span(original_start_, original_start_) : alignments_[offset - 1];
    } else {
      align = offset < alignments_.size() ? alignments_[offset]
                                          : (offset > 0 ? alignments_[offset - 1] : make_span(original_start_, original_start_));
      offset += skip_chars(1);
    }
    if (change < 0) offset += skip_chars(static_cast<size_t>(-change));
    size_t before = text.size();
    append_utf8(text, c);
    aligns.insert(aligns.end(), text.size() - before, align);
  }
  normalized_.replace(start, end - start, text);
  alignments_.erase(alignments_.begin() + static_cast<ptrdiff_t>(start), alignments_.begin() + static_cast<ptrdiff_t>(end));
  alignments_.insert(alignments_.begin() + static_cast<ptrdiff_t>(start), aligns.begin(), aligns.end());
}

template <typename Emit>
void NormalizedString::rebuild_from(size_t from, Emit&& emit) {
  std::string text(normalized_, 0, from);
  std::vector<Span> aligns(alignments_.begin(), alignments_.begin() + static_cast<ptrdiff_t>(from));
  text.reserve(normalized_.size());
  aligns.reserve(normalized_.size());
  for (size_t i = from, len; i < normalized_.size(); i += len) {
    char32_t c = decode_utf8(normalized_, i, len);
    emit(c, i, len, text, aligns);
  }
  normalized_ = std::move(text);
  alignments_ = std::move(aligns);
}

void NormalizedString::filter(const std::function<bool(char32_t)>& keep) {
  // Nothing is rebuilt up to the first character dropped (often none is).
  size_t i = 0;
  for (size_t len; i < normalized_.size(); i += len)
    if (!keep(decode_utf8(normalized_, i, len))) break;
  if (i == normalized_.size()) return;
  rebuild_from(i, [&](char32_t c, size_t at, size_t len, std::string& text, std::vector<Span>& aligns) {
    if (!keep(c)) return;
    text.append(normalized_, at, len);
    aligns.insert(aligns.end(), alignments_.begin() + static_cast<ptrdiff_t>(at),
                  alignments_.begin() + static_cast<ptrdiff_t>(at + len));
  });
}

void NormalizedString::prepend(std::string_view s) {
  if (normalized_.empty() || s.empty()) return;
  // In place, the result of transform_range over the first character with changes
  // [(s's first char, 0), (s's other chars, +1), (first char, +1)]: s's first character takes
  // the alignment of byte 0, every later new byte and the first character's own bytes take
  // the alignment of the first character's last byte.
  size_t first_len, head_len;
  decode_utf8(normalized_, 0, first_len);
  decode_utf8(s, 0, head_len);
  Span head = alignments_[0], tail = alignments_[first_len - 1];
  normalized_.insert(0, s);
  alignments_.insert(alignments_.begin(), s.size(), tail);
  std::fill(alignments_.begin(), alignments_.begin() + static_cast<ptrdiff_t>(head_len), head);
  std::fill(alignments_.begin() + static_cast<ptrdiff_t>(s.size()),
            alignments_.begin() + static_cast<ptrdiff_t>(s.size() + first_len), tail);
}

void NormalizedString::append(std::string_view s) {
  if (normalized_.empty() || s.empty()) return;
  size_t last = normalized_.size() - 1;
  while ((static_cast<unsigned char>(normalized_[last]) & 0xC0) == 0x80) --last;
  size_t len;
  std::vector<Change> changes{{decode_utf8(normalized_, last, len), 0}};
  for (size_t i = 0; i < s.size(); i += len) changes.emplace_back(decode_utf8(s, i, len), 1);
  transform_range(last, normalized_.size(), changes, 0);
}

void NormalizedString::replace(const std::vector<PatternPiece>& pieces, std::string_view content) {
  bool any = false;
  for (const auto& p : pieces) any |= p.is_match;
  if (!any) return;
  std::string text;
  std::vector<Span> aligns;
  text.reserve(normalized_.size());
  aligns.reserve(normalized_.size());
  for (const auto& p : pieces) {
    if (!p.is_match) {
      text.append(normalized_, p.start, p.end - p.start);
      aligns.insert(aligns.end(), alignments_.begin() + static_cast<ptrdiff_t>(p.start),
                    alignments_.begin() + static_cast<ptrdiff_t>(p.end));
      continue;
    }
    // Every inserted character takes the alignment of the last replaced byte.
    Span align = p.end >= 1 ? alignments_[p.end - 1] : make_span(original_start_, original_start_);
    text.append(content);
    aligns.insert(aligns.end(), content.size(), align);
  }
  normalized_ = std::move(text);
  alignments_ = std::move(aligns);
}

void NormalizedString::lowercase() {
  // ASCII lowercases byte for byte in place; the rest is rebuilt from the first non-ASCII byte.
  size_t i = 0;
  for (; i < normalized_.size() && static_cast<unsigned char>(normalized_[i]) < 0x80; ++i)
    if (normalized_[i] >= 'A' && normalized_[i] <= 'Z') normalized_[i] = static_cast<char>(normalized_[i] + 32);
  if (i == normalized_.size()) return;
  rebuild_from(i, [&](char32_t c, size_t at, size_t, std::string& text, std::vector<Span>& aligns) {
    append_lowercase(text, c);
    aligns.resize(text.size(), alignments_[at]);
  });
}

void NormalizedString::substitute_bytes(const std::string* table) {
  // Sized once, then filled: no per-byte growth checks.
  size_t total = 0;
  for (unsigned char b : normalized_) total += table[b].size();
  std::string text(total, '\0');
  std::vector<Span> aligns(total);
  size_t o = 0;
  for (size_t i = 0; i < normalized_.size(); ++i) {
    const std::string& r = table[static_cast<unsigned char>(normalized_[i])];
    for (char c : r) {
      text[o] = c;
      aligns[o++] = alignments_[i];
    }
  }
  normalized_ = std::move(text);
  alignments_ = std::move(aligns);
}

void NormalizedString::strip(bool left, bool right) {
  size_t b = 0, e = normalized_.size();
  if (left) {
    while (b < e) {
      size_t len;
      if (!is_whitespace(decode_utf8(normalized_, b, len))) break;
      b += len;
    }
  }
  if (right) {
    while (e > b) {
      size_t p = e - 1;
      while ((static_cast<unsigned char>(normalized_[p]) & 0xC0) == 0x80) --p;
      size_t len;
      if (!is_whitespace(decode_utf8(normalized_, p, len))) break;
      e = p;
    }
  }
  if (b == 0 && e == normalized_.size()) return;
  normalized_ = normalized_.substr(b, e - b);
  alignments_ = std::vector<Span>(alignments_.begin() + static_cast<ptrdiff_t>(b), alignments_.begin() + static_cast<ptrdiff_t>(e));
}

Span NormalizedString::to_original(size_t start, size_t end) const {
  if (start >= end || end > alignments_.size()) return make_span(original_start_ + start, original_start_ + start);
  return {alignments_[start].first, alignments_[end - 1].second};
}

NormalizedString NormalizedString::slice(size_t start, size_t end) const {
  NormalizedString s;
  s.normalized_ = normalized_.substr(start, end - start);
  s.alignments_.assign(alignments_.begin() + static_cast<ptrdiff_t>(start), alignments_.begin() + static_cast<ptrdiff_t>(end));
  s.original_start_ = start < end ? alignments_[start].first : original_start_;
  return s;
}

std::vector<NormalizedString> NormalizedString::split(const std::vector<PatternPiece>& pieces,
                                                      SplitBehavior behavior) const {
  // (start, end, remove)
  struct Cut { size_t start, end; bool remove; };
  std::vector<Cut> cuts;
  cuts.reserve(pieces.size());
  bool previous_match = false;
  switch (behavior) {
    case SplitBehavior::Isolated:
      for (const auto& p : pieces) cuts.push_back({p.start, p.end, false});
      break;
    case SplitBehavior::Removed:
      for (const auto& p : pieces) cuts.push_back({p.start, p.end, p.is_match});
      break;
    case SplitBehavior::Contiguous:
      for (const auto& p : pieces) {
        if (p.is_match == previous_match && !cuts.empty()) cuts.back().end = p.end;
        else cuts.push_back({p.start, p.end, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::MergedWithPrevious:
      for (const auto& p : pieces) {
        if (p.is_match && !previous_match && !cuts.empty()) cuts.back().end = p.end;
        else cuts.push_back({p.start, p.end, false});
        previous_match = p.is_match;
      }
      break;
    case SplitBehavior::MergedWithNext:
      for (auto it = pieces.rbegin(); it != pieces.rend(); ++it) {
        if (it->is_match && !previous_match && !cuts.empty()) cuts.back().start = it->start;
        else cuts.push_back({it->start, it->end, false});
        previous_match = it->is_match;
      }
      std::reverse(cuts.begin(), cuts.end());
      break;
  }
  std::vector<NormalizedString> out;
  out.reserve(cuts.size());
  for (const auto& c : cuts)
    if (!c.remove) out.push_back(slice(c.start, c.end));
  return out;
}

std::vector<PatternPiece> find_literal_matches(std::string_view s, std::string_view literal) {
  if (s.empty()) return {{0, 0, false}};
  if (literal.empty()) return {{0, s.size(), false}};
  std::vector<PatternPiece> out;
  size_t last = 0;
  for (size_t pos = s.find(literal); pos != std::string_view::npos; pos = s.find(literal, pos + literal.size())) {
    if (last < pos) out.push_back({last, pos, false});
    out.push_back({pos, pos + literal.size(), true});
    last = pos + literal.size();
  }
  if (last < s.size()) out.push_back({last, s.size(), false});
  return out;
}

void invert_matches(std::vector<PatternPiece>& pieces) {
  for (auto& p : pieces) p.is_match = !p.is_match;
}

}  // namespace lmpipe::tok

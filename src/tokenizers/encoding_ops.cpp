#include "tokenizers/encoding_ops.h"

#include <algorithm>
#include <iterator>

#include "util/error.h"

namespace lmpipe::tok {

namespace {

// Moves src's tokens into dst, before its first token or after its last.
void splice_encoding(Encoding& dst, Encoding&& src, bool at_front) {
  auto move_into = [at_front](auto& to, auto& from) {
    to.insert(at_front ? to.begin() : to.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
  };
  move_into(dst.ids, src.ids);
  move_into(dst.type_ids, src.type_ids);
  move_into(dst.tokens, src.tokens);
  move_into(dst.offsets, src.offsets);
  move_into(dst.special_tokens_mask, src.special_tokens_mask);
  move_into(dst.attention_mask, src.attention_mask);
  move_into(dst.sequence_ids, src.sequence_ids);
  dst.truncated |= src.truncated;
}

}  // namespace

void append_encoding(Encoding& dst, Encoding&& src) { splice_encoding(dst, std::move(src), false); }

Encoding merge_encodings(std::vector<Encoding> encodings) {
  if (encodings.empty()) return {};
  // The largest part (the text, next to a few special tokens) is kept in place and the others
  // are inserted around it, instead of copying everything into a new encoding.
  size_t base = 0;
  for (size_t i = 1; i < encodings.size(); ++i)
    if (encodings[i].size() > encodings[base].size()) base = i;
  Encoding out = std::move(encodings[base]);
  if (base > 0) {
    Encoding head = std::move(encodings[0]);
    for (size_t i = 1; i < base; ++i) append_encoding(head, std::move(encodings[i]));
    splice_encoding(out, std::move(head), true);
  }
  for (size_t i = base + 1; i < encodings.size(); ++i) append_encoding(out, std::move(encodings[i]));
  return out;
}

void truncate_encoding(Encoding& e, size_t n) {
  if (e.ids.size() <= n) return;
  e.truncated = true;
  e.ids.resize(n);
  e.type_ids.resize(n);
  e.tokens.resize(n);
  e.offsets.resize(n);
  e.special_tokens_mask.resize(n);
  e.attention_mask.resize(n);
  e.sequence_ids.resize(n);
}

void truncate_encodings(Encoding& a, Encoding* b, Truncation strategy, size_t max_length) {
  if (strategy == Truncation::None) return;
  if (max_length == 0) {
    truncate_encoding(a, 0);
    if (b) truncate_encoding(*b, 0);
    return;
  }
  size_t total = a.size() + (b ? b->size() : 0);
  if (total <= max_length) return;
  size_t to_remove = total - max_length;
  if (strategy == Truncation::LongestFirst) {
    if (!b) {
      truncate_encoding(a, total - to_remove);
      return;
    }
    size_t n1 = a.size(), n2 = b->size();
    bool swap = n1 > n2;
    if (swap) std::swap(n1, n2);
    n2 = n1 > max_length ? n1 : std::max(n1, max_length - n1);
    if (n1 + n2 > max_length) {
      n1 = max_length / 2;
      n2 = n1 + max_length % 2;
    }
    if (swap) std::swap(n1, n2);
    truncate_encoding(a, n1);
    truncate_encoding(*b, n2);
    return;
  }
  Encoding* target = strategy == Truncation::OnlyFirst ? &a : b;
  if (!target) throw Error("truncation: only_second needs a pair of sequences");
  if (target->size() <= to_remove)
    throw Error("truncation: the sequence to truncate is too short to respect max_length " + std::to_string(max_length));
  truncate_encoding(*target, target->size() - to_remove);
}

void pad_encoding(Encoding& e, size_t length, PaddingSide side, int32_t pad_id, int32_t pad_type_id,
                  const std::string& pad_token) {
  if (e.size() >= length) return;
  size_t n = length - e.size();
  auto pad = [&](auto& v, auto value) {
    if (side == PaddingSide::Right) v.insert(v.end(), n, value);
    else v.insert(v.begin(), n, value);
  };
  pad(e.ids, pad_id);
  pad(e.type_ids, pad_type_id);
  pad(e.tokens, pad_token);
  pad(e.offsets, std::pair<size_t, size_t>{0, 0});
  pad(e.special_tokens_mask, 1);
  pad(e.attention_mask, 0);
  pad(e.sequence_ids, -1);
}

}  // namespace lmpipe::tok

// Mirrors HF tokenizers' tokenizer/added_vocabulary.rs.
#include "tokenizers/added_vocabulary.h"

#include <algorithm>

#include "tokenizers/unicode.h"
#include "tokenizers/unicode_property.h"
#include "util/error.h"

namespace lmpipe::tok {

void TokenMatcher::add(std::string pattern, size_t token_index) {
  if (pattern.empty()) return;
  patterns_.emplace_back(std::move(pattern), token_index);
}

void TokenMatcher::finish() {
  for (uint32_t i = 0; i < patterns_.size(); ++i)
    by_first_byte_[static_cast<unsigned char>(patterns_[i].first[0])].push_back(i);
  for (auto& list : by_first_byte_)
    std::stable_sort(list.begin(), list.end(),
                     [&](uint32_t a, uint32_t b) { return patterns_[a].first.size() > patterns_[b].first.size(); });
}

bool TokenMatcher::next(std::string_view s, size_t from, size_t& start, size_t& end, size_t& token_index) const {
  for (size_t i = from; i < s.size(); ++i) {
    for (uint32_t p : by_first_byte_[static_cast<unsigned char>(s[i])]) {
      const std::string& pat = patterns_[p].first;
      if (s.compare(i, pat.size(), pat) == 0) {
        start = i;
        end = i + pat.size();
        token_index = patterns_[p].second;
        return true;
      }
    }
  }
  return false;
}

namespace {

// HF checks single_word with the regex crate's Unicode \w: Alphabetic, marks, decimal digits,
// connector punctuation and the joiners (so "²" is not a word character, "Ⓐ" and U+0301 are).
bool is_word_char(char32_t c) {
  if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  static const UnicodeProperty alphabetic("Alphabetic"), mark("M"), digit("Nd"), connector("Pc"), joiner("Join_Control");
  return alphabetic.contains(c) || mark.contains(c) || digit.contains(c) || connector.contains(c) || joiner.contains(c);
}

char32_t last_char(std::string_view s) {
  size_t p = s.size() - 1;
  while (p > 0 && (static_cast<unsigned char>(s[p]) & 0xC0) == 0x80) --p;
  size_t len;
  return decode_utf8(s, p, len);
}

}  // namespace

AddedVocabulary::AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer) : tokens_(std::move(tokens)) {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    const AddedToken& t = tokens_[i];
    by_content_[t.content] = t.id;
    by_id_[t.id] = i;
    if (t.normalized) {
      NormalizedString n(t.content, 0);
      if (normalizer) normalizer->normalize(n);
      normalized_.add(n.get(), i);
    } else {
      raw_.add(t.content, i);
    }
  }
  raw_.finish();
  normalized_.finish();
}

void AddedVocabulary::split_with(PreTokenizedString& s, const TokenMatcher& matcher) const {
  std::vector<Split> out;
  out.reserve(s.splits.size());
  for (auto& split : s.splits) {
    const std::string& text = split.normalized.get();
    if (split.tokens || matcher.empty() || text.empty()) {
      out.push_back(std::move(split));
      continue;
    }
    size_t start_offset = 0, from = 0, start, stop, index;
    while (from < text.size() && matcher.next(text, from, start, stop, index)) {
      from = stop;
      const AddedToken& t = tokens_[index];
      if (t.single_word) {
        bool start_space = start == 0 || !is_word_char(last_char(std::string_view(text).substr(0, start)));
        size_t l;
        bool stop_space = stop == text.size() || !is_word_char(decode_utf8(text, stop, l));
        if (!start_space || !stop_space) continue;
      }
      if (t.lstrip) {
        size_t b = start;
        while (b > 0) {
          size_t p = b - 1;
          while (p > 0 && (static_cast<unsigned char>(text[p]) & 0xC0) == 0x80) --p;
          size_t l;
          if (!is_whitespace(decode_utf8(text, p, l))) break;
          b = p;
        }
        start = std::max(b, start_offset);
      }
      if (t.rstrip) {
        while (stop < text.size()) {
          size_t l;
          if (!is_whitespace(decode_utf8(text, stop, l))) break;
          stop += l;
        }
      }
      if (start_offset < start) out.push_back(Split{split.normalized.slice(start_offset, start), std::nullopt});
      Token tok{t.id, t.content, 0, stop - start};
      out.push_back(Split{split.normalized.slice(start, stop), std::vector<Token>{std::move(tok)}});
      start_offset = stop;
      from = std::max(from, stop);
    }
    if (start_offset == 0) {
      out.push_back(std::move(split));
    } else if (start_offset < text.size()) {
      out.push_back(Split{split.normalized.slice(start_offset, text.size()), std::nullopt});
    }
  }
  s.splits = std::move(out);
}

PreTokenizedString AddedVocabulary::extract_and_normalize(std::string_view text, const Normalizer* normalizer) const {
  PreTokenizedString s;
  s.splits.push_back(Split{NormalizedString(text, 0), std::nullopt});
  split_with(s, raw_);
  if (normalizer)
    for (auto& split : s.splits)
      if (!split.tokens) normalizer->normalize(split.normalized);
  split_with(s, normalized_);
  return s;
}

std::optional<uint32_t> AddedVocabulary::token_to_id(std::string_view token) const {
  auto it = by_content_.find(std::string(token));
  if (it == by_content_.end()) return std::nullopt;
  return it->second;
}

const AddedToken* AddedVocabulary::by_id(uint32_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &tokens_[it->second];
}

bool AddedVocabulary::is_special(std::string_view token) const {
  auto it = by_content_.find(std::string(token));
  if (it == by_content_.end()) return false;
  const AddedToken* t = by_id(it->second);
  return t && t->special;
}

std::vector<AddedToken> added_tokens_from_json(const json& list, const std::string& where) {
  std::vector<AddedToken> out;
  if (list.is_null()) return out;
  if (!list.is_array()) throw Error(where + ": expected an array");
  for (size_t i = 0; i < list.size(); ++i) {
    std::string w = where + "[" + std::to_string(i) + "]";
    const json& j = list[i];
    AddedToken t;
    t.content = json_get<std::string>(j, "content", w);
    t.id = json_get<uint32_t>(j, "id", w);
    t.single_word = json_get_or<bool>(j, "single_word", false);
    t.lstrip = json_get_or<bool>(j, "lstrip", false);
    t.rstrip = json_get_or<bool>(j, "rstrip", false);
    t.special = json_get_or<bool>(j, "special", false);
    t.normalized = json_get_or<bool>(j, "normalized", !t.special);
    if (find_invalid_utf8(t.content) != std::string::npos) throw Error(w + ".content: invalid UTF-8");
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace lmpipe::tok

#pragma once
// Added tokens of tokenizer.json (`added_tokens`): found in the input before normalization
// (normalized: false, matched on the raw text) or after it (normalized: true, matched on the
// normalized text), with single_word/lstrip/rstrip (HF tokenizers' AddedVocabulary).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizers/normalized_string.h"
#include "tokenizers/normalizer.h"
#include "util/json.h"

namespace lmpipe::tok {

struct AddedToken {
  std::string content;
  uint32_t id = 0;
  bool single_word = false, lstrip = false, rstrip = false, normalized = true, special = false;
};

// Leftmost-longest, non-overlapping search over a set of strings (aho-corasick's
// MatchKind::LeftmostLongest semantics).
class TokenMatcher {
 public:
  void add(std::string pattern, size_t token_index);
  void finish();
  bool empty() const { return patterns_.empty(); }
  // The next match starting at or after `from`: (start, end, token_index).
  bool next(std::string_view s, size_t from, size_t& start, size_t& end, size_t& token_index) const;

 private:
  std::vector<std::pair<std::string, size_t>> patterns_;
  std::vector<std::vector<uint32_t>> by_first_byte_ = std::vector<std::vector<uint32_t>>(256);
};

class AddedVocabulary {
 public:
  AddedVocabulary() = default;
  // `normalizer` normalizes the content of normalized tokens (may be null).
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer* normalizer);

  // Splits `text` around added tokens and normalizes the rest.
  PreTokenizedString extract_and_normalize(std::string_view text, const Normalizer* normalizer) const;

  std::optional<uint32_t> token_to_id(std::string_view token) const;
  const AddedToken* by_id(uint32_t id) const;
  bool is_special(std::string_view token) const;
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  void split_with(PreTokenizedString& s, const TokenMatcher& matcher) const;

  std::vector<AddedToken> tokens_;
  std::unordered_map<std::string, uint32_t> by_content_;
  std::unordered_map<uint32_t, size_t> by_id_;
  TokenMatcher raw_, normalized_;
};

std::vector<AddedToken> added_tokens_from_json(const json& list, const std::string& where);

}  // namespace lmpipe::tok

#pragma once
// The `pattern` field of Replace and Split: {"String": "..."} or {"Regex": "..."}
// (HF tokenizers' ReplacePattern / SplitPattern).
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizers/normalized_string.h"
#include "tokenizers/regex.h"
#include "util/json.h"

namespace lmpipe::tok {

class Pattern {
 public:
  Pattern(const json& j, const std::string& where);
  std::vector<PatternPiece> find_matches(std::string_view s) const {
    return regex_ ? regex_->find_matches(s) : find_literal_matches(s, literal_);
  }

 private:
  std::string literal_;
  std::unique_ptr<Regex> regex_;
};

}  // namespace lmpipe::tok

#pragma once
// The settings of tokenizer_config.json that `transformers` (v5) applies on top of
// tokenizer.json: model_max_length, pad token, padding side, model_input_names (whether
// token_type_ids are returned) and clean_up_tokenization_spaces.
#include <cstddef>
#include <optional>
#include <string>

#include "lmpipe/tokenizer.h"
#include "util/json.h"

namespace lmpipe::tok {

struct TokenizerSettings {
  size_t model_max_length = kVeryLargeLength;
  std::optional<std::string> pad_token;
  PaddingSide padding_side = PaddingSide::Right;
  bool returns_token_type_ids = true;
  bool clean_up_tokenization_spaces = false;  // transformers v5's default
  std::optional<std::string> mask_token;

  // transformers' VERY_LARGE_INTEGER: no limit.
  static constexpr size_t kVeryLargeLength = static_cast<size_t>(1) << 62;
};

// From the parsed tokenizer_config.json (an empty object when the file is absent).
TokenizerSettings settings_from_config(const json& config, const std::string& where);

// A token given in tokenizer_config.json: a string or an AddedToken object with "content".
std::optional<std::string> config_token(const json& config, const std::string& key);

// The mask_token or pad_token (`key`) of transformers' tokenizer classes when the files name none
// ("[MASK]" / "[PAD]" for the BERT family, "<mask>" / "<pad>" for the RoBERTa family), by
// tokenizer_class (with or without "Fast") or, when the class is not named, by config.json's
// model_type, as AutoTokenizer picks the class. Hub repos such as distilroberta-base have no
// tokenizer_config.json and rely on these.
std::optional<std::string> default_special_token(const std::string& key, const std::string& tokenizer_class,
                                                 const std::string& model_type);

// transformers' clean_up_tokenization: removes spaces before punctuation and contractions.
std::string clean_up_tokenization(std::string text);

}  // namespace lmpipe::tok

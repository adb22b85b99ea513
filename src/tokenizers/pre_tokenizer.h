#pragma once
// Pre-tokenizers cut the normalized text into the pieces the model tokenizes one by one
// (HF tokenizers' `PreTokenizer`). Immutable after construction.
#include <memory>
#include <string>

#include "tokenizers/normalized_string.h"
#include "util/json.h"

namespace lmpipe::tok {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;
  virtual void pre_tokenize(PreTokenizedString& s) const = 0;
};

// From the "pre_tokenizer" object of tokenizer.json (null gives nullptr); throws
// lmpipe::Error naming the field, e.g. "tokenizer.json: pre_tokenizer.type 'Foo' is not supported".
std::unique_ptr<PreTokenizer> pre_tokenizer_from_json(const json& j, const std::string& where);

SplitBehavior split_behavior_from_json(const json& j, const std::string& key, SplitBehavior fallback,
                                       const std::string& where);

// The concrete pre-tokenizers, one file per family.
std::unique_ptr<PreTokenizer> make_byte_level_pre_tokenizer(const json& j, const std::string& where);
std::unique_ptr<PreTokenizer> make_metaspace_pre_tokenizer(const json& j, const std::string& where);
std::unique_ptr<PreTokenizer> make_split_pre_tokenizer(const json& j, const std::string& where);
// BertPreTokenizer, Whitespace, WhitespaceSplit, Punctuation, Digits.
std::unique_ptr<PreTokenizer> make_char_class_pre_tokenizer(const std::string& type, const json& j, const std::string& where);

}  // namespace lmpipe::tok

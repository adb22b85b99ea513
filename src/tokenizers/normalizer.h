#pragma once
// Normalizers rewrite the text before pre-tokenization while keeping alignments to the
// input (HF tokenizers' `Normalizer`). Immutable after construction.
#include <memory>
#include <string>
#include <vector>

#include "tokenizers/normalized_string.h"
#include "util/json.h"

namespace lmpipe::tok {

class Normalizer {
 public:
  virtual ~Normalizer() = default;
  virtual void normalize(NormalizedString& s) const = 0;
};

// From the "normalizer" object of tokenizer.json (null gives nullptr); throws lmpipe::Error
// naming the field at fault, e.g. "tokenizer.json: normalizer.type 'Foo' is not supported".
std::unique_ptr<Normalizer> normalizer_from_json(const json& j, const std::string& where);

enum class UnicodeForm { NFC, NFD, NFKC, NFKD };
// Unicode normalization with alignments (HF's NormalizedString::nfc and friends).
void unicode_normalize(NormalizedString& s, UnicodeForm form);

// The concrete normalizers, one file each.
std::unique_ptr<Normalizer> make_bert_normalizer(const json& j, const std::string& where);
std::unique_ptr<Normalizer> make_precompiled_normalizer(const json& j, const std::string& where);
std::unique_ptr<Normalizer> make_replace_normalizer(const json& j, const std::string& where);
std::unique_ptr<Normalizer> make_unicode_normalizer(UnicodeForm form);
std::unique_ptr<Normalizer> make_lowercase_normalizer();
std::unique_ptr<Normalizer> make_strip_accents_normalizer();
std::unique_ptr<Normalizer> make_strip_normalizer(const json& j, const std::string& where);
std::unique_ptr<Normalizer> make_prepend_normalizer(const json& j, const std::string& where);

}  // namespace lmpipe::tok

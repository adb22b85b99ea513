#pragma once
// Operations on encodings: merging, truncation (HF tokenizers' utils/truncation.rs) and
// padding (utils/padding.rs).
#include <cstdint>
#include <string>
#include <vector>

#include "lmpipe/tokenizer.h"

namespace lmpipe::tok {

// Appends src to dst, taking its token strings.
void append_encoding(Encoding& dst, Encoding&& src);
Encoding merge_encodings(std::vector<Encoding> encodings);
// Keeps the first n tokens.
void truncate_encoding(Encoding& e, size_t n);
// Truncates a sequence (and its pair) to max_length tokens in total as HF's
// truncate_encodings; throws lmpipe::Error when the strategy cannot.
void truncate_encodings(Encoding& a, Encoding* b, Truncation strategy, size_t max_length);
void pad_encoding(Encoding& e, size_t length, PaddingSide side, int32_t pad_id, int32_t pad_type_id,
                  const std::string& pad_token);

}  // namespace lmpipe::tok

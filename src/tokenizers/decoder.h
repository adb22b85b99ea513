#pragma once
// Decoders turn token strings back into text (HF tokenizers' `Decoder`): ByteLevel, WordPiece,
// Metaspace, Replace, ByteFallback, Fuse, Strip, Sequence, BPEDecoder, CTC.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.h"

namespace lmpipe::tok {

class Decoder {
 public:
  virtual ~Decoder() = default;
  // One step of the chain: tokens in, tokens out (HF's decode_chain).
  virtual std::vector<std::string> decode_chain(std::vector<std::string> tokens) const = 0;
  // The whole decode: the chain, then concatenation.
  std::string decode(std::vector<std::string> tokens) const;
};

// Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD.
std::string utf8_lossy(std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);

// From the "decoder" object of tokenizer.json; throws lmpipe::Error naming the field at fault.
std::unique_ptr<Decoder> decoder_from_json(const json& decoder, const std::string& where);

}  // namespace lmpipe::tok

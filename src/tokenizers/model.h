#pragma once
// The tokenization model: turns one pre-tokenized piece into tokens (HF tokenizers' `Model`).
// Implementations: BPE (bpe.cpp), WordPiece and WordLevel (wordpiece.cpp), Unigram (unigram.cpp).
// A model is immutable after construction, so one instance serves many threads.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/json.h"

namespace lmpipe::tok {

struct Token {
  uint32_t id = 0;
  std::string value;
  // Byte offsets [start, end) inside the piece given to tokenize().
  size_t start = 0, end = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  // Appends the tokens of `piece` (valid UTF-8: one pre-tokenized split, already normalized) to
  // `out`, so the encoder reuses one buffer instead of allocating a vector per piece.
  virtual void tokenize(std::string_view piece, std::vector<Token>& out) const = 0;
  std::vector<Token> tokenize(std::string_view piece) const {
    std::vector<Token> tokens;
    tokenize(piece, tokens);
    return tokens;
  }
  virtual std::optional<uint32_t> token_to_id(std::string_view token) const = 0;
  virtual std::optional<std::string> id_to_token(uint32_t id) const = 0;
  virtual size_t vocab_size() const = 0;
};

// Builds the model from the "model" object of tokenizer.json; throws lmpipe::Error naming the
// field at fault (e.g. "tokenizer.json: model.type 'Foo' is not supported").
std::unique_ptr<Model> model_from_json(const json& model, const std::string& where);

}  // namespace lmpipe::tok

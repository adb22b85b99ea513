#pragma once
// WordPiece (HF tokenizers' models/wordpiece) and WordLevel (models/wordlevel).
#include <string>
#include <utility>
#include <vector>

#include "tokenizers/flat_map.h"
#include "tokenizers/model.h"

namespace lmpipe::tok {

// Shared by the dictionary-only models: token <-> id.
class Vocabulary {
 public:
  explicit Vocabulary(const std::vector<std::pair<std::string, uint32_t>>& vocab);
  const uint32_t* find(std::string_view token) const { return ids_.find(token); }
  std::optional<std::string> token(uint32_t id) const;
  size_t size() const { return ids_.size(); }
  size_t max_token_bytes() const { return max_token_bytes_; }

 private:
  StringIdMap ids_;
  size_t max_token_bytes_ = 0;
  std::vector<std::string> tokens_;
  std::vector<bool> has_id_;
};

struct WordPieceOptions {
  std::string unk_token = "[UNK]";
  std::string continuing_subword_prefix = "##";
  size_t max_input_chars_per_word = 100;
};

// Greedy longest-match-first; a word that cannot be covered becomes one unk token.
class WordPiece final : public Model {
 public:
  WordPiece(const std::vector<std::pair<std::string, uint32_t>>& vocab, WordPieceOptions options);
  using Model::tokenize;
  void tokenize(std::string_view piece, std::vector<Token>& out) const override;
  std::optional<uint32_t> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(uint32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  Token unk(size_t len) const;
  Vocabulary vocab_;
  WordPieceOptions opt_;
};

// The whole piece is one token, or the unk token.
class WordLevel final : public Model {
 public:
  WordLevel(const std::vector<std::pair<std::string, uint32_t>>& vocab, std::string unk_token);
  using Model::tokenize;
  void tokenize(std::string_view piece, std::vector<Token>& out) const override;
  std::optional<uint32_t> token_to_id(std::string_view token) const override;
  std::optional<std::string> id_to_token(uint32_t id) const override { return vocab_.token(id); }
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  Vocabulary vocab_;
  std::string unk_token_;
};

}  // namespace lmpipe::tok

#pragma once
// Byte-pair encoding (HF tokenizers' models/bpe: BPE, Word::merge_all).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizers/flat_map.h"
#include "tokenizers/model.h"
#include "tokenizers/token_cache.h"

namespace lmpipe::tok {

struct BpeOptions {
  std::optional<std::string> unk_token;
  std::optional<std::string> continuing_subword_prefix;
  std::optional<std::string> end_of_word_suffix;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
};

class Bpe final : public Model {
 public:
  // `merges` in rank order; every part and every merged result must be in `vocab`
  // (throws lmpipe::Error naming `where` and the token otherwise).
  Bpe(const std::vector<std::pair<std::string, uint32_t>>& vocab,
      const std::vector<std::pair<std::string, std::string>>& merges, BpeOptions options,
      const std::string& where = "BPE");

  using Model::tokenize;
  void tokenize(std::string_view piece, std::vector<Token>& out) const override;
  std::optional<uint32_t> token_to_id(std::string_view token) const override { return vocab_.get(token); }
  std::optional<std::string> id_to_token(uint32_t id) const override;
  size_t vocab_size() const override { return vocab_.size(); }

 private:
  struct Symbol {
    uint32_t id;
    int32_t prev, next;
    uint32_t len;  // bytes of the piece it covers; 0 once merged into its left neighbour
  };
  void split_word(std::string_view word, std::vector<Symbol>& symbols) const;
  void merge_all(std::vector<Symbol>& symbols) const;
  const std::string& token_text(uint32_t id) const { return vocab_r_[id]; }

  StringIdMap vocab_;
  std::vector<std::string> vocab_r_;
  std::vector<bool> has_id_;
  U64Map merges_;  // (left id << 32 | right id) -> (rank << 32 | new id)
  BpeOptions opt_;
  std::optional<uint32_t> unk_id_;
  TokenCache cache_;
};

}  // namespace lmpipe::tok

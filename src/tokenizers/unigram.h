#pragma once
// Unigram language model segmentation (HF tokenizers' models/unigram, SentencePiece's
// unigram_model.cc): the Viterbi best path over the vocabulary pieces' log-probabilities.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizers/flat_map.h"
#include "tokenizers/model.h"
#include "tokenizers/token_cache.h"

namespace lmpipe::tok {

class Unigram final : public Model {
 public:
  // `pieces` in id order; throws lmpipe::Error naming `where` when unk_id is out of range.
  Unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<uint32_t> unk_id, bool byte_fallback,
          const std::string& where = "Unigram");

  using Model::tokenize;
  void tokenize(std::string_view piece, std::vector<Token>& out) const override;
  std::optional<uint32_t> token_to_id(std::string_view token) const override { return ids_.get(token); }
  std::optional<std::string> id_to_token(uint32_t id) const override;
  size_t vocab_size() const override { return pieces_.size(); }

 private:
  // Calls f(byte length, id) for every vocabulary piece that is a prefix of `text`.
  template <typename F>
  void for_each_prefix(std::string_view text, F&& f) const;

  std::vector<std::pair<std::string, double>> pieces_;
  StringIdMap ids_;
  // Byte trie over the pieces: edge (node << 8 | byte) -> child; node_id_[node] = piece id or -1.
  U64Map edges_;
  std::vector<uint64_t> root_children_;  // edges from the root by byte (0 = none), the hottest lookups
  std::vector<int64_t> node_id_;
  double min_score_ = 0;
  std::optional<uint32_t> unk_id_;
  bool byte_fallback_;
  TokenCache cache_;
};

}  // namespace lmpipe::tok

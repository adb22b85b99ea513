#pragma once
// lmpipe's tokenizer: the tokenizer.json pipeline of Hugging Face `tokenizers`
// (normalizer -> pre-tokenizer -> model -> post-processor, decoder), with the settings of
// tokenizer_config.json as `transformers` applies them. Immutable after loading: one
// instance may encode from many threads at once.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmpipe {

struct Encoding {
  std::vector<int32_t> ids;
  std::vector<int32_t> type_ids;
  // The model's token strings, as HF's Encoding.tokens (an unknown Unigram piece keeps its text;
  // id_to_token(ids[i]) gives transformers' convert_ids_to_tokens instead).
  std::vector<std::string> tokens;
  // [start, end) in Unicode code points of the input text (of the sequence the token came from);
  // (0, 0) for special tokens added by the post-processor, as HF does.
  std::vector<std::pair<size_t, size_t>> offsets;
  std::vector<int32_t> special_tokens_mask;
  std::vector<int32_t> attention_mask;
  std::vector<int32_t> sequence_ids;  // 0, 1, or -1 for special tokens
  // Truncation dropped tokens of the input (HF keeps them in `overflowing`; we only say so).
  bool truncated = false;
  size_t size() const { return ids.size(); }
};

enum class Truncation { None, LongestFirst, OnlyFirst, OnlySecond };
enum class PaddingSide { Right, Left };

// Truncation keeps the start of the sequences (HF's direction "right"); overflowing tokens are
// not returned. As in tokenizers 0.23, pieces past max_length are not tokenized at all, which
// decides how longest_first splits a pair.
struct EncodeOptions {
  bool add_special_tokens = true;
  Truncation truncation = Truncation::None;
  size_t max_length = 0;  // with truncation; 0 means the tokenizer's model_max_length
};

class Tokenizer {
 public:
  // A directory as on the Hub: tokenizer.json (+ tokenizer_config.json), or, without
  // tokenizer.json, the legacy files (vocab.json+merges.txt, vocab.txt, spiece.model, spm.model,
  // sentencepiece.bpe.model) converted as transformers' slow->fast converters do.
  // Throws lmpipe::Error naming the file or field at fault.
  static Tokenizer from_dir(const std::filesystem::path& dir);
  // A tokenizer.json on its own (no tokenizer_config.json settings).
  static Tokenizer from_file(const std::filesystem::path& tokenizer_json);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Throws lmpipe::Error on invalid UTF-8, or when the truncation strategy cannot reach max_length.
  Encoding encode(std::string_view text, const EncodeOptions& options = {}) const;
  Encoding encode_pair(std::string_view text, std::string_view text_pair, const EncodeOptions& options = {}) const;
  // Encodes in parallel; results in input order.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options = {}) const;
  std::vector<Encoding> encode_pair_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                          const EncodeOptions& options = {}) const;
  // Pads every encoding to the longest (or to `length` when larger) with the pad token
  // (tokenizer_config.json's pad_token, else tokenizer.json's padding); throws lmpipe::Error
  // when padding is needed and there is no pad token.
  // The side defaults to tokenizer_config.json's padding_side (right when unset).
  void pad(std::vector<Encoding>& batch, std::optional<PaddingSide> side = std::nullopt, size_t length = 0) const;

  // Decodes ids; clean-up of tokenization spaces follows tokenizer_config.json
  // (clean_up_tokenization_spaces, default false as in transformers v5).
  std::string decode(const std::vector<int32_t>& ids, bool skip_special_tokens = true) const;

  std::optional<int32_t> token_to_id(std::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;
  size_t vocab_size() const;  // including added tokens
  // tokenizer_config.json's model_max_length (very large when unset, as in transformers).
  size_t model_max_length() const;
  std::optional<int32_t> pad_token_id() const;
  // The mask token ([MASK], <mask>): tokenizer_config.json's mask_token, else special_tokens_map.json's,
  // else the default of the tokenizer class as transformers defines it (the class from config.json's
  // model_type when tokenizer_config.json names none). nullopt when there is none in the vocabulary.
  std::optional<std::string> mask_token() const;
  std::optional<int32_t> mask_token_id() const;
  // Whether `id` is a special token (transformers' all_special_ids: added tokens marked special).
  bool is_special_id(int32_t id) const;
  // Whether transformers returns token_type_ids for this tokenizer (model_input_names).
  bool returns_token_type_ids() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmpipe

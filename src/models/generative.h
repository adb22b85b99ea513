#pragma once
// What generation (src/generation) sees of a model with a language-modeling head: a decoder that
// advances every row of a batch by some tokens and returns the vocabulary logits of each row's
// last new position (transformers' logits_to_keep=1). Decoder-only models (GPT2LMHeadModel) and
// encoder-decoder models (BartForConditionalGeneration, T5ForConditionalGeneration) implement it;
// the caches live in the session, so one loaded model serves concurrent generate() calls.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "io/config.h"
#include "models/model.h"

namespace lmpipe {

// One generate() call's decoder state: the key/value caches of `rows` sequences.
class DecoderSession {
 public:
  virtual ~DecoderSession() = default;
  // Feeds T new tokens per row, ids (rows, T) row-major, and writes the fp32 logits of each row's
  // last new token to logits (rows, vocab_size). The first call feeds the decoder prompt: the
  // (left-padded) prompt of a decoder-only model, the decoder start token of an encoder-decoder.
  virtual void forward(const int32_t* ids, int64_t T, float* logits) = 0;
  // Beam search: row i continues the sequence of row parent[i] (a beam of the same input).
  virtual void reorder(const std::vector<int32_t>& parent) = 0;
};

class GenerativeModel {
 public:
  virtual ~GenerativeModel() = default;
  virtual bool is_encoder_decoder() const = 0;
  virtual int64_t vocab_size() const = 0;
  // config.json's max_position_embeddings (GPT-2's n_positions): it caps a default max_length,
  // and the decoder takes no position past it. Empty when positions are relative (T5).
  virtual std::optional<int64_t> max_position_embeddings() const = 0;
  // The model directory's config.json (task_specific_params, prefix, ...).
  virtual const ModelConfig& config() const = 0;
  // Starts decoding `inputs`, a padded batch with its attention mask: the prompt of a
  // decoder-only model, the encoder input of an encoder-decoder model (its encoder runs here,
  // once per input). Each example becomes `rows_per_input` consecutive rows (beams, or returned
  // sequences); the caches hold `max_length` decoder tokens per row.
  virtual std::unique_ptr<DecoderSession> start(const Batch& inputs, int64_t rows_per_input,
                                                int64_t max_length) const = 0;
};

// The language-modeling model of a directory, chosen by config.json's `architectures` (then
// `model_type`): GPT2LMHeadModel, BartForConditionalGeneration, T5ForConditionalGeneration.
// `options` (the dtype) reach the family's loader through ModelConfig::load_options().
// Throws lmpipe::Error naming config.json when the model cannot generate text.
std::unique_ptr<GenerativeModel> load_generative_model(const std::filesystem::path& model_dir,
                                                       const LoadOptions& options = {});

}  // namespace lmpipe

#pragma once
// transformers v5's GenerationMixin.generate() over a GenerativeModel: the configuration layers,
// length rules and special tokens, then greedy / multinomial sampling (_sample) or beam search
// and beam sampling (_beam_search).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lmpipe/generation.h"
#include "models/generative.h"

namespace lmpipe::generation {

struct GenerateRequest {
  // The prompt (decoder-only) or encoder input (encoder-decoder): a padded batch. Without an
  // attention_mask, decoder-only inputs get transformers' inferred one (padding where pad_token_id
  // occurs, unless it is also an eos id).
  Batch inputs;
  // The model's generation_config.json (or config.json's generation fields).
  GenerationConfig model_config;
  // A config passed to generate() (a pipeline's defaults); unset fields fall back to model_config.
  std::optional<GenerationConfig> passed;
  // Call arguments: they override everything.
  GenerationConfig kwargs;
  // Text of one token as it reads inside a sequence; required by stop_strings.
  std::function<std::string(int32_t)> token_text;
  // Streamer.put(): called with the prompt ids (row 0), then with each step's new token of every
  // row. Greedy and sampling only, one input.
  std::function<void(const std::vector<int32_t>&)> on_tokens;
};

struct GenerateOutput {
  // (rows, length) with rows = batch · num_return_sequences (each input's sequences best first):
  // the decoder input (the prompt, or the decoder start token) followed by the generated ids,
  // shorter rows filled with the pad id after their end, as transformers returns them.
  int64_t rows = 0, length = 0;
  int64_t input_length = 0;  // ids of the decoder input at the start of each row
  std::vector<int32_t> sequences;
  std::vector<float> sequences_scores;  // beam search: each returned sequence's length-normalized score
  const int32_t* row(int64_t r) const { return sequences.data() + r * length; }
};

// The configuration generate() runs with: passed (or nothing) over model_config over the global
// defaults, then kwargs. has_default_max_length says that no layer set max_length.
GenerationConfig merge_config(const GenerateRequest& request, bool* has_default_max_length);

// Throws lmpipe::Error with transformers' message (or a clearer one) for invalid arguments:
// lengths, num_return_sequences vs num_beams, positions past the model's, missing special tokens.
GenerateOutput generate(const GenerativeModel& model, const GenerateRequest& request);

}  // namespace lmpipe::generation

#pragma once
// Internal to src/generation: what the decoding loops share once generate() has resolved the
// configuration.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "generation/generate.h"
#include "generation/logits_processors.h"
#include "generation/sampler.h"
#include "generation/stopping.h"

namespace lmpipe::generation {

struct Search {
  const GenerativeModel* model = nullptr;
  const Batch* inputs = nullptr;   // what model->start() takes
  std::vector<int32_t> input_ids;  // (batch, input_length): the decoder input
  int64_t batch = 0, input_length = 0, max_length = 0, vocab = 0;
  int64_t num_beams = 1, num_return_sequences = 1;
  bool do_sample = false;
  GenerationConfig::EarlyStopping early_stopping = GenerationConfig::EarlyStopping::Heuristic;
  double length_penalty = 1.0;
  std::optional<int64_t> pad_token_id;
  std::vector<int64_t> eos_token_id;
  LogitsProcessorList processors;
  std::unique_ptr<StopStrings> stop_strings;
  std::unique_ptr<StoppingCriteria> stopping;
  std::unique_ptr<Sampler> sampler;
  std::function<void(const std::vector<int32_t>&)> on_tokens;
};

// GenerationMixin._sample: greedy (argmax) or multinomial sampling, max(1, num_return_sequences)
// rows per input; finished rows continue with pad_token_id.
GenerateOutput sample_search(Search& search);
// GenerationMixin._beam_search (v5, vectorized): num_beams rows per input.
GenerateOutput beam_search(Search& search);

}  // namespace lmpipe::generation

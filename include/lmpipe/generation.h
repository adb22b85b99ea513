#pragma once
// Generation options, as transformers' GenerationConfig (generation/configuration_utils.py, v5).
//
// Every field is optional: "unset" stays distinct from "set to the default", because generate()
// layers its sources (call arguments > a passed config > generation_config.json > global
// defaults) and a few rules depend on whether max_length was set anywhere.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lmpipe/pipeline.h"

namespace lmpipe {

struct GenerationConfig {
  // Beam search stopping rule: early_stopping=False (the length heuristic), True, or "never".
  enum class EarlyStopping { Heuristic, WhenDone, Never };

  // Lengths. max_length counts the prompt (decoder-only) or the decoder start token
  // (encoder-decoder); max_new_tokens, when set, wins over it.
  std::optional<int64_t> max_length, max_new_tokens, min_length, min_new_tokens;
  std::optional<int64_t> num_beams, num_return_sequences;
  std::optional<EarlyStopping> early_stopping;
  std::optional<double> length_penalty;
  // Sampling (only with do_sample=true).
  std::optional<bool> do_sample;
  std::optional<double> temperature, top_p, min_p;
  std::optional<int64_t> top_k;
  // Logits processors.
  std::optional<double> repetition_penalty;
  std::optional<int64_t> no_repeat_ngram_size;
  std::optional<std::vector<std::vector<int64_t>>> bad_words_ids;
  std::optional<std::vector<int64_t>> suppress_tokens, begin_suppress_tokens;
  std::optional<int64_t> forced_bos_token_id;
  std::optional<std::vector<int64_t>> forced_eos_token_id;
  // Special tokens.
  std::optional<int64_t> bos_token_id, pad_token_id, decoder_start_token_id;
  std::optional<std::vector<int64_t>> eos_token_id;  // any of them ends a sequence
  // Stop when the text ends with one of these (the string stays in the output).
  std::optional<std::vector<std::string>> stop_strings;
  // lmpipe's own: the sampling seed (transformers draws from torch's global generator). Unset
  // means a random seed.
  std::optional<uint64_t> seed;

  // The fields of a JSON object named as in transformers. Integer lists accept a single int
  // (eos_token_id: 2), stop_strings a single string, early_stopping true/false/"never"; null
  // leaves a field unset. Wrong types throw lmpipe::Error naming `where` and the field. With
  // `strict`, keys that are not generation fields throw too (call arguments); without it they
  // are ignored (config files hold many other keys).
  static GenerationConfig from_json(const json& object, const std::string& where, bool strict = false);
  // <model_dir>/generation_config.json, or, without one, the generation fields of config.json
  // (transformers' GenerationConfig.from_model_config).
  static GenerationConfig load(const std::filesystem::path& model_dir);
  // transformers' global defaults (_get_default_generation_params): max_length 20, top_k 50, ...
  static GenerationConfig defaults();

  // Fields set in `other` replace these (call arguments over a config).
  void update(const GenerationConfig& other);
  // Fields unset here are taken from `other` (a config over its fallbacks).
  void fill_unset(const GenerationConfig& other);
  // The set fields as a JSON object (for messages and tests).
  json to_json() const;
};

}  // namespace lmpipe

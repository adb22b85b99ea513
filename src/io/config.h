#pragma once
// Model directory configuration files with typed access: config.json (ModelConfig) and
// generation_config.json (GenerationConfig). Every error names the file and the field.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "lmpipe/load_options.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe {

class ModelConfig {
 public:
  // Reads <model_dir>/config.json; throws naming the file when it is missing or not a JSON object.
  static ModelConfig load(const std::filesystem::path& model_dir);
  // Any JSON file (e.g. generation_config.json), or an already-parsed object and its origin.
  static ModelConfig load_file(const std::filesystem::path& file);
  ModelConfig(std::filesystem::path file, json data);

  const std::filesystem::path& file() const { return file_; }
  const json& raw() const { return data_; }
  // Present and not null (JSON null is Python's None: "not set").
  bool has(const std::string& key) const;
  std::string model_type() const { return get_or<std::string>("model_type", ""); }

  // Required field; throws "<file>: missing field 'key'" or "... field 'key' must be <type>".
  template <typename T>
  T get(const std::string& key) const {
    if (!has(key)) throw Error(file_.string() + ": missing field '" + key + "'");
    return convert<T>(key, data_.at(key));
  }
  // Absent or null -> fallback; present with the wrong type -> throws.
  template <typename T>
  T get_or(const std::string& key, T fallback) const {
    return has(key) ? convert<T>(key, data_.at(key)) : fallback;
  }
  // `key`, else the name transformers' attribute_map gives it (e.g. hidden_size for n_embd),
  // else fallback.
  template <typename T>
  T get_or(const std::string& key, const std::string& alias, T fallback) const {
    return has(key) ? convert<T>(key, data_.at(key)) : get_or<T>(alias, fallback);
  }
  template <typename T>
  std::optional<T> get_optional(const std::string& key) const {
    if (!has(key)) return std::nullopt;
    return convert<T>(key, data_.at(key));
  }
  // A token id field that may hold one int or a list of ints (e.g. eos_token_id); empty when unset.
  std::vector<int64_t> token_ids(const std::string& key) const;

  // How the model is being loaded (the dtype of its linear layers), as transformers keeps
  // from_pretrained's dtype on the config. Set by the loader's caller; pass it to nn::Weights.
  const LoadOptions& load_options() const { return load_options_; }
  void set_load_options(const LoadOptions& options) { load_options_ = options; }

 private:
  std::filesystem::path file_;
  json data_;
  LoadOptions load_options_;

  [[noreturn]] void wrong_type(const std::string& key, const char* expected) const;

  // Strict conversions: no silent bool<->number or float->int casts.
  template <typename T>
  T convert(const std::string& key, const json& v) const {
    if constexpr (std::is_same_v<T, bool>) {
      if (!v.is_boolean()) wrong_type(key, "a boolean");
    } else if constexpr (std::is_integral_v<T>) {
      if (!v.is_number_integer()) wrong_type(key, "an integer");
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!v.is_number()) wrong_type(key, "a number");
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.is_string()) wrong_type(key, "a string");
    }
    try {
      return v.get<T>();
    } catch (const json::exception& e) {
      throw Error(file_.string() + ": field '" + key + "' has the wrong type: " + e.what());
    }
  }
};

// transformers' GenerationConfig (generation/configuration_utils.py): the fields lmpipe's
// generation uses, with transformers' defaults.
struct GenerationConfig {
  // Beam search stopping rule: early_stopping=False (heuristic), True, or "never".
  enum class EarlyStopping { Heuristic, WhenDone, Never };

  int64_t max_length = 20;  // prompt + new tokens; max_new_tokens takes precedence when set
  std::optional<int64_t> max_new_tokens;
  int64_t min_length = 0;
  std::optional<int64_t> min_new_tokens;
  EarlyStopping early_stopping = EarlyStopping::Heuristic;
  bool do_sample = false;
  int64_t num_beams = 1;
  int64_t num_return_sequences = 1;
  double temperature = 1.0;
  int64_t top_k = 50;
  double top_p = 1.0;
  double repetition_penalty = 1.0;
  int64_t no_repeat_ngram_size = 0;
  double length_penalty = 1.0;
  std::optional<int64_t> bos_token_id;
  std::vector<int64_t> eos_token_id;  // any of these ends a sequence
  std::optional<int64_t> pad_token_id;
  std::optional<int64_t> decoder_start_token_id;
  std::optional<int64_t> forced_bos_token_id;
  std::vector<int64_t> forced_eos_token_id;

  // <model_dir>/generation_config.json when present, otherwise the same fields taken from
  // config.json (transformers' GenerationConfig.from_model_config for legacy repos).
  static GenerationConfig load(const std::filesystem::path& model_dir);
  // Fields present in `config` override the defaults; validates values (num_beams >= 1, ...).
  static GenerationConfig from_config(const ModelConfig& config);
};

}  // namespace lmpipe

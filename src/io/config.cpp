#include "io/config.h"

namespace lmpipe {

ModelConfig ModelConfig::load(const std::filesystem::path& model_dir) {
  const auto file = model_dir / "config.json";
  if (!std::filesystem::exists(file)) throw Error(file.string() + ": missing (every model directory needs a config.json)");
  return load_file(file);
}

ModelConfig ModelConfig::load_file(const std::filesystem::path& file) { return ModelConfig(file, read_json_file(file)); }

ModelConfig::ModelConfig(std::filesystem::path file, json data) : file_(std::move(file)), data_(std::move(data)) {
  if (!data_.is_object()) throw Error(file_.string() + ": expected a JSON object");
}

bool ModelConfig::has(const std::string& key) const {
  auto it = data_.find(key);
  return it != data_.end() && !it->is_null();
}

void ModelConfig::wrong_type(const std::string& key, const char* expected) const {
  throw Error(file_.string() + ": field '" + key + "' must be " + expected + ", got " + data_.at(key).dump());
}

std::vector<int64_t> ModelConfig::token_ids(const std::string& key) const {
  if (!has(key)) return {};
  const json& v = data_.at(key);
  if (v.is_number_integer()) return {v.get<int64_t>()};
  if (!v.is_array()) wrong_type(key, "an integer or a list of integers");
  std::vector<int64_t> ids;
  for (const json& id : v) {
    if (!id.is_number_integer()) wrong_type(key, "an integer or a list of integers");
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

GenerationConfig GenerationConfig::load(const std::filesystem::path& model_dir) {
  const auto file = model_dir / "generation_config.json";
  return from_config(std::filesystem::exists(file) ? ModelConfig::load_file(file) : ModelConfig::load(model_dir));
}

GenerationConfig GenerationConfig::from_config(const ModelConfig& c) {
  GenerationConfig g;
  g.max_length = c.get_or("max_length", g.max_length);
  g.max_new_tokens = c.get_optional<int64_t>("max_new_tokens");
  g.min_length = c.get_or("min_length", g.min_length);
  g.min_new_tokens = c.get_optional<int64_t>("min_new_tokens");
  if (c.has("early_stopping")) {
    const json& v = c.raw().at("early_stopping");
    if (v.is_boolean()) g.early_stopping = v.get<bool>() ? EarlyStopping::WhenDone : EarlyStopping::Heuristic;
    else if (v == "never") g.early_stopping = EarlyStopping::Never;
    else throw Error(c.file().string() + ": field 'early_stopping' must be true, false or \"never\", got " + v.dump());
  }
  g.do_sample = c.get_or("do_sample", g.do_sample);
  g.num_beams = c.get_or("num_beams", g.num_beams);
  g.num_return_sequences = c.get_or("num_return_sequences", g.num_return_sequences);
  g.temperature = c.get_or("temperature", g.temperature);
  g.top_k = c.get_or("top_k", g.top_k);
  g.top_p = c.get_or("top_p", g.top_p);
  g.repetition_penalty = c.get_or("repetition_penalty", g.repetition_penalty);
  g.no_repeat_ngram_size = c.get_or("no_repeat_ngram_size", g.no_repeat_ngram_size);
  g.length_penalty = c.get_or("length_penalty", g.length_penalty);
  g.bos_token_id = c.get_optional<int64_t>("bos_token_id");
  g.eos_token_id = c.token_ids("eos_token_id");
  g.pad_token_id = c.get_optional<int64_t>("pad_token_id");
  g.decoder_start_token_id = c.get_optional<int64_t>("decoder_start_token_id");
  g.forced_bos_token_id = c.get_optional<int64_t>("forced_bos_token_id");
  g.forced_eos_token_id = c.token_ids("forced_eos_token_id");

  // The checks transformers' GenerationConfig.validate() raises on.
  auto check = [&](bool ok, const std::string& field, const std::string& rule) {
    if (!ok) throw Error(c.file().string() + ": field '" + field + "' " + rule);
  };
  check(g.max_length >= 0, "max_length", "must be >= 0");
  check(!g.max_new_tokens || *g.max_new_tokens > 0, "max_new_tokens", "must be > 0");
  check(g.min_length >= 0, "min_length", "must be >= 0");
  check(g.num_beams >= 1, "num_beams", "must be >= 1");
  check(g.num_return_sequences >= 1, "num_return_sequences", "must be >= 1");
  if (g.do_sample) {  // the sampling warpers reject these only when they are used
    check(g.temperature > 0, "temperature", "must be > 0 when do_sample is true");
    check(g.top_k >= 0, "top_k", "must be >= 0");
    check(g.top_p >= 0 && g.top_p <= 1, "top_p", "must be in [0, 1]");
  }
  check(g.repetition_penalty > 0, "repetition_penalty", "must be > 0");
  check(g.no_repeat_ngram_size >= 0, "no_repeat_ngram_size", "must be >= 0");
  return g;
}

}  // namespace lmpipe

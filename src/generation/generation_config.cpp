// transformers v5 generation/configuration_utils.py (GenerationConfig): parsing, layering and the
// per-field checks of GenerationConfig.validate().
#include "lmpipe/generation.h"

#include <set>
#include <tuple>
#include <type_traits>
#include <utility>

#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

namespace lmpipe {

namespace {

using EarlyStopping = GenerationConfig::EarlyStopping;

// Every field with its transformers name, in transformers' attribute order.
constexpr auto kFields = std::make_tuple(
    std::pair{"max_length", &GenerationConfig::max_length}, std::pair{"max_new_tokens", &GenerationConfig::max_new_tokens},
    std::pair{"min_length", &GenerationConfig::min_length}, std::pair{"min_new_tokens", &GenerationConfig::min_new_tokens},
    std::pair{"early_stopping", &GenerationConfig::early_stopping}, std::pair{"do_sample", &GenerationConfig::do_sample},
    std::pair{"num_beams", &GenerationConfig::num_beams}, std::pair{"temperature", &GenerationConfig::temperature},
    std::pair{"top_k", &GenerationConfig::top_k}, std::pair{"top_p", &GenerationConfig::top_p},
    std::pair{"min_p", &GenerationConfig::min_p}, std::pair{"repetition_penalty", &GenerationConfig::repetition_penalty},
    std::pair{"length_penalty", &GenerationConfig::length_penalty},
    std::pair{"no_repeat_ngram_size", &GenerationConfig::no_repeat_ngram_size},
    std::pair{"bad_words_ids", &GenerationConfig::bad_words_ids},
    std::pair{"forced_bos_token_id", &GenerationConfig::forced_bos_token_id},
    std::pair{"forced_eos_token_id", &GenerationConfig::forced_eos_token_id},
    std::pair{"suppress_tokens", &GenerationConfig::suppress_tokens},
    std::pair{"begin_suppress_tokens", &GenerationConfig::begin_suppress_tokens},
    std::pair{"num_return_sequences", &GenerationConfig::num_return_sequences},
    std::pair{"pad_token_id", &GenerationConfig::pad_token_id}, std::pair{"bos_token_id", &GenerationConfig::bos_token_id},
    std::pair{"eos_token_id", &GenerationConfig::eos_token_id},
    std::pair{"decoder_start_token_id", &GenerationConfig::decoder_start_token_id},
    std::pair{"stop_strings", &GenerationConfig::stop_strings}, std::pair{"seed", &GenerationConfig::seed});

// Calls f(name, member pointer) for every field.
template <class F>
void for_each_field(F&& f) {
  std::apply([&](const auto&... field) { (f(field.first, field.second), ...); }, kFields);
}

class FieldReader {
 public:
  FieldReader(const json& object, std::string where) : object_(object), where_(std::move(where)) {}

  void operator()(const char* name, std::optional<int64_t>& field) {
    if (const json* v = find(name)) field = integer(name, *v);
  }
  void operator()(const char* name, std::optional<uint64_t>& field) {
    if (const json* v = find(name)) {
      const int64_t x = integer(name, *v);
      if (x < 0) fail(name, "must be >= 0", *v);
      field = static_cast<uint64_t>(x);
    }
  }
  void operator()(const char* name, std::optional<double>& field) {
    if (const json* v = find(name)) {
      if (!v->is_number()) fail(name, "must be a number", *v);
      field = v->get<double>();
    }
  }
  void operator()(const char* name, std::optional<bool>& field) {
    if (const json* v = find(name)) {
      if (!v->is_boolean()) fail(name, "must be true or false", *v);
      field = v->get<bool>();
    }
  }
  void operator()(const char* name, std::optional<EarlyStopping>& field) {
    if (const json* v = find(name)) {
      if (v->is_boolean()) field = v->get<bool>() ? EarlyStopping::WhenDone : EarlyStopping::Heuristic;
      else if (*v == "never") field = EarlyStopping::Never;
      else fail(name, "must be true, false or \"never\"", *v);
    }
  }
  void operator()(const char* name, std::optional<std::vector<int64_t>>& field) {
    if (const json* v = find(name)) field = integers(name, *v, *v);
  }
  void operator()(const char* name, std::optional<std::vector<std::vector<int64_t>>>& field) {
    if (const json* v = find(name)) {
      if (!v->is_array()) fail(name, "must be a list of lists of token ids", *v);
      std::vector<std::vector<int64_t>> lists;
      for (const json& item : *v) {
        if (!item.is_array() || item.empty()) fail(name, "must be a list of non-empty lists of token ids", *v);
        lists.push_back(integers(name, item, *v));
      }
      field = std::move(lists);
    }
  }
  void operator()(const char* name, std::optional<std::vector<std::string>>& field) {
    if (const json* v = find(name)) {
      std::vector<std::string> strings;
      if (v->is_string()) strings.push_back(v->get<std::string>());
      else if (v->is_array())
        for (const json& s : *v) {
          if (!s.is_string()) fail(name, "must be a string or a list of strings", *v);
          strings.push_back(s.get<std::string>());
        }
      else fail(name, "must be a string or a list of strings", *v);
      for (const std::string& s : strings)
        if (s.empty()) fail(name, "must not contain an empty string", *v);
      field = std::move(strings);
    }
  }

 private:
  const json* find(const char* name) const {
    auto it = object_.find(name);
    return it == object_.end() || it->is_null() ? nullptr : &*it;
  }
  [[noreturn]] void fail(const char* name, const std::string& rule, const json& value) const {
    throw Error(where_ + ": field '" + name + "' " + rule + ", got " + value.dump());
  }
  int64_t integer(const char* name, const json& v) const {
    if (!v.is_number_integer()) fail(name, "must be an integer", v);
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) fail(name, "is too large", v);
    return v.get<int64_t>();
  }
  std::vector<int64_t> integers(const char* name, const json& v, const json& whole) const {
    std::vector<int64_t> ids;
    if (v.is_number_integer()) return {integer(name, v)};
    if (!v.is_array()) fail(name, "must be an integer or a list of integers", whole);
    for (const json& x : v) {
      if (!x.is_number_integer()) fail(name, "must be an integer or a list of integers", whole);
      ids.push_back(integer(name, x));
    }
    return ids;
  }

  const json& object_;
  std::string where_;
};

// GenerationConfig.validate(): values no layer may hold, whichever mode ends up running.
void validate(const GenerationConfig& g, const std::string& where) {
  auto check = [&](bool ok, const char* field, const std::string& rule) {
    if (!ok) throw Error(where + ": field '" + field + "' " + rule);
  };
  auto non_negative = [&](const std::optional<int64_t>& v, const char* field) {
    check(!v || *v >= 0, field, "must be >= 0, got " + (v ? std::to_string(*v) : ""));
  };
  auto token_list = [&](const std::optional<std::vector<int64_t>>& v, const char* field) {
    if (v)
      for (int64_t id : *v) check(id >= 0, field, "must hold token ids >= 0, got " + std::to_string(id));
  };
  non_negative(g.max_length, "max_length");
  check(!g.max_new_tokens || *g.max_new_tokens > 0, "max_new_tokens",
        "must be greater than 0, got " + (g.max_new_tokens ? std::to_string(*g.max_new_tokens) : ""));
  non_negative(g.min_length, "min_length");
  non_negative(g.min_new_tokens, "min_new_tokens");
  check(!g.num_beams || *g.num_beams >= 1, "num_beams", "must be >= 1");
  check(!g.num_return_sequences || *g.num_return_sequences >= 1, "num_return_sequences", "must be >= 1");
  check(!g.temperature || *g.temperature > 0, "temperature", "must be a strictly positive number");
  non_negative(g.top_k, "top_k");
  check(!g.top_p || (*g.top_p >= 0 && *g.top_p <= 1), "top_p", "must be in [0, 1]");
  check(!g.min_p || (*g.min_p >= 0 && *g.min_p <= 1), "min_p", "must be in [0, 1]");
  check(!g.repetition_penalty || *g.repetition_penalty > 0, "repetition_penalty", "must be a strictly positive number");
  non_negative(g.no_repeat_ngram_size, "no_repeat_ngram_size");
  non_negative(g.bos_token_id, "bos_token_id");
  non_negative(g.pad_token_id, "pad_token_id");
  non_negative(g.decoder_start_token_id, "decoder_start_token_id");
  non_negative(g.forced_bos_token_id, "forced_bos_token_id");
  token_list(g.eos_token_id, "eos_token_id");
  token_list(g.forced_eos_token_id, "forced_eos_token_id");
  token_list(g.suppress_tokens, "suppress_tokens");
  token_list(g.begin_suppress_tokens, "begin_suppress_tokens");
  if (g.bad_words_ids)
    for (const auto& words : *g.bad_words_ids)
      for (int64_t id : words) check(id >= 0, "bad_words_ids", "must hold token ids >= 0, got " + std::to_string(id));
}

std::set<std::string> field_names() {
  std::set<std::string> names;
  for_each_field([&](const char* name, auto) { names.insert(name); });
  return names;
}


// transformers generation settings lmpipe does not implement: an error as call arguments, a
// warning in a config file (which would otherwise change the output unnoticed).
const std::set<std::string>& unsupported_fields() {
  static const std::set<std::string> names = {
      "typical_p", "epsilon_cutoff", "eta_cutoff", "top_h", "encoder_repetition_penalty", "encoder_no_repeat_ngram_size",
      "exponential_decay_length_penalty", "sequence_bias", "guidance_scale", "num_beam_groups", "diversity_penalty",
      "penalty_alpha", "renormalize_logits", "constraints", "force_words_ids", "remove_invalid_values",
      "watermarking_config", "token_healing", "max_time"};
  return names;
}

}  // namespace

GenerationConfig GenerationConfig::from_json(const json& object, const std::string& where, bool strict) {
  if (!object.is_object()) throw Error(where + ": expected a JSON object");
  static const std::set<std::string> known = field_names();
  for (const auto& [key, value] : object.items()) {
    if (known.count(key)) continue;
    if (unsupported_fields().count(key) && !value.is_null()) {
      if (strict) throw Error(where + ": '" + key + "' is not supported by lmpipe's generate()");
      log_warning_once(where + ": '" + key + "' is not supported by lmpipe's generate() and is ignored");
    } else if (strict) {
      throw Error(where + ": '" + key + "' is not a generation argument");
    }
  }
  GenerationConfig g;
  FieldReader read(object, where);
  for_each_field([&](const char* name, auto member) { read(name, g.*member); });
  validate(g, where);
  return g;
}

GenerationConfig GenerationConfig::load(const std::filesystem::path& model_dir) {
  std::filesystem::path file = model_dir / "generation_config.json";
  if (!std::filesystem::exists(file)) file = model_dir / "config.json";
  return from_json(read_json_file(file), file.string());
}

GenerationConfig GenerationConfig::defaults() {
  GenerationConfig g;
  g.max_length = 20;
  g.min_length = 0;
  g.do_sample = false;
  g.early_stopping = EarlyStopping::Heuristic;
  g.num_beams = 1;
  g.temperature = 1.0;
  g.top_k = 50;
  g.top_p = 1.0;
  g.repetition_penalty = 1.0;
  g.length_penalty = 1.0;
  g.no_repeat_ngram_size = 0;
  g.num_return_sequences = 1;
  return g;
}

void GenerationConfig::update(const GenerationConfig& other) {
  for_each_field([&](const char*, auto member) {
    if (other.*member) this->*member = other.*member;
  });
}

void GenerationConfig::fill_unset(const GenerationConfig& other) {
  for_each_field([&](const char*, auto member) {
    if (!(this->*member)) this->*member = other.*member;
  });
}

json GenerationConfig::to_json() const {
  json out = json::object();
  for_each_field([&](const char* name, auto member) {
    const auto& field = this->*member;
    if (!field) return;
    if constexpr (std::is_same_v<std::decay_t<decltype(*field)>, EarlyStopping>) {
      out[name] = *field == EarlyStopping::Never ? json("never") : json(*field == EarlyStopping::WhenDone);
    } else {
      out[name] = *field;
    }
  });
  return out;
}

}  // namespace lmpipe

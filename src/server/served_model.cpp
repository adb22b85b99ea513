#include "server/served_model.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "io/hub.h"
#include "lmpipe/text_generation.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe::server {

namespace {

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool has_entailment_label(const json& config) {
  auto it = config.find("label2id");
  if (it == config.end() || !it->is_object()) return false;
  for (const auto& [label, _] : it->items()) {
    std::string lower = label;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.rfind("entail", 0) == 0) return true;  // as ZeroShotClassificationPipeline finds it
  }
  return false;
}

std::string task_of_architecture(const std::string& arch, const json& config) {
  if (ends_with(arch, "ForSequenceClassification"))
    return has_entailment_label(config) ? "zero-shot-classification" : "text-classification";
  if (ends_with(arch, "ForMaskedLM") || ends_with(arch, "ForPreTraining")) return "fill-mask";
  if (ends_with(arch, "ForCausalLM") || ends_with(arch, "LMHeadModel")) return "text-generation";
  if (ends_with(arch, "ForConditionalGeneration")) return "text2text-generation";
  if (ends_with(arch, "Model")) return "feature-extraction";
  return "";
}

}  // namespace

std::string infer_task(const std::filesystem::path& model_dir) {
  if (std::filesystem::exists(model_dir / "modules.json")) return "sentence-embeddings";
  const auto config_path = model_dir / "config.json";
  const json config = read_json_file(config_path);
  std::string seen;
  if (auto it = config.find("architectures"); it != config.end() && it->is_array()) {
    for (const auto& arch : *it) {
      if (!arch.is_string()) continue;
      std::string task = task_of_architecture(arch.get<std::string>(), config);
      if (!task.empty()) return task;
      seen += (seen.empty() ? "" : ", ") + arch.get<std::string>();
    }
  }
  throw Error(config_path.string() + ": cannot tell the task from architectures [" + seen +
              "]; pass --task (e.g. --task zero-shot-classification)");
}

size_t max_input_tokens(const std::filesystem::path& model_dir) {
  size_t limit = 0;
  auto tighten = [&](int64_t n) {
    if (n > 0) limit = limit == 0 ? static_cast<size_t>(n) : std::min(limit, static_cast<size_t>(n));
  };
  if (std::filesystem::exists(model_dir / "tokenizer_config.json")) {
    const json tok = read_json_file(model_dir / "tokenizer_config.json");
    // transformers' "unset" is int(1e30): anything that large says nothing.
    if (auto it = tok.find("model_max_length"); it != tok.end() && it->is_number() && it->get<double>() < 1e15)
      tighten(static_cast<int64_t>(it->get<double>()));
  }
  const json config = read_json_file(model_dir / "config.json");
  for (const char* key : {"max_position_embeddings", "n_positions"}) {
    auto it = config.find(key);
    if (it == config.end() || !it->is_number_integer()) continue;
    int64_t positions = it->get<int64_t>();
    const std::string type = json_get_or<std::string>(config, "model_type", "");
    if (type == "roberta" || type == "xlm-roberta" || type == "camembert")
      positions -= json_get_or<int64_t>(config, "pad_token_id", 1) + 1;
    tighten(positions);
    break;
  }
  return limit;
}

ServedModel load_served_model(const std::string& model, const std::string& task, const LoadOptions& options) {
  const std::filesystem::path dir = resolve_model(model);
  ServedModel served;
  served.id = model;
  served.task = task.empty() ? infer_task(dir) : task;
  served.max_input_tokens = max_input_tokens(dir);
  served.dtype = std::string(weight_dtype_name(options.dtype));
  served.pipeline = pipeline(served.task, dir.string(), options);
  if (const auto* generator = dynamic_cast<const TextGenerationPipeline*>(served.pipeline.get())) {
    served.complete = [generator](const std::string& prompt, const json& kwargs, const TextCallback& on_text) {
      Completion c;
      TextGenerationPipeline::StreamInfo info;
      json call = kwargs;
      call["return_full_text"] = false;
      generator->stream(
          prompt, call,
          [&](const std::string& text, bool end) {
            c.text += text;
            on_text(text, end);
          },
          &info);
      c.prompt_tokens = info.prompt_tokens;
      c.completion_tokens = info.generated_tokens;
      // Fewer tokens than allowed: an end-of-sequence token or a stop string ended it.
      const auto limit = kwargs.find("max_new_tokens");
      const bool at_limit = limit != kwargs.end() && limit->is_number_integer() &&
                            c.completion_tokens >= limit->get<size_t>();
      c.finish_reason = at_limit ? "length" : "stop";
      return c;
    };
  }
  return served;
}

}  // namespace lmpipe::server

// Port of the generation parts of transformers' pipelines/base.py (Pipeline.__init__: the
// pipeline's generation config, task_specific_params, the tokenizer's pad token) shared by the
// text-generation and text2text pipelines.
#include "pipelines/generation_pipeline.h"

#include "generation/text_streamer.h"
#include "pipelines/batching.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::pipelines {

GenerationPipelineBase::GenerationPipelineBase(const std::filesystem::path& model_dir, const std::string& task,
                                               const GenerationConfig& defaults, const LoadOptions& options)
    : tokenizer(Tokenizer::from_dir(model_dir)),
      model(load_generative_model(model_dir, options)),
      model_config(GenerationConfig::load(model_dir)) {
  // _prepare_generation_config(pipeline defaults): the model's settings fill what the pipeline's
  // defaults leave unset, then the global defaults.
  pipeline_config = defaults;
  pipeline_config.fill_unset(model_config);
  pipeline_config.fill_unset(GenerationConfig::defaults());
  // A model max_length other than the global default wins over the pipeline's max_new_tokens.
  if (defaults.max_new_tokens && pipeline_config.max_new_tokens == defaults.max_new_tokens &&
      pipeline_config.max_length && *pipeline_config.max_length != 20)
    pipeline_config.max_new_tokens.reset();
  const json& config = model->config().raw();
  if (config.contains("prefix") && config["prefix"].is_string()) prefix = config["prefix"].get<std::string>();
  // task_specific_params (legacy, still applied): the task's prefix and generation settings.
  const std::string where = model->config().file().string() + ": task_specific_params." + task;
  if (auto params = config.find("task_specific_params"); params != config.end() && params->is_object()) {
    if (auto it = params->find(task); it != params->end()) {
      if (!it->is_object()) throw Error(where + " must be an object");
      json settings = *it;
      if (settings.contains("prefix")) {
        if (!settings["prefix"].is_string()) throw Error(where + ".prefix must be a string");
        prefix = settings["prefix"].get<std::string>();
        settings.erase("prefix");
      }
      pipeline_config.update(GenerationConfig::from_json(settings, where));
    }
  }
  if (!pipeline_config.pad_token_id && tokenizer.pad_token_id()) pipeline_config.pad_token_id = *tokenizer.pad_token_id();
}

GenerationPipelineBase::Arguments GenerationPipelineBase::split_kwargs(const json& kwargs,
                                                                       const std::set<std::string>& pipeline_keys) {
  if (!kwargs.is_object()) throw Error("pipeline keyword arguments must be a JSON object");
  Arguments args;
  json generate = json::object();
  for (const auto& [key, value] : kwargs.items()) (pipeline_keys.count(key) ? args.options : generate)[key] = value;
  args.generate = GenerationConfig::from_json(generate, "generate arguments", /*strict=*/true);
  for (const char* key : {"return_full_text", "return_tensors", "return_text", "clean_up_tokenization_spaces", "truncation"})
    bool_option(args.options, key);
  batch_size_option(args.options);
  if (auto stop = args.options.find("stop_sequence"); stop != args.options.end() && !stop->is_null() && !stop->is_string())
    throw Error("stop_sequence must be a string");
  return args;
}

GenerationPipelineBase::Arguments GenerationPipelineBase::parse_kwargs(const json& kwargs,
                                                                       const std::set<std::string>& pipeline_keys) const {
  Arguments args = split_kwargs(kwargs, pipeline_keys);
  // stop_sequence: its first token becomes the eos (transformers warns when it has several).
  if (auto stop = args.options.find("stop_sequence"); stop != args.options.end() && !stop->is_null()) {
    EncodeOptions no_special;
    no_special.add_special_tokens = false;
    const Encoding e = tokenizer.encode(stop->get<std::string>(), no_special);
    if (e.ids.empty()) throw Error("stop_sequence \"" + stop->get<std::string>() + "\" has no tokens");
    args.generate.eos_token_id = std::vector<int64_t>{e.ids[0]};
  }
  return args;
}

namespace {

// StopStringCriteria's view of a token: its text after "abcdef", so that decoders which strip a
// leading space (Metaspace) keep it.
std::function<std::string(int32_t)> token_text_function(const Tokenizer& tokenizer) {
  EncodeOptions no_special;
  no_special.add_special_tokens = false;
  const std::vector<int32_t> prefix = tokenizer.encode("abcdef", no_special).ids;
  const std::string prefix_text = tokenizer.decode(prefix, false, false);
  return [&tokenizer, prefix, prefix_text](int32_t id) {
    std::vector<int32_t> ids = prefix;
    ids.push_back(id);
    std::string text = tokenizer.decode(ids, false, false);
    return text.compare(0, prefix_text.size(), prefix_text) == 0 ? text.substr(prefix_text.size())
                                                                  : tokenizer.decode({id}, false, false);
  };
}

}  // namespace

generation::GenerateOutput GenerationPipelineBase::generate(const std::vector<Encoding>& encodings, PaddingSide side,
                                                            const GenerationConfig& kwargs,
                                                            const TextCallback* on_text) const {
  std::vector<Encoding> batch = encodings;
  size_t longest = 0;
  for (const auto& e : batch) longest = std::max(longest, e.size());
  bool padded = false;
  for (const auto& e : batch) padded |= e.size() != longest;
  if (padded) {
    if (tokenizer.pad_token_id()) {
      tokenizer.pad(batch, side);
    } else {
      // No pad token in the tokenizer (GPT-2): pad with generation's pad id, as
      // `tokenizer.pad_token_id = model.config.eos_token_id` does in transformers' examples.
      GenerationConfig merged = pipeline_config;
      merged.update(kwargs);
      std::optional<int64_t> pad = merged.pad_token_id;
      if (!pad && merged.eos_token_id && !merged.eos_token_id->empty()) pad = merged.eos_token_id->front();
      if (!pad) throw Error("batch_size > 1 needs a pad token, and neither the tokenizer nor the model has one");
      for (auto& e : batch) {
        const size_t missing = longest - e.size();
        auto fill_ids = std::vector<int32_t>(missing, static_cast<int32_t>(*pad));
        auto fill_mask = std::vector<int32_t>(missing, 0);
        if (side == PaddingSide::Left) {
          e.ids.insert(e.ids.begin(), fill_ids.begin(), fill_ids.end());
          e.attention_mask.insert(e.attention_mask.begin(), fill_mask.begin(), fill_mask.end());
        } else {
          e.ids.insert(e.ids.end(), fill_ids.begin(), fill_ids.end());
          e.attention_mask.insert(e.attention_mask.end(), fill_mask.begin(), fill_mask.end());
        }
      }
    }
  }
  generation::GenerateRequest request;
  request.inputs.batch = static_cast<int64_t>(batch.size());
  request.inputs.seq_len = static_cast<int64_t>(longest);
  for (const auto& e : batch) {
    request.inputs.input_ids.insert(request.inputs.input_ids.end(), e.ids.begin(), e.ids.end());
    request.inputs.attention_mask.insert(request.inputs.attention_mask.end(), e.attention_mask.begin(),
                                         e.attention_mask.end());
  }
  request.model_config = model_config;
  request.passed = pipeline_config;
  request.kwargs = kwargs;
  request.token_text = token_text_function(tokenizer);
  std::unique_ptr<generation::TextStreamer> streamer;
  if (on_text) {
    streamer = std::make_unique<generation::TextStreamer>(tokenizer, /*skip_prompt=*/true, *on_text);
    request.on_tokens = [&streamer](const std::vector<int32_t>& ids) { streamer->put(ids); };
  }
  generation::GenerateOutput out = generation::generate(*model, request);
  if (streamer) streamer->end();
  return out;
}

std::vector<std::string> parse_texts(const json& inputs, bool* is_list) {
  *is_list = inputs.is_array();
  if (inputs.is_string()) return {inputs.get<std::string>()};
  if (!inputs.is_array() || inputs.empty()) throw Error("inputs must be a string or a non-empty list of strings");
  std::vector<std::string> texts;
  for (const auto& t : inputs) {
    if (!t.is_string()) throw Error("inputs must be a string or a non-empty list of strings, got " + t.dump());
    texts.push_back(t.get<std::string>());
  }
  return texts;
}

std::string drop_chars(const std::string& text, size_t n) {
  size_t i = 0;
  for (; i < text.size() && n > 0; --n) i += tok::utf8_sequence_length(static_cast<unsigned char>(text[i]));
  return i >= text.size() ? std::string() : text.substr(i);
}

std::optional<bool> bool_option(const json& options, const std::string& key) {
  auto it = options.find(key);
  if (it == options.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw Error(key + " must be true or false, got " + it->dump());
  return it->get<bool>();
}

}  // namespace lmpipe::pipelines

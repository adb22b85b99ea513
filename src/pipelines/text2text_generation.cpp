// Port of transformers v4.57 pipelines/text2text_generation.py (Text2TextGenerationPipeline,
// SummarizationPipeline, TranslationPipeline), which transformers v5 removed.
#include <set>

#include "lmpipe/text_generation.h"
#include "pipelines/batching.h"
#include "pipelines/generation_pipeline.h"
#include "util/error.h"

namespace lmpipe {

namespace {

const std::set<std::string> kPipelineKeys = {"return_tensors", "return_text", "clean_up_tokenization_spaces",
                                             "stop_sequence", "batch_size", "truncation", "src_lang", "tgt_lang"};

GenerationConfig pipeline_defaults() {
  GenerationConfig g;
  g.max_new_tokens = 256;
  g.num_beams = 4;
  return g;
}

// The records' key prefix (return_name) of each task.
std::string return_name(const std::string& task) {
  if (task == "summarization") return "summary";
  if (task == "translation" || task.rfind("translation_", 0) == 0) return "translation";
  return "generated";
}

}  // namespace

struct Text2TextGenerationPipeline::Impl : pipelines::GenerationPipelineBase {
  std::string name;

  Impl(const std::filesystem::path& dir, const std::string& task, const LoadOptions& options)
      : GenerationPipelineBase(dir, task, pipeline_defaults(), options), name(return_name(task)) {
    if (!model->is_encoder_decoder())
      throw Error(model->config().file().string() + ": " + task +
                  " needs an encoder-decoder (sequence-to-sequence) model; use text-generation for decoder-only models");
  }

  json run(const std::vector<std::string>& texts, const json& kwargs, const TextCallback* on_text) const {
    const Arguments args = parse_kwargs(kwargs, kPipelineKeys);
    const bool tensors = pipelines::bool_option(args.options, "return_tensors").value_or(false);
    // return_text is accepted (and type-checked) as transformers does; records hold text unless return_tensors.
    pipelines::bool_option(args.options, "return_text");
    const bool clean_up = pipelines::bool_option(args.options, "clean_up_tokenization_spaces").value_or(false);
    EncodeOptions encode;
    if (pipelines::bool_option(args.options, "truncation").value_or(false)) encode.truncation = Truncation::LongestFirst;
    const size_t batch_size = batch_size_option(args.options);
    json results = json::array();
    for (size_t first = 0; first < texts.size(); first += batch_size) {
      const size_t count = std::min(batch_size, texts.size() - first);
      std::vector<Encoding> encodings;
      for (size_t i = 0; i < count; ++i) encodings.push_back(tokenizer.encode(prefix + texts[first + i], encode));
      const generation::GenerateOutput out = generate(encodings, PaddingSide::Right, args.generate, on_text);
      const int64_t per_text = out.rows / static_cast<int64_t>(count);
      for (size_t i = 0; i < count; ++i) {
        json records = json::array();
        for (int64_t k = 0; k < per_text; ++k) {
          const int32_t* row = out.row(static_cast<int64_t>(i) * per_text + k);
          const std::vector<int32_t> sequence(row, row + out.length);
          if (tensors) records.push_back({{name + "_token_ids", sequence}});
          else records.push_back({{name + "_text", tokenizer.decode(sequence, true, clean_up)}});
        }
        results.push_back(std::move(records));
      }
    }
    return results;
  }
};

void Text2TextGenerationPipeline::check_arguments(const json& kwargs) {
  pipelines::GenerationPipelineBase::split_kwargs(kwargs, kPipelineKeys);
}

Text2TextGenerationPipeline::Text2TextGenerationPipeline(const std::filesystem::path& model_dir, const std::string& task,
                                                         const LoadOptions& options)
    : impl_(std::make_unique<Impl>(model_dir, task, options)) {}
Text2TextGenerationPipeline::~Text2TextGenerationPipeline() = default;

json Text2TextGenerationPipeline::operator()(const json& inputs, const json& kwargs) const {
  bool is_list = false;
  const std::vector<std::string> texts = pipelines::parse_texts(inputs, &is_list);
  json results = impl_->run(texts, kwargs, nullptr);
  if (!is_list) return results[0];
  // A list of texts with one record each comes back as a flat list of records.
  bool single = true;
  for (const auto& records : results) single &= records.size() == 1;
  if (!single) return results;
  json flat = json::array();
  for (const auto& records : results) flat.push_back(records[0]);
  return flat;
}

json Text2TextGenerationPipeline::stream(const std::string& text, const json& kwargs, const TextCallback& on_text) const {
  return impl_->run({text}, kwargs, &on_text)[0];
}

}  // namespace lmpipe

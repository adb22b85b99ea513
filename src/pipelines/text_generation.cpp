// Port of transformers v5 pipelines/text_generation.py (TextGenerationPipeline) for text prompts.
#include <set>

#include "lmpipe/text_generation.h"
#include "pipelines/batching.h"
#include "pipelines/generation_pipeline.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe {

namespace {

const std::set<std::string> kPipelineKeys = {"return_full_text", "return_tensors", "return_text",
                                             "clean_up_tokenization_spaces", "stop_sequence", "batch_size",
                                             "truncation"};

enum class ReturnType { Tensors, NewText, FullText };

GenerationConfig pipeline_defaults() {
  GenerationConfig g;
  g.max_new_tokens = 256;
  return g;
}

}  // namespace

struct TextGenerationPipeline::Impl : pipelines::GenerationPipelineBase {
  Impl(const std::filesystem::path& dir, const LoadOptions& options)
      : GenerationPipelineBase(dir, "text-generation", pipeline_defaults(), options) {
    if (model->is_encoder_decoder())
      throw Error(model->config().file().string() +
                  ": text-generation needs a decoder-only (causal) language model; use text2text-generation, "
                  "summarization or translation for encoder-decoder models");
  }

  // _sanitize_parameters' return type rules.
  static ReturnType return_type(const json& options) {
    const auto full = pipelines::bool_option(options, "return_full_text");
    const auto tensors = pipelines::bool_option(options, "return_tensors");
    const auto text = pipelines::bool_option(options, "return_text");
    if (full) {
      if (text) throw Error("`return_text` is mutually exclusive with `return_full_text`");
      if (tensors) throw Error("`return_full_text` is mutually exclusive with `return_tensors`");
      return *full ? ReturnType::FullText : ReturnType::NewText;
    }
    if (tensors) {
      if (text) throw Error("`return_text` is mutually exclusive with `return_tensors`");
      return *tensors ? ReturnType::Tensors : ReturnType::FullText;
    }
    return ReturnType::FullText;
  }

  // preprocess + _forward + postprocess for a list of prompts; one list of records per prompt.
  json run(const std::vector<std::string>& prompts, const json& kwargs, const TextCallback* on_text,
           StreamInfo* info = nullptr) const {
    const Arguments args = parse_kwargs(kwargs, kPipelineKeys);
    const ReturnType type = return_type(args.options);
    // transformers' text-generation cleans up by default (a no-op for BPE tokenizers in 5.x).
    const bool clean_up = pipelines::bool_option(args.options, "clean_up_tokenization_spaces").value_or(true);
    EncodeOptions encode;
    encode.add_special_tokens = false;
    if (pipelines::bool_option(args.options, "truncation").value_or(false)) {
      encode.truncation = Truncation::LongestFirst;
      if (args.generate.max_length) encode.max_length = static_cast<size_t>(*args.generate.max_length);
    }
    const size_t batch_size = batch_size_option(args.options);
    json results = json::array();
    for (size_t first = 0; first < prompts.size(); first += batch_size) {
      const size_t count = std::min(batch_size, prompts.size() - first);
      std::vector<Encoding> encodings;
      for (size_t i = 0; i < count; ++i) encodings.push_back(tokenizer.encode(prefix + prompts[first + i], encode));
      const generation::GenerateOutput out = generate(encodings, PaddingSide::Left, args.generate, on_text);
      const int64_t per_prompt = out.rows / static_cast<int64_t>(count);
      if (info) {
        // One prompt, one row: everything after the decoder input up to the end (pad-filled rows
        // only happen in batches).
        info->prompt_tokens = encodings[0].ids.size();
        info->generated_tokens = static_cast<size_t>(out.length - out.input_length);
      }
      for (size_t i = 0; i < count; ++i) {
        // The prompt as the model saw it (left padding included), decoded to cut its characters.
        const std::vector<int32_t> prompt(out.row(i * per_prompt), out.row(i * per_prompt) + out.input_length);
        const size_t prompt_chars =
            encodings[i].ids.empty() ? 0 : tok::count_chars(tokenizer.decode(prompt, true, clean_up));
        json records = json::array();
        for (int64_t k = 0; k < per_prompt; ++k) {
          const int32_t* row = out.row(static_cast<int64_t>(i) * per_prompt + k);
          const std::vector<int32_t> sequence(row, row + out.length);
          if (type == ReturnType::Tensors) {
            records.push_back({{"generated_token_ids", sequence}});
            continue;
          }
          std::string text = pipelines::drop_chars(tokenizer.decode(sequence, true, clean_up), prompt_chars);
          if (type == ReturnType::FullText) text = prompts[first + i] + text;
          records.push_back({{"generated_text", text}});
        }
        results.push_back(std::move(records));
      }
    }
    return results;
  }
};

void TextGenerationPipeline::check_arguments(const json& kwargs) {
  Impl::return_type(pipelines::GenerationPipelineBase::split_kwargs(kwargs, kPipelineKeys).options);
}

TextGenerationPipeline::TextGenerationPipeline(const std::filesystem::path& model_dir, const LoadOptions& options)
    : impl_(std::make_unique<Impl>(model_dir, options)) {}
TextGenerationPipeline::~TextGenerationPipeline() = default;

json TextGenerationPipeline::operator()(const json& inputs, const json& kwargs) const {
  bool is_list = false;
  const std::vector<std::string> prompts = pipelines::parse_texts(inputs, &is_list);
  json results = impl_->run(prompts, kwargs, nullptr);
  return is_list ? results : results[0];
}

json TextGenerationPipeline::stream(const std::string& prompt, const json& kwargs, const TextCallback& on_text,
                                   StreamInfo* info) const {
  return impl_->run({prompt}, kwargs, &on_text, info)[0];
}

}  // namespace lmpipe

#pragma once
// Text generation pipelines, as transformers' TextGenerationPipeline (v5) and
// Text2TextGenerationPipeline with its summarization / translation variants (v4.57; transformers
// v5 removed them):
//
//   auto generator = lmpipe::pipeline("text-generation", "openai-community/gpt2");
//   (*generator)("If you don't", {{"max_new_tokens", 20}});  // [{"generated_text": "If you don't ..."}]
//   auto summarizer = lmpipe::pipeline("summarization", "facebook/bart-large-cnn");
//   (*summarizer)(article);                                    // [{"summary_text": "..."}]
//
// Keyword arguments are the pipeline's (return_full_text, return_tensors, return_text,
// clean_up_tokenization_spaces, stop_sequence, truncation, batch_size) and generate()'s
// (lmpipe/generation.h: max_new_tokens, num_beams, do_sample, temperature, top_k, top_p, ...,
// plus lmpipe's `seed`). Unknown keys throw lmpipe::Error.
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "lmpipe/pipeline.h"

namespace lmpipe {

// Receives generated text as soon as it is final (transformers' TextStreamer: at spaces, newlines
// and CJK characters), then the rest with stream_end = true.
using TextCallback = std::function<void(const std::string& text, bool stream_end)>;

class TextGenerationPipeline : public Pipeline {
 public:
  // A model directory with a causal language model (GPT2LMHeadModel) and its tokenizer; `options`
  // choose the dtype of its linear layers (lmpipe/load_options.h).
  explicit TextGenerationPipeline(const std::filesystem::path& model_dir, const LoadOptions& options = {});
  ~TextGenerationPipeline() override;

  // inputs: a prompt -> [{"generated_text": ...}, ...] (num_return_sequences records); a list of
  // prompts -> one such list per prompt. Batches (batch_size > 1) are left-padded.
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;
  // What a stream() call reports besides its text (for OpenAI-style usage counts).
  struct StreamInfo {
    size_t prompt_tokens = 0;     // the prompt as the model read it
    size_t generated_tokens = 0;  // new tokens, the end-of-sequence token included
  };
  // One prompt, its generated text streamed through on_text (greedy or sampling, one sequence);
  // returns what operator() returns for it, and fills `info` when given.
  json stream(const std::string& prompt, const json& kwargs, const TextCallback& on_text,
              StreamInfo* info = nullptr) const;
  // Throws lmpipe::Error for keyword arguments that no model could take (unknown keys, wrong
  // types or values, contradictory return options): what can be checked before loading one.
  static void check_arguments(const json& kwargs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Text2TextGenerationPipeline : public Pipeline {
 public:
  // task: "text2text-generation" (records "generated_text"), "summarization" ("summary_text"),
  // "translation" or "translation_xx_to_yy" ("translation_text"). The task's entry of
  // config.json's task_specific_params (T5: the "summarize: " / "translate English to German: "
  // prefix and generation settings) applies, as in transformers. `options` as above.
  Text2TextGenerationPipeline(const std::filesystem::path& model_dir, const std::string& task,
                              const LoadOptions& options = {});
  ~Text2TextGenerationPipeline() override;

  // inputs: a text -> [{"summary_text": ...}] (num_return_sequences records); a list of texts ->
  // one record per text when each has one, else one list per text.
  json operator()(const json& inputs, const json& kwargs = json::object()) const override;
  json stream(const std::string& text, const json& kwargs, const TextCallback& on_text) const;
  // As TextGenerationPipeline::check_arguments.
  static void check_arguments(const json& kwargs);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmpipe

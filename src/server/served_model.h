#pragma once
// The one model a server answers with: its pipeline, and what the routes need to know of it.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "lmpipe/pipeline.h"

namespace lmpipe::server {

// Receives generated text as it becomes final; stream_end is true on the last piece.
using TextCallback = std::function<void(const std::string& text, bool stream_end)>;

// One prompt's completion, as the OpenAI routes report it.
struct Completion {
  std::string text;           // the generated text only, without the prompt
  std::string finish_reason;  // "stop" (end of sequence or a stop string) or "length" (max_new_tokens)
  size_t prompt_tokens = 0, completion_tokens = 0;
};

struct ServedModel {
  std::string id;    // as clients name it: --model as given (Hub id or directory)
  std::string task;  // a task lmpipe::pipeline() knows
  std::unique_ptr<Pipeline> pipeline;
  std::string dtype = "float32";
  size_t max_input_tokens = 0;  // 0: the model does not say
  // Text-generation tasks: generates for one prompt with the pipeline's keyword arguments
  // (max_new_tokens, temperature, ...), passing text to on_text as it becomes final. Empty when
  // the model cannot (POST /v1/completions then answers 501). Throws lmpipe::Error for bad arguments.
  std::function<Completion(const std::string& prompt, const json& kwargs, const TextCallback& on_text)> complete;
};

// Resolves `model` (a directory or a Hub id, downloaded if needed), takes the task from its
// config when `task` is empty (infer_task), and loads the pipeline. Throws lmpipe::Error.
ServedModel load_served_model(const std::string& model, const std::string& task = "", const LoadOptions& options = {});

// The task a model directory serves, from what its checkpoint holds, as the Hub tags models:
// a sentence-transformers repository (modules.json) -> sentence-embeddings; a sequence
// classifier with an entailment label (an NLI model) -> zero-shot-classification; *ForMaskedLM /
// *ForPreTraining -> fill-mask; *ForCausalLM / *LMHeadModel -> text-generation;
// *ForConditionalGeneration -> text2text-generation; a bare *Model -> feature-extraction.
// Throws lmpipe::Error naming config.json and asking for --task when none applies.
std::string infer_task(const std::filesystem::path& model_dir);

// The longest input in tokens: tokenizer_config.json's model_max_length, capped by config.json's
// position embeddings (less RoBERTa's padding offset, as TEI computes it); 0 when neither says.
size_t max_input_tokens(const std::filesystem::path& model_dir);

}  // namespace lmpipe::server

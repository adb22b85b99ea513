// The shared part of `lmpipe text-generation | summarization | translation | text2text-generation`.
#include "cli/generation_command.h"

#include <chrono>

#include "cli/command.h"
#include "cli/terminal.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe::cli {

namespace {

// The flags as pipeline keyword arguments, then --kwargs over them.
json build_kwargs(const GenerationArgs& a) {
  json k = json::object();
  auto set = [&](const char* name, const auto& value) {
    if (value) k[name] = *value;
  };
  set("max_new_tokens", a.max_new_tokens);
  set("min_new_tokens", a.min_new_tokens);
  set("max_length", a.max_length);
  set("min_length", a.min_length);
  set("num_beams", a.num_beams);
  set("num_return_sequences", a.num_return_sequences);
  set("do_sample", a.do_sample ? std::optional<bool>(true) : std::nullopt);
  set("temperature", a.temperature);
  set("top_k", a.top_k);
  set("top_p", a.top_p);
  set("min_p", a.min_p);
  set("seed", a.seed);
  set("repetition_penalty", a.repetition_penalty);
  set("no_repeat_ngram_size", a.no_repeat_ngram_size);
  set("length_penalty", a.length_penalty);
  if (!a.stop_strings.empty()) k["stop_strings"] = a.stop_strings;
  set("return_full_text", a.return_full_text);
  if (a.return_tensors) k["return_tensors"] = true;
  if (!a.kwargs_json.empty()) {
    json extra;
    try {
      extra = json::parse(a.kwargs_json);
    } catch (const json::parse_error& e) {
      throw UsageError(std::string("--kwargs: invalid JSON: ") + e.what());
    }
    if (!extra.is_object()) throw UsageError("--kwargs must be a JSON object, got " + escape_bytes(a.kwargs_json));
    k.update(extra);
  }
  return k;
}

// Prints one text's generation as it is produced.
void stream_text(const Pipeline& pipeline, const std::string& text, const json& kwargs, bool echo_input) {
  const TextCallback print = [](const std::string& chunk, bool end) {
    out().write(end ? chunk + "\n" : chunk);
    out().flush();
  };
  if (const auto* generator = dynamic_cast<const TextGenerationPipeline*>(&pipeline)) {
    if (echo_input) out().write(text);
    generator->stream(text, kwargs, print);
  } else {
    dynamic_cast<const Text2TextGenerationPipeline&>(pipeline).stream(text, kwargs, print);
  }
}

}  // namespace

void add_generation_options(CLI::App* cmd, GenerationArgs& a, const std::string& default_model) {
  a.model = default_model;
  cmd->add_option("-m,--model", a.model, "Model directory or Hugging Face model id")->capture_default_str();
  cmd->add_option("--revision", a.revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  add_dtype(cmd, a.dtype);
  cmd->add_option("--max-new-tokens", a.max_new_tokens, "Tokens to generate at most (pipeline default 256)");
  cmd->add_option("--min-new-tokens", a.min_new_tokens, "Tokens to generate at least");
  cmd->add_option("--max-length", a.max_length, "Total length at most (the prompt or decoder start included)");
  cmd->add_option("--min-length", a.min_length, "Total length at least");
  cmd->add_option("--num-beams", a.num_beams, "Beam search with this many beams");
  cmd->add_option("--num-return-sequences", a.num_return_sequences, "Sequences returned per input");
  cmd->add_flag("--do-sample", a.do_sample, "Sample instead of greedy / beam search");
  cmd->add_option("--temperature", a.temperature, "Sampling temperature");
  cmd->add_option("--top-k", a.top_k, "Sample among the k most likely tokens (0: all)");
  cmd->add_option("--top-p", a.top_p, "Sample within this probability mass");
  cmd->add_option("--min-p", a.min_p, "Drop tokens below min_p times the most likely one");
  cmd->add_option("--seed", a.seed, "Sampling seed: the same seed gives the same output");
  cmd->add_option("--repetition-penalty", a.repetition_penalty, "Penalty on tokens already present");
  cmd->add_option("--no-repeat-ngram-size", a.no_repeat_ngram_size, "Never repeat an n-gram of this size");
  cmd->add_option("--length-penalty", a.length_penalty, "Beam search length penalty exponent");
  cmd->add_option("--stop", a.stop_strings, "Stop once the text ends with this string (repeatable)");
  cmd->add_flag("--return-tensors", a.return_tensors, "Return token ids instead of text");
  cmd->add_flag("--stream", a.stream, "Print TEXT arguments' generated text as it comes instead of JSON");
  cmd->add_option("--kwargs", a.kwargs_json, "Further pipeline / generate() arguments as a JSON object");
  a.input.add_to(cmd, 1);
  cmd->add_option("texts", a.texts, "Texts; none: one per line from stdin or --input");
  cmd->footer(
      "Texts that start with '-' go after '--'. Options are transformers' generate() arguments; unset ones\n"
      "come from the model's generation_config.json. Streaming (no TEXT): one JSON result per input line\n"
      "(JSONL records: \"text\", other fields copied); --batch-size records are generated together.");
}

int run_generation(CLI::App* cmd, const GenerationArgs& args, const GenerationCommand& command) {
  // Everything that needs no model, first.
  out().require_open();
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  for (size_t i = 0; i < args.texts.size(); ++i) require_utf8(args.texts[i], "TEXT " + std::to_string(i + 1));
  if (!args.texts.empty() && cmd->count("--input")) throw UsageError("give TEXT arguments or --input, not both");
  const json kwargs = build_kwargs(args);
  try {
    command.check_arguments(kwargs);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  if (args.stream && args.return_tensors) throw UsageError("--stream prints text; it cannot go with --return-tensors");
  if (args.stream && args.texts.empty()) throw UsageError("--stream prints the generation of TEXT arguments; give some");
  std::optional<Stream> stream;
  if (args.texts.empty()) stream.emplace(command.name, args.input);

  const auto loading = std::chrono::steady_clock::now();
  const std::filesystem::path model_dir = resolve_model_option(args.model, args.revision);
  const std::unique_ptr<Pipeline> pipeline = command.make(model_dir, load);
  log_loaded(command.name, model_dir, loading);

  if (!stream) {
    if (args.stream) {
      for (const auto& text : args.texts) stream_text(*pipeline, text, kwargs, command.echo_input);
      return kExitOk;
    }
    const json inputs = args.texts.size() == 1 ? json(args.texts[0]) : json(args.texts);
    out().write((*pipeline)(inputs, kwargs).dump(2) + "\n");
    return kExitOk;
  }

  StreamTask<std::string> task;
  task.parse = [](Record& record) { return record.text({"text", "text_inputs", "inputs"}); };
  task.run = [&](const std::vector<std::string>& texts) {
    // The batch generates together (left-padded prompts, padded encoder inputs); each record's
    // result is what Python returns for that one text.
    json batch_kwargs = kwargs;
    batch_kwargs["batch_size"] = texts.size();
    const json results = (*pipeline)(json(texts), batch_kwargs);
    std::vector<json> records;
    for (const auto& r : results) records.push_back(r.is_array() ? r : json::array({r}));
    return records;
  };
  return stream->run(task);
}

}  // namespace lmpipe::cli

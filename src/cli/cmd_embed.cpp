// `lmpipe embed`: sentence embeddings from a sentence-transformers repository, on TEXT arguments
// (a JSON list of vectors), or streamed over stdin / --input (stream.h; one vector per line).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/stream.h"
#include "cli/terminal.h"
#include "lmpipe/sentence_embeddings.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct EmbedArgs {
  std::string model = "sentence-transformers/all-MiniLM-L6-v2";
  std::string revision = "main";
  std::string dtype = "float32";
  bool no_normalize = false, normalize = false;
  std::string prompt, prompt_name;
  std::vector<std::string> texts;
  StreamOptions stream;
};

int run_embed(CLI::App* cmd, const EmbedArgs& args) {
  out().require_open();
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  SentenceEmbeddingOptions options;
  if (args.no_normalize && args.normalize) throw UsageError("give --normalize or --no-normalize, not both");
  if (args.no_normalize) options.normalize = false;
  if (args.normalize) options.normalize = true;
  if (cmd->count("--prompt")) {
    require_utf8(args.prompt, "--prompt");
    options.prompt = args.prompt;
  }
  if (cmd->count("--prompt-name")) options.prompt_name = args.prompt_name;
  const std::vector<std::string>& given = args.texts;
  for (size_t i = 0; i < given.size(); ++i) require_utf8(given[i], "TEXT " + std::to_string(i + 1));
  if (!given.empty() && cmd->count("--input")) throw UsageError("give TEXT arguments or --input, not both");
  std::optional<Stream> stream;
  if (given.empty()) stream.emplace("embed", args.stream);

  const auto model = load_pipeline<SentenceTransformer>("embed", args.model, args.revision, load);

  if (!stream) {
    out().write(json(model->encode(given, options)).dump(2) + "\n");
    return kExitOk;
  }
  StreamTask<std::string> task;
  task.parse = [](Record& record) { return record.text(); };
  // A stream batch (--batch-size records, default 64) is encoded in forwards of at most encode's
  // default 32 sentences, run side by side on two threads.
  task.run = [&](const std::vector<std::string>& batch) {
    std::vector<json> results;
    for (auto& v : model->encode(batch, options)) results.emplace_back(std::move(v));
    return results;
  };
  return stream->run(task);
}

}  // namespace

Command register_embed(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Sentence embeddings (sentence-transformers models): a list of vectors");
  cmd->add_option("-m,--model", args->model, "sentence-transformers model directory or Hugging Face id")
      ->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  add_dtype(cmd, args->dtype);
  cmd->add_flag("--no-normalize", args->no_normalize, "Skip the model's Normalize module");
  cmd->add_flag("--normalize", args->normalize, "L2-normalize the vectors, also without a Normalize module");
  cmd->add_option("--prompt", args->prompt, "Text prepended to every input");
  cmd->add_option("--prompt-name", args->prompt_name, "A prompt of config_sentence_transformers.json");
  args->stream.add_to(cmd, 64);
  add_texts(cmd, args->texts, "Texts to embed; none: one per line from stdin or --input");
  cmd->footer(
      "An empty text is embedded as sentence-transformers does ([CLS] [SEP]). Streaming: one vector per\n"
      "input line. Texts that start with '-' go after '--'.");
  return {cmd, [cmd, args] { return run_embed(cmd, *args); }};
}

}  // namespace lmpipe::cli

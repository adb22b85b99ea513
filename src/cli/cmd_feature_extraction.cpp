// `lmpipe feature-extraction`: the last hidden state of every token ([1][tokens][hidden] per
// text) on TEXT arguments, or streamed over stdin / --input (stream.h).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/stream.h"
#include "cli/terminal.h"
#include "lmpipe/feature_extraction.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct FeatureExtractionArgs {
  std::string model = "distilbert/distilbert-base-cased";  // transformers' default for the task
  std::string revision = "main";
  std::string dtype = "float32";
  bool truncation = false;
  std::string max_length;
  std::vector<std::string> texts;
  StreamOptions stream;
};

int run_feature_extraction(CLI::App* cmd, const FeatureExtractionArgs& args) {
  out().require_open();
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  FeatureExtractionOptions options;
  if (!args.max_length.empty()) options.max_length = parse_count(args.max_length, "--max-length", 1, 1 << 20);
  options.truncation = args.truncation || options.max_length > 0;
  const std::vector<std::string>& given = args.texts;
  for (size_t i = 0; i < given.size(); ++i) {
    require_utf8(given[i], "TEXT " + std::to_string(i + 1));
    if (given[i].empty()) throw UsageError("TEXT " + std::to_string(i + 1) + " is empty");
  }
  if (!given.empty() && cmd->count("--input")) throw UsageError("give TEXT arguments or --input, not both");
  std::optional<Stream> stream;
  if (given.empty()) stream.emplace("feature-extraction", args.stream);

  const auto extractor = load_pipeline<FeatureExtractionPipeline>("feature-extraction", args.model, args.revision, load);

  if (!stream) {
    json printed = json::array();
    for (const auto& f : extractor->extract(given, options)) printed.push_back(to_json(f));
    print_results(printed);
    return kExitOk;
  }
  StreamTask<std::string> task;
  task.parse = [](Record& record) { return record.text(); };
  task.run = [&](const std::vector<std::string>& batch) {
    std::vector<json> results;
    for (const auto& f : extractor->extract(batch, options)) results.push_back(to_json(f));
    return results;
  };
  return stream->run(task);
}

}  // namespace

Command register_feature_extraction(CLI::App& app) {
  auto args = std::make_shared<FeatureExtractionArgs>();
  CLI::App* cmd = app.add_subcommand("feature-extraction", "Last hidden state of every token of texts");
  cmd->add_option("-m,--model", args->model, "Model directory or Hugging Face model id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  add_dtype(cmd, args->dtype);
  cmd->add_flag("--truncation", args->truncation, "Truncate texts longer than the model (or --max-length)");
  cmd->add_option("--max-length", args->max_length, "Truncate texts to this many tokens");
  args->stream.add_to(cmd, 16);
  add_texts(cmd, args->texts, "Texts; none: one per line from stdin or --input");
  cmd->footer(
      "Each text gives [1][tokens][hidden], special tokens included, as transformers' feature-extraction\n"
      "pipeline. Texts that start with '-' go after '--'. Streaming: one JSON result per input line; a\n"
      "bad line gives {\"line\": N, \"error\": ...}.");
  return {cmd, [cmd, args] { return run_feature_extraction(cmd, *args); }};
}

}  // namespace lmpipe::cli

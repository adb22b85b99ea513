// `lmpipe fill-mask`: the fill-mask pipeline on TEXT arguments, or streamed over stdin / --input
// (stream.h).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/stream.h"
#include "cli/terminal.h"
#include "lmpipe/fill_mask.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct FillMaskArgs {
  std::string model = "distilbert/distilroberta-base";  // transformers' default for the task
  std::string revision = "main";
  std::string dtype = "float32";
  std::string top_k = "5";
  std::vector<std::string> targets;  // --targets, each split at commas
  bool truncation = false;
  std::vector<std::string> texts;
  StreamOptions stream;
};

// "a, b,,c" -> {"a", "b", "c"}: targets given on the command line, trimmed.
std::vector<std::string> split_targets(const std::vector<std::string>& lists) {
  std::vector<std::string> out;
  for (const auto& list : lists) {
    require_utf8(list, "--targets");
    for (size_t start = 0; start <= list.size();) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      const std::string item = list.substr(start, comma - start);
      const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
      if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
      start = comma + 1;
    }
  }
  return out;
}

int run_fill_mask(CLI::App* cmd, const FillMaskArgs& args) {
  // Everything that needs no model, first.
  out().require_open();
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  FillMaskOptions options;
  options.top_k = static_cast<int64_t>(parse_count(args.top_k, "--top-k", 0, 1000000));
  options.targets = split_targets(args.targets);
  if (!args.targets.empty() && options.targets.empty()) throw UsageError("--targets: no targets given");
  options.truncation = args.truncation;
  const std::vector<std::string>& given = args.texts;
  for (size_t i = 0; i < given.size(); ++i) require_utf8(given[i], "TEXT " + std::to_string(i + 1));
  if (!given.empty() && cmd->count("--input")) throw UsageError("give TEXT arguments or --input, not both");
  std::optional<Stream> stream;
  if (given.empty()) stream.emplace("fill-mask", args.stream);

  const auto unmasker = load_pipeline<FillMaskPipeline>("fill-mask", args.model, args.revision, load);

  if (!stream) {
    json printed = json::array();
    for (const auto& r : unmasker->fill(given, options)) printed.push_back(to_json(r));
    print_results(printed);
    return kExitOk;
  }
  StreamTask<std::string> task;
  task.parse = [](Record& record) { return record.text(); };
  task.run = [&](const std::vector<std::string>& batch) {
    std::vector<json> results;
    for (const auto& r : unmasker->fill(batch, options)) results.push_back(to_json(r));
    return results;
  };
  return stream->run(task);
}

}  // namespace

Command register_fill_mask(CLI::App& app) {
  auto args = std::make_shared<FillMaskArgs>();
  CLI::App* cmd = app.add_subcommand("fill-mask", "Predict the masked tokens ([MASK], <mask>) of texts");
  cmd->add_option("-m,--model", args->model, "Model directory or Hugging Face model id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  add_dtype(cmd, args->dtype);
  cmd->add_option("-k,--top-k", args->top_k, "Candidates per mask")->capture_default_str();
  cmd->add_option("--targets", args->targets, "Only score these tokens, separated by commas (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("--truncation", args->truncation, "Truncate texts longer than the model");
  args->stream.add_to(cmd, 8);
  add_texts(cmd, args->texts, "Texts with the mask token; none: one per line from stdin or --input");
  cmd->footer(
      "One mask gives a list of candidates {score, token, token_str, sequence}; several masks a list\n"
      "per mask. A target that is not a vocabulary entry is replaced by its first token (a warning says\n"
      "so). Texts that start with '-' go after '--'. Streaming: one JSON result per input line; a bad\n"
      "line gives {\"line\": N, \"error\": ...} and the rest goes on; the exit status is then 1.");
  return {cmd, [cmd, args] { return run_fill_mask(cmd, *args); }};
}

}  // namespace lmpipe::cli

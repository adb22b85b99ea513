// `lmpipe fill-mask`: the fill-mask pipeline on texts from the command line or stdin.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/text_inputs.h"
#include "io/hub.h"
#include "lmpipe/fill_mask.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct FillMaskArgs {
  std::string model = "distilbert/distilroberta-base";
  std::string revision = "main";
  int64_t top_k = 5;
  std::string targets;
  bool truncation = false;
  size_t batch_size = 8;
  std::vector<std::string> texts;
};

// "a, b,,c" -> {"a", "b", "c"}.
std::vector<std::string> split_targets(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

void run_fill_mask(const FillMaskArgs& args) {
  FillMaskOptions options;
  options.top_k = args.top_k;
  options.targets = split_targets(args.targets);
  if (!args.targets.empty() && options.targets.empty()) throw Error("--targets: no targets given");
  options.truncation = args.truncation;
  HubOptions hub;
  hub.revision = args.revision;
  const FillMaskPipeline unmasker(resolve_model(args.model, hub));
  if (args.texts.empty()) {
    const int rc = run_stdin_batches(args.batch_size, text_of_line, [&](const std::vector<json>& inputs) {
      std::vector<std::string> texts;
      for (const json& t : inputs) texts.push_back(t.get<std::string>());
      std::vector<json> out;
      for (const auto& r : unmasker.fill(texts, options)) out.push_back(to_json(r));
      return out;
    });
    if (rc != 0) throw CLI::RuntimeError(rc);
    return;
  }
  const auto results = unmasker.fill(args.texts, options);
  if (results.size() == 1) return print_result(to_json(results[0]));
  json out = json::array();
  for (const auto& r : results) out.push_back(to_json(r));
  print_result(out);
}

}  // namespace

void register_fill_mask(CLI::App& app) {
  auto args = std::make_shared<FillMaskArgs>();
  CLI::App* cmd = app.add_subcommand("fill-mask", "Predict the masked tokens ([MASK], <mask>) of texts");
  cmd->add_option("-m,--model", args->model, "model directory or Hub id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_option("-k,--top-k", args->top_k, "candidates per mask")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--targets", args->targets, "only score these tokens, comma-separated");
  cmd->add_flag("--truncation", args->truncation, "truncate texts longer than the model");
  cmd->add_option("--batch-size", args->batch_size, "texts per forward pass when reading stdin")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_texts_argument(*cmd, "texts with mask tokens; none: one per line (or JSONL) from stdin");
  cmd->callback([args, cmd] {
    args->texts = texts_argument(*cmd);
    run_fill_mask(*args);
  });
}

}  // namespace lmpipe::cli

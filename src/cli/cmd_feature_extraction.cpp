// `lmpipe feature-extraction`: last hidden states per token ([1][tokens][hidden] per text).
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/text_inputs.h"
#include "io/hub.h"
#include "lmpipe/feature_extraction.h"

namespace lmpipe::cli {

namespace {

struct FeatureExtractionArgs {
  std::string model = "distilbert/distilbert-base-cased";
  std::string revision = "main";
  bool truncation = false;
  size_t max_length = 0;
  size_t batch_size = 16;
  std::vector<std::string> texts;
};

void run_feature_extraction(const FeatureExtractionArgs& args) {
  FeatureExtractionOptions options;
  options.truncation = args.truncation || args.max_length > 0;
  options.max_length = args.max_length;
  HubOptions hub;
  hub.revision = args.revision;
  const FeatureExtractionPipeline extractor(resolve_model(args.model, hub));
  if (args.texts.empty()) {
    const int rc = run_stdin_batches(args.batch_size, text_of_line, [&](const std::vector<json>& inputs) {
      std::vector<std::string> texts;
      for (const json& t : inputs) texts.push_back(t.get<std::string>());
      std::vector<json> out;
      for (const auto& f : extractor.extract(texts, options)) out.push_back(to_json(f));
      return out;
    });
    if (rc != 0) throw CLI::RuntimeError(rc);
    return;
  }
  const auto features = extractor.extract(args.texts, options);
  if (features.size() == 1) return print_result(to_json(features[0]));
  json out = json::array();
  for (const auto& f : features) out.push_back(to_json(f));
  print_result(out);
}

}  // namespace

void register_feature_extraction(CLI::App& app) {
  auto args = std::make_shared<FeatureExtractionArgs>();
  CLI::App* cmd = app.add_subcommand("feature-extraction", "Last hidden state of every token of texts");
  cmd->add_option("-m,--model", args->model, "model directory or Hub id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_flag("--truncation", args->truncation, "truncate texts longer than the model (or --max-length)");
  cmd->add_option("--max-length", args->max_length, "truncate texts to this many tokens")->check(CLI::PositiveNumber);
  cmd->add_option("--batch-size", args->batch_size, "texts per forward pass when reading stdin")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_texts_argument(*cmd, "texts; none: one per line (or JSONL) from stdin");
  cmd->callback([args, cmd] {
    args->texts = texts_argument(*cmd);
    run_feature_extraction(*args);
  });
}

}  // namespace lmpipe::cli

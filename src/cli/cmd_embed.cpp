// `lmpipe embed`: sentence embeddings from a sentence-transformers repository.
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/text_inputs.h"
#include "io/hub.h"
#include "lmpipe/sentence_embeddings.h"

namespace lmpipe::cli {

namespace {

struct EmbedArgs {
  std::string model = "sentence-transformers/all-MiniLM-L6-v2";
  std::string revision = "main";
  bool no_normalize = false, normalize = false;
  std::string prompt, prompt_name;
  size_t batch_size = 32;
  std::vector<std::string> texts;
};

void run_embed(const EmbedArgs& args, const CLI::App& cmd) {
  SentenceEmbeddingOptions options;
  options.batch_size = args.batch_size;
  if (args.no_normalize) options.normalize = false;
  if (args.normalize) options.normalize = true;
  if (cmd.count("--prompt")) options.prompt = args.prompt;
  if (cmd.count("--prompt-name")) options.prompt_name = args.prompt_name;
  HubOptions hub;
  hub.revision = args.revision;
  const SentenceTransformer model(resolve_model(args.model, hub));
  if (args.texts.empty()) {
    const int rc = run_stdin_batches(args.batch_size, text_of_line, [&](const std::vector<json>& inputs) {
      std::vector<std::string> texts;
      for (const json& t : inputs) texts.push_back(t.get<std::string>());
      std::vector<json> out;
      for (auto& v : model.encode(texts, options)) out.emplace_back(std::move(v));
      return out;
    });
    if (rc != 0) throw CLI::RuntimeError(rc);
    return;
  }
  print_result(json(model.encode(args.texts, options)));
}

}  // namespace

void register_embed(CLI::App& app) {
  auto args = std::make_shared<EmbedArgs>();
  CLI::App* cmd = app.add_subcommand("embed", "Sentence embeddings (sentence-transformers models): a list of vectors");
  cmd->add_option("-m,--model", args->model, "sentence-transformers model directory or Hub id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  auto* no_normalize = cmd->add_flag("--no-normalize", args->no_normalize, "skip the model's Normalize module");
  cmd->add_flag("--normalize", args->normalize, "L2-normalize the vectors even without a Normalize module")
      ->excludes(no_normalize);
  cmd->add_option("--prompt", args->prompt, "text prepended to every input");
  cmd->add_option("--prompt-name", args->prompt_name, "a prompt of config_sentence_transformers.json");
  cmd->add_option("--batch-size", args->batch_size, "texts per forward pass")->capture_default_str()->check(CLI::PositiveNumber);
  add_texts_argument(*cmd, "texts; none: one per line (or JSONL) from stdin, one vector per line");
  cmd->callback([args, cmd] {
    args->texts = texts_argument(*cmd);
    run_embed(*args, *cmd);
  });
}

}  // namespace lmpipe::cli

// `lmpipe next-sentence TEXT PAIR`: BERT's next-sentence probabilities and logits.
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/text_inputs.h"
#include "io/hub.h"
#include "lmpipe/next_sentence.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct NextSentenceArgs {
  std::string model = "google-bert/bert-base-uncased";
  std::string revision = "main";
  size_t batch_size = 16;
  std::vector<std::string> texts;
};

// One stdin line as a pair: {"text": ..., "text_pair": ...}, ["text", "text_pair"], or the raw
// line with a tab between the two texts.
json pair_of_line(const std::string& line) {
  if (!line.empty() && (line[0] == '{' || line[0] == '[')) {
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw Error(std::string("stdin: invalid JSON line: ") + e.what());
    }
    if (j.is_object() && j.contains("text") && j.contains("text_pair") && j["text"].is_string() &&
        j["text_pair"].is_string())
      return json::array({j["text"], j["text_pair"]});
    if (j.is_array() && j.size() == 2 && j[0].is_string() && j[1].is_string()) return j;
    throw Error("stdin: a JSON line must be {\"text\": ..., \"text_pair\": ...} or [text, text_pair]");
  }
  const auto tab = line.find('\t');
  if (tab == std::string::npos) throw Error("stdin: a line must hold two texts separated by a tab (or JSON)");
  return json::array({line.substr(0, tab), line.substr(tab + 1)});
}

void run_next_sentence(const NextSentenceArgs& args) {
  if (!args.texts.empty() && args.texts.size() != 2)
    throw Error("next-sentence: give TEXT and PAIR (two texts), or none to read pairs from stdin");
  HubOptions hub;
  hub.revision = args.revision;
  const NextSentencePredictionPipeline nsp(resolve_model(args.model, hub));
  if (args.texts.empty()) {
    const int rc = run_stdin_batches(args.batch_size, pair_of_line, [&](const std::vector<json>& inputs) {
      std::vector<std::pair<std::string, std::string>> pairs;
      for (const json& p : inputs) pairs.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
      std::vector<json> out;
      for (const auto& r : nsp.predict(pairs)) out.push_back(to_json(r));
      return out;
    });
    if (rc != 0) throw CLI::RuntimeError(rc);
    return;
  }
  print_result(to_json(nsp.predict(args.texts[0], args.texts[1])));
}

}  // namespace

void register_next_sentence(CLI::App& app) {
  auto args = std::make_shared<NextSentenceArgs>();
  CLI::App* cmd = app.add_subcommand("next-sentence", "Whether PAIR follows TEXT (BERT's next-sentence head)");
  cmd->add_option("-m,--model", args->model, "model directory or Hub id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_option("--batch-size", args->batch_size, "pairs per forward pass when reading stdin")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_texts_argument(*cmd, "TEXT PAIR; none: pairs from stdin, one per line (JSONL {\"text\", \"text_pair\"} or tab-separated)");
  cmd->callback([args, cmd] {
    args->texts = texts_argument(*cmd);
    run_next_sentence(*args);
  });
}

}  // namespace lmpipe::cli

// `lmpipe next-sentence TEXT PAIR`: BERT's next-sentence probabilities and logits, or pairs
// streamed over stdin / --input (stream.h): JSONL {"text", "text_pair"}, or text lines with a tab
// between the two texts.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/stream.h"
#include "cli/terminal.h"
#include "lmpipe/next_sentence.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

using Pair = std::pair<std::string, std::string>;

struct NextSentenceArgs {
  std::string model = "google-bert/bert-base-uncased";
  std::string revision = "main";
  std::string dtype = "float32";
  std::vector<std::string> texts;
  StreamOptions stream;
};

// A record's pair: the JSONL fields text and text_pair, or a text line split at its tab.
Pair pair_of(Record& record) {
  if (const json* pair = record.field("text_pair")) {
    if (!pair->is_string()) throw Error("field 'text_pair' must be a string");
    return {record.text(), pair->get<std::string>()};
  }
  const std::string line = record.text();
  const auto tab = line.find('\t');
  if (tab == std::string::npos)
    throw Error("expected two texts separated by a tab (or JSONL {\"text\": ..., \"text_pair\": ...})");
  return {line.substr(0, tab), line.substr(tab + 1)};
}

int run_next_sentence(CLI::App* cmd, const NextSentenceArgs& args) {
  out().require_open();
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  const std::vector<std::string>& given = args.texts;
  if (!given.empty() && given.size() != 2)
    throw UsageError("give TEXT and PAIR (two texts), or none to read pairs from stdin or --input");
  for (size_t i = 0; i < given.size(); ++i) {
    const std::string what = i == 0 ? "TEXT" : "PAIR";
    require_utf8(given[i], what);
    if (given[i].empty()) throw UsageError(what + " is empty");
  }
  if (!given.empty() && cmd->count("--input")) throw UsageError("give TEXT PAIR arguments or --input, not both");
  std::optional<Stream> stream;
  if (given.empty()) stream.emplace("next-sentence", args.stream);

  const auto nsp = load_pipeline<NextSentencePredictionPipeline>("next-sentence", args.model, args.revision, load);

  if (!stream) {
    out().write(to_json(nsp->predict(given[0], given[1])).dump(2) + "\n");
    return kExitOk;
  }
  StreamTask<Pair> task;
  task.parse = pair_of;
  task.run = [&](const std::vector<Pair>& batch) {
    std::vector<json> results;
    for (const auto& r : nsp->predict(batch)) results.push_back(to_json(r));
    return results;
  };
  return stream->run(task);
}

}  // namespace

Command register_next_sentence(CLI::App& app) {
  auto args = std::make_shared<NextSentenceArgs>();
  CLI::App* cmd = app.add_subcommand("next-sentence", "Whether PAIR follows TEXT (BERT's next-sentence head)");
  cmd->add_option("-m,--model", args->model, "Model directory or Hugging Face model id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  add_dtype(cmd, args->dtype);
  args->stream.add_to(cmd, 16);
  add_texts(cmd, args->texts, "TEXT and PAIR; none: pairs from stdin or --input");
  cmd->footer(
      "Streamed pairs, one per line: JSONL {\"text\": ..., \"text_pair\": ...} (--input-format jsonl), or the\n"
      "two texts separated by a tab.\n"
      "Output: {text, text_pair, is_next, probs: [IsNext, NotNext], logits: [IsNext, NotNext]}.");
  return {cmd, [cmd, args] { return run_next_sentence(cmd, *args); }};
}

}  // namespace lmpipe::cli

// `lmpipe zero-shot`: the zero-shot-classification pipeline on texts from the command line or stdin.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "lmpipe/zero_shot.h"
#include "io/hub.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct ZeroShotArgs {
  std::string model = "facebook/bart-large-mnli";
  std::string revision = "main";
  std::string labels;
  std::string hypothesis_template = "This example is {}.";
  bool multi_label = false;
  size_t batch_size = 8;
  std::string dtype = "float32";
  std::vector<std::string> texts;
};

// One stdin line: a JSON string, a JSON object with "text" (or "sequence"), or the raw text.
std::string text_of_line(const std::string& line) {
  if (!line.empty() && (line[0] == '{' || line[0] == '"')) {
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw Error(std::string("stdin: invalid JSON line: ") + e.what());
    }
    if (j.is_string()) return j.get<std::string>();
    for (const char* key : {"text", "sequence", "sequences"})
      if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    throw Error("stdin: JSON line has no string field 'text'");
  }
  return line;
}

// True when another line can be read without waiting, so a batch can grow without stalling
// an interactive session.
bool more_input_ready() {
  if (std::cin.rdbuf()->in_avail() > 0) return true;
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0;
}

class Progress {
 public:
  Progress() : enabled_(::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}
  void add(size_t n) {
    done_ += n;
    if (!enabled_) return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%zu texts, %.2f texts/s", done_, seconds > 0 ? done_ / seconds : 0.0);
  }
  ~Progress() {
    if (enabled_ && done_ > 0) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  size_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

int run_stream(const ZeroShotClassificationPipeline& classifier, const std::vector<std::string>& labels,
               const ZeroShotOptions& options, size_t batch_size) {
  Progress progress;
  int failures = 0;
  std::string line;
  std::vector<std::string> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    try {
      for (const auto& result : classifier.classify(batch, labels, options)) std::cout << to_json(result).dump() << "\n";
    } catch (const Error& e) {
      // One bad text must not lose the others: classify them one by one.
      for (const auto& text : batch) {
        try {
          std::cout << to_json(classifier.classify(text, labels, options)).dump() << "\n";
        } catch (const Error& each) {
          std::cerr << "lmpipe: error: " << each.what() << "\n";
          std::cout << json{{"sequence", text}, {"error", each.what()}}.dump() << "\n";
          ++failures;
        }
      }
    }
    std::cout.flush();
    progress.add(batch.size());
    batch.clear();
  };
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    try {
      batch.push_back(text_of_line(line));
    } catch (const Error& e) {
      flush();
      std::cerr << "lmpipe: error: " << e.what() << "\n";
      std::cout << json{{"error", e.what()}}.dump() << "\n";
      ++failures;
      continue;
    }
    if (batch.size() >= batch_size || !more_input_ready()) flush();
  }
  flush();
  return failures == 0 ? 0 : 1;
}

}  // namespace

void register_zero_shot(CLI::App& app) {
  auto args = std::make_shared<ZeroShotArgs>();
  CLI::App* cmd = app.add_subcommand("zero-shot", "zero-shot-classification with an NLI model");
  cmd->add_option("-m,--model", args->model, "model directory or Hub id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_option("-l,--labels", args->labels, "candidate labels, comma-separated")->required();
  cmd->add_option("-t,--template", args->hypothesis_template, "hypothesis template with {} for the label")
      ->capture_default_str();
  cmd->add_flag("--multi-label", args->multi_label, "score each label independently");
  cmd->add_option("--batch-size", args->batch_size, "texts per forward pass when reading stdin")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--dtype", args->dtype, "precision of the linear layers: float32 (exact), bfloat16 or int8")
      ->capture_default_str();
  cmd->add_option("texts", args->texts, "texts to classify; none: one per line (or JSONL) from stdin");
  cmd->callback([args] {
    std::vector<std::string> labels = ZeroShotClassificationPipeline::parse_labels(args->labels);
    if (labels.empty()) throw Error("--labels: no candidate labels given");
    ZeroShotOptions options{args->hypothesis_template, args->multi_label};
    HubOptions hub;
    hub.revision = args->revision;
    LoadOptions load;
    load.dtype = parse_weight_dtype(args->dtype);
    ZeroShotClassificationPipeline classifier(resolve_model(args->model, hub), load);
    if (args->texts.empty()) {
      int rc = run_stream(classifier, labels, options, args->batch_size);
      if (rc != 0) throw CLI::RuntimeError(rc);
      return;
    }
    auto results = classifier.classify(args->texts, labels, options);
    if (results.size() == 1) {
      std::cout << to_json(results[0]).dump(2) << "\n";
    } else {
      json out = json::array();
      for (const auto& r : results) out.push_back(to_json(r));
      std::cout << out.dump(2) << "\n";
    }
  });
}

}  // namespace lmpipe::cli

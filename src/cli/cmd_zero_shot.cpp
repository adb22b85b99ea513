// `lmpipe zero-shot`: the zero-shot-classification pipeline on TEXT arguments, or streamed
// over stdin / --input (stream.h).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/stream.h"
#include "cli/terminal.h"
#include "lmpipe/zero_shot.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

struct ZeroShotArgs {
  std::string model = "facebook/bart-large-mnli";  // transformers' default for the task
  std::string revision = "main";
  std::vector<std::string> label, labels;  // --label (each one label), --labels (comma-separated)
  std::string hypothesis_template = ZeroShotOptions{}.hypothesis_template;
  bool multi_label = false;
  std::string dtype = "float32";
  std::vector<std::string> texts;
  StreamOptions stream;
};

// One streamed record: its text and the arguments of its classification.
struct Item {
  std::string text;
  std::vector<std::string> labels;
  ZeroShotOptions options;
};

// --label and --labels in the order given: each --label is one label (a Python list element),
// each --labels is split at commas (a Python string of labels).
std::vector<std::string> labels_in_order(CLI::App* cmd) {
  const CLI::Option* one = cmd->get_option("--label");
  const CLI::Option* comma = cmd->get_option("--labels");
  size_t next_one = 0, next_comma = 0;
  std::vector<std::string> labels;
  for (const CLI::Option* option : cmd->parse_order()) {
    if (option == one) {
      const std::string& label = one->results().at(next_one++);
      require_utf8(label, "--label");
      labels.push_back(label);
    } else if (option == comma) {
      const std::string& list = comma->results().at(next_comma++);
      require_utf8(list, "--labels");
      for (auto& label : ZeroShotClassificationPipeline::parse_labels(list)) labels.push_back(label);
    }
  }
  return labels;
}

// A record's candidate_labels: a list of strings, or a comma-separated string, as in Python.
std::vector<std::string> labels_of(const json& field) {
  if (field.is_string()) return ZeroShotClassificationPipeline::parse_labels(field.get<std::string>());
  std::vector<std::string> labels;
  if (field.is_array()) {
    for (const auto& label : field) {
      if (!label.is_string()) break;
      labels.push_back(label.get<std::string>());
    }
    if (labels.size() == field.size()) return labels;
  }
  throw Error("field 'candidate_labels' must be a list of strings or a comma-separated string");
}

bool same_arguments(const Item& a, const Item& b) {
  return a.labels == b.labels && a.options.hypothesis_template == b.options.hypothesis_template &&
         a.options.multi_label == b.options.multi_label;
}

int run_zero_shot(CLI::App* cmd, const ZeroShotArgs& args) {
  // Everything that needs no model, first.
  out().require_open();
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  const std::vector<std::string> labels = labels_in_order(cmd);
  require_utf8(args.hypothesis_template, "--template");
  const ZeroShotOptions options{args.hypothesis_template, args.multi_label};
  for (size_t i = 0; i < args.texts.size(); ++i) {
    require_utf8(args.texts[i], "TEXT " + std::to_string(i + 1));
    if (args.texts[i].empty())
      throw UsageError("TEXT " + std::to_string(i + 1) + " is empty (transformers: You must include at least one label "
                       "and at least one sequence.)");
  }
  if (!args.texts.empty() && cmd->count("--input")) throw UsageError("give TEXT arguments or --input, not both");
  std::optional<Stream> stream;
  if (args.texts.empty()) stream.emplace("zero-shot", args.stream);
  const bool labels_per_record = stream && stream->format() == InputFormat::Jsonl;
  if (labels.empty() && !labels_per_record)
    throw UsageError("no candidate labels: give --label LABEL (repeatable) or --labels 'a,b'" +
                     std::string(stream ? ", or candidate_labels in JSONL records (--input-format jsonl)" : ""));
  if (!labels.empty()) {
    try {
      ZeroShotClassificationPipeline::check_arguments(labels, options);
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }

  const auto classifier = load_pipeline<ZeroShotClassificationPipeline>("zero-shot", args.model, args.revision, load);
  if (!labels.empty()) {
    try {
      classifier->check_hypotheses_fit(labels, options);
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }

  if (!stream) {
    json printed = json::array();
    for (const auto& r : classifier->classify(args.texts, labels, options)) printed.push_back(to_json(r));
    print_results(printed);
    return kExitOk;
  }

  StreamTask<Item> task;
  task.parse = [&](Record& record) {
    Item item{record.text({"text", "sequences", "sequence"}), labels, options};
    if (item.text.empty())
      throw Error("empty text (transformers: You must include at least one label and at least one sequence.)");
    bool own_arguments = false;
    if (const json* field = record.field("candidate_labels")) {
      item.labels = labels_of(*field);
      own_arguments = true;
    }
    if (const json* field = record.field("hypothesis_template")) {
      if (!field->is_string()) throw Error("field 'hypothesis_template' must be a string");
      item.options.hypothesis_template = field->get<std::string>();
      own_arguments = true;
    }
    if (const json* field = record.field("multi_label")) {
      if (!field->is_boolean()) throw Error("field 'multi_label' must be true or false");
      item.options.multi_label = field->get<bool>();
    }
    if (item.labels.empty())
      throw Error("no candidate labels: give candidate_labels in the record, or --label/--labels");
    if (own_arguments) ZeroShotClassificationPipeline::check_arguments(item.labels, item.options);
    return item;
  };
  task.run = [&](const std::vector<Item>& items) {
    std::vector<json> results;
    // Consecutive records with the same labels and options classify together.
    for (size_t first = 0, end; first < items.size(); first = end) {
      std::vector<std::string> texts{items[first].text};
      for (end = first + 1; end < items.size() && same_arguments(items[end], items[first]); ++end)
        texts.push_back(items[end].text);
      for (const auto& r : classifier->classify(texts, items[first].labels, items[first].options))
        results.push_back(to_json(r));
    }
    return results;
  };
  return stream->run(task);
}

}  // namespace

Command register_zero_shot(CLI::App& app) {
  auto args = std::make_shared<ZeroShotArgs>();
  CLI::App* cmd = app.add_subcommand("zero-shot", "zero-shot-classification with an NLI model");
  cmd->add_option("-m,--model", args->model, "Model directory or Hugging Face model id")->capture_default_str();
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_option("--label", args->label, "A candidate label, as is (repeat for each label)")->allow_extra_args(false);
  cmd->add_option("-l,--labels", args->labels, "Candidate labels separated by commas, as Python splits a string")
      ->allow_extra_args(false);
  cmd->add_option("-t,--template,--hypothesis-template", args->hypothesis_template,
                  "Hypothesis template: Python's str.format with the label ({} once; {{ and }} for braces)")
      ->capture_default_str();
  cmd->add_flag("--multi-label", args->multi_label, "Score each label on its own (entailment vs contradiction)");
  add_dtype(cmd, args->dtype);
  args->stream.add_to(cmd, 8);
  cmd->add_option("texts", args->texts, "Texts to classify; none: one per line from stdin or --input");
  cmd->footer(
      "Texts that start with '-' go after '--': lmpipe zero-shot -l a,b -- '-5 degrees and snow'.\n"
      "Streaming (no TEXT): one JSON result per input line. JSONL records ({\"text\": ...}) may carry\n"
      "candidate_labels (a list, or a comma-separated string), hypothesis_template and multi_label;\n"
      "other fields (\"id\", ...) are copied to the result. A bad line gives {\"line\": N, \"error\": ...}\n"
      "and the rest goes on; the exit status is then 1.");
  return {cmd, [cmd, args] { return run_zero_shot(cmd, *args); }};
}

}  // namespace lmpipe::cli

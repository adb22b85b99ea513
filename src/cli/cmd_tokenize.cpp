// `lmpipe tokenize`: a model's tokenizer on TEXT arguments or streamed lines; one JSON encoding
// per text with the field names of transformers' BatchEncoding (input_ids, token_type_ids,
// attention_mask, special_tokens_mask, offset_mapping), then the tokens and the decoded text.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/stream.h"
#include "cli/terminal.h"
#include "io/hub.h"
#include "lmpipe/tokenizer.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe::cli {

namespace {

struct TokenizeArgs {
  std::string model;
  std::string revision = "main";
  std::string pair;
  bool no_special_tokens = false;
  std::string max_length;
  std::vector<std::string> texts;
  StreamOptions stream;
};

struct Item {
  std::string text;
  std::optional<std::string> pair;
};

// As `tokenizer(text, text_pair, return_offsets_mapping=True, return_special_tokens_mask=True)`
// prints its fields (BatchEncoding keeps this order), then convert_ids_to_tokens and decode.
json encoding_json(const Tokenizer& tok, const Encoding& e) {
  json out = json::object();
  out["input_ids"] = e.ids;
  if (tok.returns_token_type_ids()) out["token_type_ids"] = e.type_ids;
  out["attention_mask"] = e.attention_mask;
  out["special_tokens_mask"] = e.special_tokens_mask;
  json offsets = json::array();
  for (auto [start, end] : e.offsets) offsets.push_back({start, end});
  out["offset_mapping"] = std::move(offsets);
  json tokens = json::array();
  for (int32_t id : e.ids) tokens.push_back(tok.id_to_token(id).value_or(""));
  out["tokens"] = std::move(tokens);
  out["decoded"] = tok.decode(e.ids, false);
  return out;
}

int run_tokenize(CLI::App* cmd, const TokenizeArgs& args) {
  out().require_open();
  check_environment();
  if (args.model.empty()) throw UsageError("--model is required (a model or tokenizer directory, or a Hub model id)");
  EncodeOptions options;
  options.add_special_tokens = !args.no_special_tokens;
  if (cmd->count("--max-length")) {
    options.truncation = Truncation::LongestFirst;
    options.max_length = parse_count(args.max_length, "--max-length", 1, size_t{1} << 30);
  }
  std::optional<std::string> pair;
  if (cmd->count("--pair")) {
    require_utf8(args.pair, "--pair");
    pair = args.pair;
  }
  for (size_t i = 0; i < args.texts.size(); ++i) require_utf8(args.texts[i], "TEXT " + std::to_string(i + 1));
  if (!args.texts.empty() && cmd->count("--input")) throw UsageError("give TEXT arguments or --input, not both");
  std::optional<Stream> stream;
  if (args.texts.empty()) stream.emplace("tokenize", args.stream);

  HubOptions hub;
  hub.revision = args.revision;
  hub.tokenizer_only = true;
  const auto loading = std::chrono::steady_clock::now();
  const std::filesystem::path model_dir = resolve_model(args.model, hub);
  const Tokenizer tok = Tokenizer::from_dir(model_dir);
  log_info("tokenize: loaded the tokenizer of " + model_dir.string() + " in " + seconds_since(loading));

  StreamTask<Item> task;
  task.parse = [&](Record& record) {
    Item item{record.text(), pair};
    if (const json* field = record.field("text_pair")) {
      if (!field->is_string()) throw Error("field 'text_pair' must be a string");
      item.pair = field->get<std::string>();
    }
    return item;
  };
  task.run = [&](const std::vector<Item>& items) {
    std::vector<json> results;
    for (const Item& item : items) {
      Encoding e = item.pair ? tok.encode_pair(item.text, *item.pair, options) : tok.encode(item.text, options);
      results.push_back(encoding_json(tok, e));
    }
    return results;
  };
  if (stream) return stream->run(task);
  for (const auto& text : args.texts) out().write(task.run({Item{text, pair}}).at(0).dump() + "\n");
  return kExitOk;
}

}  // namespace

Command register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Tokenize texts with a model's tokenizer");
  cmd->add_option("-m,--model", args->model,
                  "Model or tokenizer directory (tokenizer.json or legacy vocabulary files), or Hugging Face model id");
  cmd->add_option("--revision", args->revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_option("--pair", args->pair, "Second sequence of a pair (JSONL records: \"text_pair\")");
  cmd->add_flag("--no-special-tokens", args->no_special_tokens, "Do not add the post-processor's special tokens");
  cmd->add_option("--max-length", args->max_length, "Truncate (longest_first) to this many tokens");
  args->stream.add_to(cmd, 64);
  cmd->add_option("texts", args->texts, "Texts to tokenize; none: one per line from stdin or --input");
  cmd->footer("Texts that start with '-' go after '--'. One JSON encoding per text, one per line.");
  return {cmd, [cmd, args] { return run_tokenize(cmd, *args); }};
}

}  // namespace lmpipe::cli

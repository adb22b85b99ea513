// `lmpipe tokenize --model DIR [--pair TEXT] TEXT`: prints the encoding as JSON, with the
// field names of transformers' BatchEncoding.
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "lmpipe/tokenizer.h"
#include "util/json.h"

namespace lmpipe::cli {

namespace {

struct TokenizeArgs {
  std::string model;
  std::string text;
  std::string pair;
  bool has_pair = false;
  bool no_special_tokens = false;
  size_t max_length = 0;
};

void run_tokenize(const TokenizeArgs& args) {
  Tokenizer tok = Tokenizer::from_dir(args.model);
  EncodeOptions options;
  options.add_special_tokens = !args.no_special_tokens;
  if (args.max_length > 0) {
    options.truncation = Truncation::LongestFirst;
    options.max_length = args.max_length;
  }
  Encoding e = args.has_pair ? tok.encode_pair(args.text, args.pair, options) : tok.encode(args.text, options);
  json out;
  out["input_ids"] = e.ids;
  if (tok.returns_token_type_ids()) out["token_type_ids"] = e.type_ids;
  out["attention_mask"] = e.attention_mask;
  json tokens = json::array();
  for (int32_t id : e.ids) tokens.push_back(tok.id_to_token(id).value_or(""));
  out["tokens"] = tokens;
  json offsets = json::array();
  for (auto [s, t] : e.offsets) offsets.push_back({s, t});
  out["offsets"] = offsets;
  out["special_tokens_mask"] = e.special_tokens_mask;
  out["decoded"] = tok.decode(e.ids, false);
  std::cout << out.dump() << "\n";
}

}  // namespace

void register_tokenize(CLI::App& app) {
  auto args = std::make_shared<TokenizeArgs>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Tokenize TEXT (and --pair) with the tokenizer of a model directory");
  cmd->add_option("--model", args->model, "Model or tokenizer directory (tokenizer.json or legacy vocabulary files)")->required();
  cmd->add_option("--pair", args->pair, "Second sequence of a pair");
  cmd->add_flag("--no-special-tokens", args->no_special_tokens, "Do not add the post-processor's special tokens");
  cmd->add_option("--max-length", args->max_length, "Truncate (longest_first) to this many tokens");
  cmd->add_option("text", args->text, "Text to tokenize")->required();
  cmd->callback([args, cmd] {
    args->has_pair = cmd->count("--pair") > 0;
    run_tokenize(*args);
  });
}

}  // namespace lmpipe::cli

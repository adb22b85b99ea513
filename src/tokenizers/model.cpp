// The "model" object of tokenizer.json -> Model (HF tokenizers' ModelWrapper deserialization).
#include "tokenizers/model.h"

#include "tokenizers/bpe.h"
#include "tokenizers/unigram.h"
#include "tokenizers/wordpiece.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

std::optional<std::string> optional_string(const json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw Error(where + "." + key + " must be a string");
  return it->get<std::string>();
}

bool is_index(const json& j) { return j.is_number_integer() && (j.is_number_unsigned() || j.get<int64_t>() >= 0); }

bool get_bool(const json& j, const char* key, bool fallback, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw Error(where + "." + key + " must be a boolean");
  return it->get<bool>();
}

std::vector<std::pair<std::string, uint32_t>> vocab_map(const json& model, const std::string& where) {
  const json& v = json_field(model, "vocab", where);
  if (!v.is_object()) throw Error(where + ".vocab must be an object of token -> id");
  std::vector<std::pair<std::string, uint32_t>> out;
  out.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!is_index(*it)) throw Error(where + ".vocab['" + it.key() + "'] must be a non-negative integer id");
    out.emplace_back(it.key(), it->get<uint32_t>());
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> bpe_merges(const json& model, const std::string& where) {
  const json& m = json_field(model, "merges", where);
  if (!m.is_array()) throw Error(where + ".merges must be an array");
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(m.size());
  for (size_t i = 0; i < m.size(); ++i) {
    const json& e = m[i];
    if (e.is_string()) {
      // Legacy "a b": exactly two parts separated by one space.
      const std::string& line = e.get_ref<const std::string&>();
      size_t sp = line.find(' ');
      if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
        throw Error(where + ".merges[" + std::to_string(i) + "] '" + line + "' is not two tokens separated by a space");
      out.emplace_back(line.substr(0, sp), line.substr(sp + 1));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      out.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      throw Error(where + ".merges[" + std::to_string(i) + "] must be \"a b\" or [\"a\", \"b\"]");
    }
  }
  return out;
}

std::unique_ptr<Model> bpe_from_json(const json& model, const std::string& where) {
  if (auto it = model.find("dropout"); it != model.end() && !it->is_null()) {
    if (!it->is_number()) throw Error(where + ".dropout must be a number or null");
    double p = it->get<double>();
    if (p < 0 || p > 1) throw Error(where + ".dropout must be in [0, 1]");
    if (p > 0) throw Error(where + ".dropout > 0 (BPE-dropout, a training-time option) is not supported");
  }
  BpeOptions opt;
  opt.unk_token = optional_string(model, "unk_token", where);
  opt.continuing_subword_prefix = optional_string(model, "continuing_subword_prefix", where);
  opt.end_of_word_suffix = optional_string(model, "end_of_word_suffix", where);
  opt.fuse_unk = get_bool(model, "fuse_unk", false, where);
  opt.byte_fallback = get_bool(model, "byte_fallback", false, where);
  opt.ignore_merges = get_bool(model, "ignore_merges", false, where);
  return std::make_unique<Bpe>(vocab_map(model, where), bpe_merges(model, where), std::move(opt), where);
}

std::unique_ptr<Model> wordpiece_from_json(const json& model, const std::string& where) {
  WordPieceOptions opt;
  if (auto s = optional_string(model, "unk_token", where)) opt.unk_token = *s;
  if (auto s = optional_string(model, "continuing_subword_prefix", where)) opt.continuing_subword_prefix = *s;
  if (auto it = model.find("max_input_chars_per_word"); it != model.end() && !it->is_null()) {
    if (!is_index(*it)) throw Error(where + ".max_input_chars_per_word must be a non-negative integer");
    opt.max_input_chars_per_word = it->get<size_t>();
  }
  return std::make_unique<WordPiece>(vocab_map(model, where), std::move(opt));
}

std::unique_ptr<Model> wordlevel_from_json(const json& model, const std::string& where) {
  std::string unk = optional_string(model, "unk_token", where).value_or("<unk>");
  return std::make_unique<WordLevel>(vocab_map(model, where), std::move(unk));
}

std::unique_ptr<Model> unigram_from_json(const json& model, const std::string& where) {
  const json& v = json_field(model, "vocab", where);
  if (!v.is_array()) throw Error(where + ".vocab must be an array of [piece, score]");
  std::vector<std::pair<std::string, double>> pieces;
  pieces.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    const json& e = v[i];
    if (!e.is_array() || e.size() != 2 || !e[0].is_string() || !e[1].is_number())
      throw Error(where + ".vocab[" + std::to_string(i) + "] must be [piece, score]");
    pieces.emplace_back(e[0].get<std::string>(), e[1].get<double>());
  }
  std::optional<uint32_t> unk_id;
  if (auto it = model.find("unk_id"); it != model.end() && !it->is_null()) {
    if (!is_index(*it)) throw Error(where + ".unk_id must be a non-negative integer or null");
    unk_id = it->get<uint32_t>();
  }
  return std::make_unique<Unigram>(std::move(pieces), unk_id, get_bool(model, "byte_fallback", false, where), where);
}

}  // namespace

std::unique_ptr<Model> model_from_json(const json& model, const std::string& where) {
  const std::string here = where + ": model";
  if (!model.is_object()) throw Error(here + " must be an object");
  std::string type;
  if (auto it = model.find("type"); it != model.end()) {
    if (!it->is_string()) throw Error(here + ".type must be a string");
    type = it->get<std::string>();
  } else {
    // Files written before "type" was serialized: guess from the fields, as HF's untagged
    // deserialization does.
    if (model.contains("merges")) type = "BPE";
    else if (model.contains("max_input_chars_per_word")) type = "WordPiece";
    else if (model.contains("vocab") && model["vocab"].is_array()) type = "Unigram";
    else type = "WordLevel";
  }
  if (type == "BPE") return bpe_from_json(model, here);
  if (type == "WordPiece") return wordpiece_from_json(model, here);
  if (type == "Unigram") return unigram_from_json(model, here);
  if (type == "WordLevel") return wordlevel_from_json(model, here);
  throw Error(here + ".type '" + type + "' is not supported");
}

}  // namespace lmpipe::tok

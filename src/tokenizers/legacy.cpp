// Legacy vocabulary files -> tokenizer.json, as transformers 5 builds it: the pipelines of its
// GPT2/Roberta/Bert/T5/DebertaV2/XLMRoberta tokenizer classes (tokenization_*.py) over the vocabulary
// read the way convert_slow_tokenizer.py reads it.
#include "tokenizers/legacy.h"

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <unordered_map>

#include "util/error.h"
#include "util/mapped_file.h"

namespace lmpipe::tok {

namespace fs = std::filesystem;

namespace {

const char* const kMetaspace = "\xE2\x96\x81";  // ▁

struct Settings {
  fs::path dir;
  json config;  // tokenizer_config.json, completed by special_tokens_map.json (empty object when absent)
  const std::string where;
  json added_tokens_file = json::object();  // added_tokens.json: token -> id

  // The AddedToken dict a special-token setting gives for `content`, if any (its flags apply).
  const json* token_dict(const std::string& content) const {
    for (const auto& [key, value] : config.items())
      if (value.is_object() && value.contains("content") && value["content"] == content && key.size() > 6 &&
          key.compare(key.size() - 6, 6, "_token") == 0)
        return &value;
    return nullptr;
  }

  // A special token setting: a string, or an AddedToken dict {"content": ...}; null -> nullopt.
  std::optional<std::string> token(const char* key, std::optional<std::string> fallback) const {
    auto it = config.find(key);
    if (it == config.end()) return fallback;
    if (it->is_null()) return std::nullopt;
    if (it->is_string()) return it->get<std::string>();
    if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
    throw Error(where + ": field '" + key + "' must be a string or {\"content\": ...}");
  }
  bool flag(const char* key, bool fallback) const {
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) throw Error(where + ": field '" + key + "' must be a boolean");
    return it->get<bool>();
  }
  std::vector<std::string> token_list(const char* key) const {
    std::vector<std::string> out;
    auto it = config.find(key);
    if (it == config.end() || it->is_null()) return out;
    if (!it->is_array()) throw Error(where + ": field '" + key + "' must be a list");
    for (const json& t : *it) {
      if (t.is_string()) out.push_back(t.get<std::string>());
      else if (t.is_object() && t.contains("content")) out.push_back(t["content"].get<std::string>());
      else throw Error(where + ": field '" + key + "' must list strings");
    }
    return out;
  }
};

json added_token(int64_t id, const std::string& content) {
  return {{"id", id},           {"content", content}, {"single_word", false}, {"lstrip", false},
          {"rstrip", false},     {"normalized", false}, {"special", true}};
}

// added_tokens: tokenizer_config's added_tokens_decoder (with its flags) plus the special tokens
// it names; a token outside the model vocabulary gets the next free id. Sorted by id.
json added_tokens(const Settings& s, const std::vector<std::string>& specials,
                  const std::function<std::optional<int64_t>(const std::string&)>& vocab_id, int64_t vocab_size) {
  std::map<int64_t, json> by_id;
  std::map<std::string, int64_t> by_content;
  if (auto it = s.config.find("added_tokens_decoder"); it != s.config.end() && it->is_object()) {
    for (auto e = it->begin(); e != it->end(); ++e) {
      int64_t id;
      try {
        id = std::stoll(e.key());
      } catch (const std::exception&) {
        throw Error(s.where + ": added_tokens_decoder key '" + e.key() + "' is not an id");
      }
      const json& v = e.value();
      json t = added_token(id, json_get<std::string>(v, "content", s.where + ": added_tokens_decoder." + e.key()));
      for (const char* flag : {"single_word", "lstrip", "rstrip", "normalized", "special"})
        if (v.contains(flag) && v[flag].is_boolean()) t[flag] = v[flag];
      by_content[t["content"].get<std::string>()] = id;
      by_id[id] = std::move(t);
    }
  }
  // added_tokens.json (older saves): non-special tokens are normalized, as transformers adds them.
  for (const auto& [content, id_value] : s.added_tokens_file.items()) {
    if (by_content.count(content)) continue;
    if (!id_value.is_number_integer()) throw Error((s.dir / "added_tokens.json").string() + ": the id of '" + content + "' is not an integer");
    int64_t id = id_value.get<int64_t>();
    json t = added_token(id, content);
    bool special = std::find(specials.begin(), specials.end(), content) != specials.end();
    t["special"] = special;
    t["normalized"] = !special;
    by_content[content] = id;
    by_id[id] = std::move(t);
  }
  int64_t next = vocab_size;
  for (const auto& [id, t] : by_id) next = std::max(next, id + 1);
  for (const std::string& content : specials) {
    if (by_content.count(content)) continue;
    auto id = vocab_id(content);
    int64_t chosen = id ? *id : next++;
    json t = added_token(chosen, content);
    if (const json* dict = s.token_dict(content))
      for (const char* flag : {"single_word", "lstrip", "rstrip", "normalized"})
        if (dict->contains(flag) && (*dict)[flag].is_boolean()) t[flag] = (*dict)[flag];
    by_content[content] = chosen;
    by_id[chosen] = std::move(t);
  }
  json out = json::array();
  for (auto& [id, t] : by_id) out.push_back(std::move(t));
  return out;
}

std::vector<std::string> special_tokens(const Settings& s, const std::vector<std::pair<const char*, std::optional<std::string>>>& named) {
  std::vector<std::string> out;
  for (const auto& [key, fallback] : named)
    if (auto t = s.token(key, fallback)) out.push_back(*t);
  for (const char* key : {"additional_special_tokens", "extra_special_tokens"})
    for (std::string& t : s.token_list(key)) out.push_back(std::move(t));
  return out;
}

json piece(const char* kind, const std::string& id, int type_id) { return {{kind, {{"id", id}, {"type_id", type_id}}}}; }

// TemplateProcessing from "$A"/"$B"/token[:type] strings, as tokenizers' Template parser.
json template_processing(const std::vector<std::string>& single, const std::vector<std::string>& pair,
                         const std::vector<std::pair<std::string, int64_t>>& tokens) {
  auto parse = [](const std::vector<std::string>& items) {
    json out = json::array();
    for (const std::string& item : items) {
      size_t colon = item.rfind(':');
      std::string name = item;
      int type_id = 0;
      if (colon != std::string::npos && colon > 0) {
        name = item.substr(0, colon);
        type_id = std::stoi(item.substr(colon + 1));
      }
      if (name == "$A" || name == "$B") out.push_back(piece("Sequence", name.substr(1), type_id));
      else out.push_back(piece("SpecialToken", name, type_id));
    }
    return out;
  };
  json special = json::object();
  for (const auto& [token, id] : tokens) special[token] = {{"id", token}, {"ids", {id}}, {"tokens", {token}}};
  return {{"type", "TemplateProcessing"}, {"single", parse(single)}, {"pair", parse(pair)}, {"special_tokens", special}};
}

json metaspace(const std::string& prepend_scheme) {
  return {{"type", "Metaspace"}, {"replacement", kMetaspace}, {"prepend_scheme", prepend_scheme}, {"split", true}};
}

json tokenizer_json(json normalizer, json pre_tokenizer, json model, json post_processor, json decoder, json added) {
  return {{"version", "1.0"},           {"truncation", nullptr},  {"padding", nullptr}, {"added_tokens", std::move(added)},
          {"normalizer", std::move(normalizer)}, {"pre_tokenizer", std::move(pre_tokenizer)}, {"post_processor", std::move(post_processor)},
          {"decoder", std::move(decoder)}, {"model", std::move(model)}};
}

int64_t require_id(const std::optional<int64_t>& id, const std::string& token, const std::string& where) {
  if (!id) throw Error(where + ": special token '" + token + "' is not in the vocabulary");
  return *id;
}

// ---- byte-level BPE: vocab.json + merges.txt ----

json byte_level_bpe(const Settings& s, bool roberta) {
  const fs::path vocab_path = s.dir / "vocab.json", merges_path = s.dir / "merges.txt";
  json vocab = read_json_file(vocab_path);
  if (!vocab.is_object()) throw Error(vocab_path.string() + ": expected an object of token -> id");
  for (auto it = vocab.begin(); it != vocab.end(); ++it)
    if (!it->is_number_integer()) throw Error(vocab_path.string() + ": the id of '" + it.key() + "' is not an integer");
  json merges = json::array();
  std::istringstream lines(read_text_file(merges_path));
  std::string line;
  for (size_t n = 1; std::getline(lines, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.rfind("#version", 0) == 0) continue;
    size_t sp = line.find(' ');
    if (sp == std::string::npos || line.find(' ', sp + 1) != std::string::npos)
      throw Error(merges_path.string() + ": line " + std::to_string(n) + " is not two tokens separated by a space");
    merges.push_back({line.substr(0, sp), line.substr(sp + 1)});
  }
  const bool add_prefix_space = s.flag("add_prefix_space", false);
  json model = {{"type", "BPE"},         {"dropout", nullptr},     {"unk_token", nullptr},   {"continuing_subword_prefix", ""},
                {"end_of_word_suffix", ""}, {"fuse_unk", false},     {"byte_fallback", false}, {"ignore_merges", false},
                {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};
  const json& model_vocab = model["vocab"];
  auto id_of = [&](const std::string& t) -> std::optional<int64_t> {
    auto it = model_vocab.find(t);
    return it == model_vocab.end() ? std::nullopt : std::optional<int64_t>(it->get<int64_t>());
  };
  json pre = {{"type", "ByteLevel"}, {"add_prefix_space", add_prefix_space}, {"trim_offsets", true}, {"use_regex", true}};
  json decoder = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  json post;
  std::vector<std::string> specials;
  if (roberta) {
    specials = special_tokens(s, {{"bos_token", "<s>"}, {"pad_token", "<pad>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"},
                                  {"sep_token", "</s>"}, {"cls_token", "<s>"}, {"mask_token", "<mask>"}});
    std::string sep = s.token("sep_token", "</s>").value_or("</s>"), cls = s.token("cls_token", "<s>").value_or("<s>");
    post = {{"type", "RobertaProcessing"},
            {"sep", {sep, require_id(id_of(sep), sep, s.where)}},
            {"cls", {cls, require_id(id_of(cls), cls, s.where)}},
            {"trim_offsets", s.flag("trim_offsets", true)},
            {"add_prefix_space", add_prefix_space}};
  } else {
    specials = special_tokens(s, {{"bos_token", "<|endoftext|>"}, {"eos_token", "<|endoftext|>"}, {"unk_token", "<|endoftext|>"},
                                  {"pad_token", std::nullopt}});
    if (s.flag("add_bos_token", false))
      throw Error(s.where + ": add_bos_token=true is not supported for the legacy GPT-2 files (convert to tokenizer.json)");
    post = template_processing({"$A:0"}, {"$A:0", "$B:1"}, {});
  }
  json added = added_tokens(s, specials, id_of, static_cast<int64_t>(model_vocab.size()));
  return tokenizer_json(nullptr, std::move(pre), std::move(model), std::move(post), std::move(decoder), std::move(added));
}

// ---- WordPiece: vocab.txt ----

json wordpiece(const Settings& s) {
  const fs::path path = s.dir / "vocab.txt";
  json vocab = json::object();
  std::unordered_map<std::string, size_t> position;  // of each token in `vocab`
  std::istringstream lines(read_text_file(path));
  std::string line;
  for (int64_t index = 0; std::getline(lines, line); ++index) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // A repeated token keeps its last line, as transformers' load_vocab (a dict) does.
    auto [it, added] = position.emplace(line, position.size());
    if (added) json_append_unique(vocab, line, index);
    else (vocab.get_ref<json::object_t&>().begin() + static_cast<std::ptrdiff_t>(it->second))->second = index;
  }
  auto id_of = [&](const std::string& t) -> std::optional<int64_t> {
    auto it = vocab.find(t);
    return it == vocab.end() ? std::nullopt : std::optional<int64_t>(it->get<int64_t>());
  };
  std::string unk = s.token("unk_token", "[UNK]").value_or("[UNK]");
  std::string cls = s.token("cls_token", "[CLS]").value_or("[CLS]"), sep = s.token("sep_token", "[SEP]").value_or("[SEP]");
  json strip_accents = nullptr;
  if (auto it = s.config.find("strip_accents"); it != s.config.end() && !it->is_null()) strip_accents = s.flag("strip_accents", false);
  json normalizer = {{"type", "BertNormalizer"},
                     {"clean_text", true},
                     {"handle_chinese_chars", s.flag("tokenize_chinese_chars", true)},
                     {"strip_accents", strip_accents},
                     {"lowercase", s.flag("do_lower_case", true)}};
  json post = template_processing({cls + ":0", "$A:0", sep + ":0"}, {cls + ":0", "$A:0", sep + ":0", "$B:1", sep + ":1"},
                                  {{cls, require_id(id_of(cls), cls, s.where)}, {sep, require_id(id_of(sep), sep, s.where)}});
  std::vector<std::string> specials = special_tokens(
      s, {{"pad_token", "[PAD]"}, {"unk_token", "[UNK]"}, {"cls_token", "[CLS]"}, {"sep_token", "[SEP]"}, {"mask_token", "[MASK]"}});
  json added = added_tokens(s, specials, id_of, static_cast<int64_t>(vocab.size()));
  json model = {{"type", "WordPiece"}, {"unk_token", unk}, {"continuing_subword_prefix", "##"}, {"max_input_chars_per_word", 100},
                {"vocab", std::move(vocab)}};
  return tokenizer_json(std::move(normalizer), {{"type", "BertPreTokenizer"}}, std::move(model), std::move(post),
                        {{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}, std::move(added));
}

// ---- SentencePiece Unigram: spiece.model / spm.model / sentencepiece.bpe.model ----

struct UnigramVocab {
  json pieces = json::array();
  std::map<std::string, int64_t> ids;  // last id of each piece, as tokenizers' token -> id map
  void add(const std::string& p, double score) {
    ids[p] = static_cast<int64_t>(pieces.size());
    pieces.push_back({p, score});
  }
  std::optional<int64_t> id(const std::string& p) const {
    auto it = ids.find(p);
    return it == ids.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
};

json unigram_model(const UnigramVocab& v, int64_t unk_id) {
  return {{"type", "Unigram"}, {"unk_id", unk_id}, {"vocab", v.pieces}, {"byte_fallback", false}};
}

json precompiled(const SpmModel& m) {
  if (m.precompiled_charsmap.empty()) return nullptr;
  return {{"type", "Precompiled"}, {"precompiled_charsmap", base64_encode(m.precompiled_charsmap)}};
}

json t5(const Settings& s, const fs::path& model_path) {
  SpmModel m = read_spm_model(model_path);
  UnigramVocab v;
  for (const auto& p : m.pieces) v.add(p.piece, p.score);
  int64_t extra_ids = 100;
  if (auto it = s.config.find("extra_ids"); it != s.config.end() && it->is_number_integer()) extra_ids = it->get<int64_t>();
  for (int64_t i = extra_ids - 1; i >= 0; --i) v.add("<extra_id_" + std::to_string(i) + ">", 0.0);
  std::string unk = s.token("unk_token", "<unk>").value_or("<unk>"), eos = s.token("eos_token", "</s>").value_or("</s>");
  int64_t unk_id = v.id(unk).value_or(m.unk_id);
  std::vector<std::string> specials = special_tokens(s, {{"eos_token", "</s>"}, {"unk_token", "<unk>"}, {"pad_token", "<pad>"}});
  for (int64_t i = 0; i < extra_ids; ++i) specials.push_back("<extra_id_" + std::to_string(i) + ">");
  json post = template_processing({"$A:0", eos + ":0"}, {"$A:0", eos + ":0", "$B:0", eos + ":0"},
                                  {{eos, require_id(v.id(eos), eos, s.where)}});
  json added = added_tokens(s, specials, [&](const std::string& t) { return v.id(t); }, static_cast<int64_t>(v.pieces.size()));
  json pre = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}}, metaspace("always")}}};
  return tokenizer_json(precompiled(m), std::move(pre), unigram_model(v, unk_id), std::move(post), metaspace("always"), std::move(added));
}

json deberta_v2(const Settings& s, const fs::path& model_path) {
  SpmModel m = read_spm_model(model_path);
  UnigramVocab v;
  for (const auto& p : m.pieces) v.add(p.piece, p.score);
  std::string unk = s.token("unk_token", "[UNK]").value_or("[UNK]");
  std::string cls = s.token("cls_token", "[CLS]").value_or("[CLS]"), sep = s.token("sep_token", "[SEP]").value_or("[SEP]");
  // transformers: the index of (unk_token, 0.0) in the vocabulary, else the configured unk_id.
  std::optional<int64_t> unk_id;
  for (size_t i = 0; i < m.pieces.size() && !unk_id; ++i)
    if (m.pieces[i].piece == unk && m.pieces[i].score == 0.0f) unk_id = static_cast<int64_t>(i);
  if (!unk_id) unk_id = json_get_or<int64_t>(s.config, "unk_id", 1);
  json normalizers = json::array();
  if (s.flag("do_lower_case", false)) normalizers.push_back({{"type", "Lowercase"}});
  normalizers.push_back({{"type", "Replace"}, {"pattern", {{"Regex", "\\s{2,}|[\\n\\r\\t]"}}}, {"content", " "}});
  normalizers.push_back({{"type", "NFC"}});
  normalizers.push_back({{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}});
  const std::string scheme = s.flag("add_prefix_space", true) ? "always" : "first";
  json pretokenizers = json::array();
  if (s.flag("split_by_punct", false)) pretokenizers.push_back({{"type", "Punctuation"}, {"behavior", "Isolated"}});
  pretokenizers.push_back(metaspace(scheme));
  json post = template_processing({cls + ":0", "$A:0", sep + ":0"}, {cls + ":0", "$A:0", sep + ":0", "$B:1", sep + ":1"},
                                  {{cls, require_id(v.id(cls), cls, s.where)}, {sep, require_id(v.id(sep), sep, s.where)}});
  std::vector<std::string> specials =
      special_tokens(s, {{"bos_token", "[CLS]"}, {"eos_token", "[SEP]"}, {"unk_token", "[UNK]"}, {"sep_token", "[SEP]"},
                         {"pad_token", "[PAD]"}, {"cls_token", "[CLS]"}, {"mask_token", "[MASK]"}});
  json added = added_tokens(s, specials, [&](const std::string& t) { return v.id(t); }, static_cast<int64_t>(v.pieces.size()));
  return tokenizer_json({{"type", "Sequence"}, {"normalizers", std::move(normalizers)}},
                        {{"type", "Sequence"}, {"pretokenizers", std::move(pretokenizers)}}, unigram_model(v, *unk_id), std::move(post),
                        metaspace(scheme), std::move(added));
}

// fairseq's dictionary: <s> <pad> </s> <unk>, then the SentencePiece pieces after its own first
// three (<unk> <s> </s>), so every piece id is shifted by one; <mask> comes last.
json xlm_roberta(const Settings& s, const fs::path& model_path) {
  SpmModel m = read_spm_model(model_path);
  if (m.pieces.size() < 3) throw Error(model_path.string() + ": fewer than 3 pieces");
  UnigramVocab v;
  for (const char* t : {"<s>", "<pad>", "</s>", "<unk>"}) v.add(t, 0.0);
  for (size_t i = 3; i < m.pieces.size(); ++i) v.add(m.pieces[i].piece, m.pieces[i].score);
  v.add("<mask>", 0.0);
  std::string bos = s.token("bos_token", "<s>").value_or("<s>"), eos = s.token("eos_token", "</s>").value_or("</s>");
  const std::string scheme = s.flag("add_prefix_space", true) ? "always" : "never";
  json pre = {{"type", "Sequence"}, {"pretokenizers", {{{"type", "WhitespaceSplit"}}, metaspace(scheme)}}};
  json post = template_processing({bos + ":0", "$A:0", eos + ":0"}, {bos + ":0", "$A:0", eos + ":0", eos + ":0", "$B:0", eos + ":0"},
                                  {{eos, require_id(v.id(eos), eos, s.where)}, {bos, require_id(v.id(bos), bos, s.where)}});
  std::vector<std::string> specials =
      special_tokens(s, {{"bos_token", "<s>"}, {"pad_token", "<pad>"}, {"eos_token", "</s>"}, {"unk_token", "<unk>"},
                         {"sep_token", "</s>"}, {"cls_token", "<s>"}, {"mask_token", "<mask>"}});
  json added = added_tokens(s, specials, [&](const std::string& t) { return v.id(t); }, static_cast<int64_t>(v.pieces.size()));
  json normalizer = precompiled(m);
  if (normalizer.is_null())
    normalizer = {{"type", "Sequence"},
                  {"normalizers",
                   {{{"type", "Strip"}, {"strip_left", false}, {"strip_right", true}},
                    {{"type", "Replace"}, {"pattern", {{"Regex", " {2,}"}}}, {"content", kMetaspace}}}}};
  return tokenizer_json(std::move(normalizer), std::move(pre), unigram_model(v, 3), std::move(post), metaspace(scheme), std::move(added));
}

std::string strip_fast(std::string cls) {
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  return cls;
}

}  // namespace

std::optional<json> legacy_tokenizer_json(const fs::path& dir) {
  const bool has_bpe = fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt");
  const bool has_wordpiece = fs::exists(dir / "vocab.txt");
  const bool has_spiece = fs::exists(dir / "spiece.model"), has_spm = fs::exists(dir / "spm.model");
  const bool has_xlmr = fs::exists(dir / "sentencepiece.bpe.model");
  if (!has_bpe && !has_wordpiece && !has_spiece && !has_spm && !has_xlmr) return std::nullopt;

  const fs::path config_path = dir / "tokenizer_config.json";
  Settings s{dir, fs::exists(config_path) ? read_json_file(config_path) : json::object(), config_path.string()};
  if (!s.config.is_object()) throw Error(s.where + ": expected a JSON object");
  // Older saves keep the special tokens in special_tokens_map.json and extra ids in added_tokens.json.
  if (fs::path map_path = dir / "special_tokens_map.json"; fs::exists(map_path)) {
    json map = read_json_file(map_path);
    if (!map.is_object()) throw Error(map_path.string() + ": expected a JSON object");
    for (const auto& [key, value] : map.items())
      if (!s.config.contains(key)) s.config[key] = value;
  }
  if (fs::path added_path = dir / "added_tokens.json"; fs::exists(added_path)) {
    s.added_tokens_file = read_json_file(added_path);
    if (!s.added_tokens_file.is_object()) throw Error(added_path.string() + ": expected an object of token -> id");
  }

  std::string cls = strip_fast(json_get_or<std::string>(s.config, "tokenizer_class", ""));
  if (cls.empty() && fs::exists(dir / "config.json")) {
    static const std::map<std::string, std::string> kByModelType = {
        {"gpt2", "GPT2Tokenizer"},          {"roberta", "RobertaTokenizer"},    {"bart", "BartTokenizer"},
        {"bert", "BertTokenizer"},          {"distilbert", "DistilBertTokenizer"}, {"t5", "T5Tokenizer"},
        {"deberta-v2", "DebertaV2Tokenizer"}, {"xlm-roberta", "XLMRobertaTokenizer"}};
    auto it = kByModelType.find(json_get_or<std::string>(read_json_file(dir / "config.json"), "model_type", ""));
    if (it != kByModelType.end()) cls = it->second;
  }
  if (cls.empty()) {
    if (has_spiece) cls = "T5Tokenizer";
    else if (has_spm) cls = "DebertaV2Tokenizer";
    else if (has_xlmr) cls = "XLMRobertaTokenizer";
    else if (has_wordpiece) cls = "BertTokenizer";
    else cls = "GPT2Tokenizer";
  }

  auto need = [&](bool present, const char* files) {
    if (!present) throw Error(dir.string() + ": " + cls + " needs " + files + " (or a tokenizer.json)");
  };
  if (cls == "GPT2Tokenizer" || cls == "RobertaTokenizer" || cls == "BartTokenizer") {
    need(has_bpe, "vocab.json and merges.txt");
    return byte_level_bpe(s, cls != "GPT2Tokenizer");
  }
  if (cls == "BertTokenizer" || cls == "DistilBertTokenizer") {
    need(has_wordpiece, "vocab.txt");
    return wordpiece(s);
  }
  if (cls == "T5Tokenizer") {
    need(has_spiece, "spiece.model");
    return t5(s, dir / "spiece.model");
  }
  if (cls == "DebertaV2Tokenizer") {
    need(has_spm, "spm.model");
    return deberta_v2(s, dir / "spm.model");
  }
  if (cls == "XLMRobertaTokenizer") {
    need(has_xlmr, "sentencepiece.bpe.model");
    return xlm_roberta(s, dir / "sentencepiece.bpe.model");
  }
  throw Error(s.where + ": tokenizer_class '" + cls + "' has no legacy-file converter; a tokenizer.json is needed");
}

}  // namespace lmpipe::tok

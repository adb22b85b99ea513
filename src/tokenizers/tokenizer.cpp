// lmpipe::Tokenizer: the tokenizer.json pipeline (HF tokenizers' tokenizer/mod.rs:
// encode_single_sequence, post_process, decode) with transformers' tokenizer_config.json settings.
#include "lmpipe/tokenizer.h"

#include <exception>
#include <filesystem>

#include "tokenizers/added_vocabulary.h"
#include "tokenizers/decoder.h"
#include "tokenizers/encoding_ops.h"
#include "tokenizers/legacy.h"
#include "tokenizers/model.h"
#include "tokenizers/normalizer.h"
#include "tokenizers/post_processor.h"
#include "tokenizers/pre_tokenizer.h"
#include "tokenizers/tokenizer_config.h"
#include "tokenizers/unicode.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe {

namespace fs = std::filesystem;

struct Tokenizer::Impl {
  std::unique_ptr<tok::Normalizer> normalizer;
  std::unique_ptr<tok::PreTokenizer> pre_tokenizer;
  std::unique_ptr<tok::Model> model;
  std::unique_ptr<tok::PostProcessor> post_processor;
  std::unique_ptr<tok::Decoder> decoder;
  tok::AddedVocabulary added;
  tok::TokenizerSettings settings;
  std::optional<int32_t> pad_id;
  std::string pad_token;

  Impl(const json& tokenizer_json, const std::string& where, const json& config, const std::string& config_where);
  // Stops tokenizing pieces once `token_limit` tokens are reached (HF 0.23's truncation early exit).
  Encoding encode_sequence(std::string_view text, int32_t type_id, size_t token_limit) const;
  Encoding encode(std::string_view a, const std::string_view* b, const EncodeOptions& o) const;
  std::optional<int32_t> token_to_id(std::string_view token) const;
};

Tokenizer::Impl::Impl(const json& tj, const std::string& where, const json& config, const std::string& config_where)
try {
  if (!tj.is_object()) throw Error(where + ": expected a JSON object");
  normalizer = tok::normalizer_from_json(json_get_or<json>(tj, "normalizer", json()), where + ": normalizer");
  pre_tokenizer = tok::pre_tokenizer_from_json(json_get_or<json>(tj, "pre_tokenizer", json()), where + ": pre_tokenizer");
  model = tok::model_from_json(json_field(tj, "model", where), where + ": model");
  post_processor = tok::post_processor_from_json(json_get_or<json>(tj, "post_processor", json()), where + ": post_processor");
  json dec = json_get_or<json>(tj, "decoder", json());
  if (!dec.is_null()) decoder = tok::decoder_from_json(dec, where + ": decoder");
  added = tok::AddedVocabulary(tok::added_tokens_from_json(json_get_or<json>(tj, "added_tokens", json()), where + ": added_tokens"),
                               normalizer.get());
  settings = tok::settings_from_config(config, config_where);
  // The pad token: tokenizer_config.json's (or its class default's) when in the vocabulary, else
  // tokenizer.json's padding settings.
  if (settings.pad_token) {
    pad_token = *settings.pad_token;
    pad_id = token_to_id(pad_token);
  }
  if (!pad_id && tj.contains("padding") && tj["padding"].is_object()) {
    const json& p = tj["padding"];
    pad_token = json_get_or<std::string>(p, "pad_token", "");
    if (p.contains("pad_id") && p["pad_id"].is_number_integer()) pad_id = p["pad_id"].get<int32_t>();
  }
} catch (const json::exception& e) {
  // A field of the wrong JSON type read without json_get (e.g. a string where a bool belongs).
  throw Error(where + ": invalid field value: " + e.what());
}

std::optional<int32_t> Tokenizer::Impl::token_to_id(std::string_view token) const {
  if (auto id = added.token_to_id(token)) return static_cast<int32_t>(*id);
  if (auto id = model->token_to_id(token)) return static_cast<int32_t>(*id);
  return std::nullopt;
}

namespace {

// Byte offsets -> code point offsets (HF's BytesToCharOffsetConverter, quirks included: a start
// past the end keeps the byte offsets).
class CharOffsets {
 public:
  explicit CharOffsets(std::string_view text) : size_(text.size()) {
    bool ascii = true;
    for (unsigned char c : text) ascii &= c < 0x80;
    if (ascii) return;
    map_.resize(text.size());
    size_t ci = 0;
    for (size_t i = 0; i < text.size(); ++ci) {
      size_t len;
      tok::decode_utf8(text, i, len);
      for (size_t k = 0; k < len; ++k) map_[i + k] = ci;
      i += len;
    }
  }
  std::pair<size_t, size_t> convert(size_t start, size_t end) const {
    if (map_.empty() || start >= size_) return {start, end};
    size_t s = map_[start];
    if (end < size_) return {s, map_[end]};
    size_t last = end >= 1 && end - 1 < size_ ? map_[end - 1] : s + 1;
    return {s, last + 1};
  }

 private:
  size_t size_;
  std::vector<size_t> map_;
};

}  // namespace

Encoding Tokenizer::Impl::encode_sequence(std::string_view text, int32_t type_id, size_t token_limit) const {
  size_t bad = tok::find_invalid_utf8(text);
  if (bad != std::string_view::npos) throw Error("tokenizer: input text is not valid UTF-8 (byte " + std::to_string(bad) + ")");
  tok::PreTokenizedString pts = added.extract_and_normalize(text, normalizer.get());
  if (pre_tokenizer) pre_tokenizer->pre_tokenize(pts);
  CharOffsets chars(text);
  Encoding e;
  // Most pieces are one token: room for that plus some, so the vectors rarely grow.
  size_t expected = pts.splits.size() + pts.splits.size() / 4;
  e.ids.reserve(expected);
  e.tokens.reserve(expected);
  e.offsets.reserve(expected);
  thread_local std::vector<tok::Token> piece_tokens;
  for (auto& split : pts.splits) {
    if (e.ids.size() >= token_limit) {
      e.truncated = true;  // pieces are left that truncation would drop anyway
      break;
    }
    std::vector<tok::Token>* tokens = &piece_tokens;
    if (split.tokens) {
      tokens = &*split.tokens;  // an added token, matched before the model
    } else {
      piece_tokens.clear();
      model->tokenize(split.normalized.get(), piece_tokens);
    }
    for (auto& t : *tokens) {
      auto [bs, be] = split.normalized.to_original(t.start, t.end);
      e.ids.push_back(static_cast<int32_t>(t.id));
      e.tokens.push_back(std::move(t.value));
      e.offsets.push_back(chars.convert(bs, be));
    }
  }
  size_t n = e.ids.size();
  e.type_ids.assign(n, type_id);
  e.special_tokens_mask.assign(n, 0);
  e.attention_mask.assign(n, 1);
  e.sequence_ids.assign(n, 0);
  return e;
}

Encoding Tokenizer::Impl::encode(std::string_view a, const std::string_view* b, const EncodeOptions& o) const {
  size_t limit = SIZE_MAX;
  if (o.truncation != Truncation::None) limit = o.max_length ? o.max_length : settings.model_max_length;
  Encoding first = encode_sequence(a, 0, limit);
  std::optional<Encoding> second;
  if (b) second = encode_sequence(*b, 1, limit);
  if (o.truncation != Truncation::None) {
    size_t max_length = o.max_length ? o.max_length : settings.model_max_length;
    size_t added_tokens = o.add_special_tokens && post_processor ? post_processor->added_tokens(b != nullptr) : 0;
    max_length = max_length > added_tokens ? max_length - added_tokens : 0;
    tok::truncate_encodings(first, second ? &*second : nullptr, o.truncation, max_length);
  }
  return tok::post_process(post_processor.get(), std::move(first), second ? &*second : nullptr, o.add_special_tokens);
}

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::from_file(const fs::path& tokenizer_json) {
  json tj = read_json_file(tokenizer_json);
  return Tokenizer(std::make_unique<Impl>(tj, tokenizer_json.string(), json::object(), "tokenizer_config.json"));
}

namespace {

// transformers takes the mask and pad tokens from tokenizer_config.json, else
// special_tokens_map.json, else the tokenizer class's defaults: completes `config`
// (tokenizer_config.json) the same way.
void complete_special_tokens(json& config, const fs::path& dir) {
  if (!config.is_object()) return;
  json map = json::object();
  if (const fs::path map_path = dir / "special_tokens_map.json"; fs::exists(map_path)) map = read_json_file(map_path);
  std::string model_type;
  if (const fs::path model_config = dir / "config.json"; fs::exists(model_config))
    model_type = json_get_or<std::string>(read_json_file(model_config), "model_type", "");
  for (const char* key : {"mask_token", "pad_token"}) {
    if (config.contains(key)) continue;  // null too: "none", as the file says
    if (map.is_object() && tok::config_token(map, key)) {
      config[key] = map[key];
    } else if (auto token = tok::default_special_token(key, json_get_or<std::string>(config, "tokenizer_class", ""), model_type)) {
      config[key] = *token;
    }
  }
}

}  // namespace

Tokenizer Tokenizer::from_dir(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw Error(dir.string() + ": not a tokenizer directory");
  fs::path config_path = dir / "tokenizer_config.json";
  json config = fs::exists(config_path) ? read_json_file(config_path) : json::object();
  complete_special_tokens(config, dir);
  fs::path tj_path = dir / "tokenizer.json";
  if (!fs::exists(tj_path)) {
    std::optional<json> converted = tok::legacy_tokenizer_json(dir);
    if (!converted) throw Error(tj_path.string() + ": missing, and no legacy vocabulary files to convert");
    return Tokenizer(std::make_unique<Impl>(*converted, dir.string() + " (converted legacy files)", config, config_path.string()));
  }
  json tj = read_json_file(tj_path);
  return Tokenizer(std::make_unique<Impl>(tj, tj_path.string(), config, config_path.string()));
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  return impl_->encode(text, nullptr, options);
}

Encoding Tokenizer::encode_pair(std::string_view text, std::string_view text_pair, const EncodeOptions& options) const {
  return impl_->encode(text, &text_pair, options);
}

namespace {

// Runs fn(i) for i in [0, n) on OpenMP threads; rethrows the first exception.
template <typename Fn>
void parallel_for(size_t n, Fn&& fn) {
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 4) if (n > 1)
  for (size_t i = 0; i < n; ++i) {
    try {
      fn(i);
    } catch (...) {
#pragma omp critical
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts, const EncodeOptions& options) const {
  std::vector<Encoding> out(texts.size());
  parallel_for(texts.size(), [&](size_t i) { out[i] = impl_->encode(texts[i], nullptr, options); });
  return out;
}

std::vector<Encoding> Tokenizer::encode_pair_batch(const std::vector<std::pair<std::string, std::string>>& pairs,
                                                   const EncodeOptions& options) const {
  std::vector<Encoding> out(pairs.size());
  parallel_for(pairs.size(), [&](size_t i) {
    std::string_view b = pairs[i].second;
    out[i] = impl_->encode(pairs[i].first, &b, options);
  });
  return out;
}

void Tokenizer::pad(std::vector<Encoding>& batch, std::optional<PaddingSide> side, size_t length) const {
  size_t target = length;
  for (const auto& e : batch) target = std::max(target, e.size());
  bool needed = false;
  for (const auto& e : batch) needed |= e.size() < target;
  if (!needed) return;
  if (!impl_->pad_id) throw Error("tokenizer: cannot pad, the tokenizer has no pad token");
  PaddingSide s = side.value_or(impl_->settings.padding_side);
  for (auto& e : batch) tok::pad_encoding(e, target, s, *impl_->pad_id, 0, impl_->pad_token);
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0) continue;
    std::optional<std::string> token;
    if (const auto* t = impl_->added.by_id(static_cast<uint32_t>(id))) token = t->content;
    else token = impl_->model->id_to_token(static_cast<uint32_t>(id));
    if (!token) continue;
    if (skip_special_tokens && impl_->added.is_special(*token)) continue;
    tokens.push_back(std::move(*token));
  }
  std::string text;
  if (impl_->decoder) {
    text = impl_->decoder->decode(std::move(tokens));
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  }
  if (impl_->settings.clean_up_tokenization_spaces) text = tok::clean_up_tokenization(std::move(text));
  return text;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const { return impl_->token_to_id(token); }

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (id < 0) return std::nullopt;
  if (const auto* t = impl_->added.by_id(static_cast<uint32_t>(id))) return t->content;
  return impl_->model->id_to_token(static_cast<uint32_t>(id));
}

size_t Tokenizer::vocab_size() const {
  size_t n = impl_->model->vocab_size();
  for (const auto& t : impl_->added.tokens())
    if (!impl_->model->id_to_token(t.id)) ++n;
  return n;
}

size_t Tokenizer::model_max_length() const { return impl_->settings.model_max_length; }

std::optional<std::string> Tokenizer::mask_token() const {
  if (!impl_->settings.mask_token || !token_to_id(*impl_->settings.mask_token)) return std::nullopt;
  return impl_->settings.mask_token;
}

std::optional<int32_t> Tokenizer::mask_token_id() const {
  return impl_->settings.mask_token ? token_to_id(*impl_->settings.mask_token) : std::nullopt;
}

bool Tokenizer::is_special_id(int32_t id) const {
  const auto* token = id < 0 ? nullptr : impl_->added.by_id(static_cast<uint32_t>(id));
  return token && impl_->added.is_special(token->content);
}
std::optional<int32_t> Tokenizer::pad_token_id() const { return impl_->pad_id; }
bool Tokenizer::returns_token_type_ids() const { return impl_->settings.returns_token_type_ids; }

}  // namespace lmpipe

// SentenceTransformer as sentence-transformers builds it from a repository (v5
// SentenceTransformer._load_sbert_model / _load_auto_model / encode, models/Transformer.py; v6
// base/model.py, base/modules/transformer.py). Text handling follows v6 (the version the goldens
// come from): sentences are not stripped; do_lower_case lowercases them as a Lowercase normalizer
// would. Batches are packed (no padding), so weightedmean's positions and cls/lasttoken do not
// depend on which sentences share a batch.
#include "lmpipe/sentence_embeddings.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "lmpipe/tokenizer.h"
#include "models/model.h"
#include "pipelines/batching.h"
#include "pipelines/sentence_modules.h"
#include "tokenizers/unicode.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

namespace lmpipe {

namespace fs = std::filesystem;

namespace {

// Transformer.load_config: the first of these present in the module's folder.
const char* const kSentenceConfigFiles[] = {
    "sentence_bert_config.json",      "sentence_roberta_config.json", "sentence_distilbert_config.json",
    "sentence_camembert_config.json", "sentence_albert_config.json",  "sentence_xlm-roberta_config.json",
    "sentence_xlnet_config.json"};

// A module type of modules.json, v5 ("sentence_transformers.models.Pooling") or v6
// ("sentence_transformers.sentence_transformer.modules.pooling.Pooling") spelling: its class name.
// Types outside sentence_transformers are custom code (trust_remote_code) and not supported.
std::string module_class(const std::string& type, const std::string& where) {
  const auto dot = type.rfind('.');
  const std::string name = dot == std::string::npos ? type : type.substr(dot + 1);
  if (type.rfind("sentence_transformers.", 0) != 0 ||
      (name != "Transformer" && name != "Pooling" && name != "Dense" && name != "Normalize"))
    throw Error(where + ": module type '" + type +
                "' is not supported (supported: sentence_transformers Transformer, Pooling, Dense, Normalize)");
  return name;
}

// Python's str.lower as a Lowercase normalizer applies it (Rust char::to_lowercase).
std::string lowercase(const std::string& text) {
  if (tok::find_invalid_utf8(text) != std::string::npos) throw Error("sentence embeddings: text is not valid UTF-8");
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    size_t len = 0;
    tok::append_lowercase(out, tok::decode_utf8(text, i, len));
    i += len;
  }
  return out;
}

// v6 names what the Transformer runs and returns: only the bare model's last_hidden_state as
// token_embeddings is a sentence embedding model (a "fill-mask" task is a sparse encoder, a
// "sequence-classification" one a cross-encoder); anything else fails instead of pooling the wrong tensor.
void check_token_embeddings(const json& config, const std::string& where) {
  const std::string task = json_get_or<std::string>(config, "transformer_task", "feature-extraction");
  if (task != "feature-extraction")
    throw Error(where + ": transformer_task '" + task + "' is not supported (sentence embeddings need 'feature-extraction')");
  const std::string output = json_get_or<std::string>(config, "module_output_name", "token_embeddings");
  if (output != "token_embeddings")
    throw Error(where + ": module_output_name '" + output + "' is not supported (only 'token_embeddings')");
  auto modality = config.find("modality_config");
  if (modality == config.end() || modality->is_null()) return;
  if (!modality->is_object()) throw Error(where + ": modality_config must be an object");
  for (const auto& [name, settings] : modality->items()) {
    if (name != "text")
      throw Error(where + ": modality_config '" + name + "' is not supported (lmpipe embeds text only)");
    const std::string method = json_get_or<std::string>(settings, "method", "forward");
    const std::string result = json_get_or<std::string>(settings, "method_output_name", "last_hidden_state");
    if (method != "forward" || result != "last_hidden_state")
      throw Error(where + ": modality_config.text (" + method + " -> " + result +
                  ") is not supported (only forward -> last_hidden_state)");
  }
}

}  // namespace

struct SentenceTransformer::Impl {
  // One module after Pooling: a Dense layer, or Normalize when `dense` is null.
  struct Step {
    std::unique_ptr<st::Dense> dense;
  };

  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<TokenEncoder> model;
  size_t max_seq_length = 0;
  bool do_lower_case = false;
  st::Pooling pooling;
  std::vector<Step> steps;
  int64_t dimension = 0;
  std::map<std::string, std::string> prompts;
  std::optional<std::string> default_prompt_name;
  std::string similarity_fn_name = "cosine";

  void load_transformer(const fs::path& dir, const LoadOptions& options);
  void load_settings(const fs::path& dir);
  std::string prompt_of(const SentenceEmbeddingOptions& options) const;
  int64_t prompt_length(const std::string& prompt) const;
};

// Transformer.__init__ / load: the model, its tokenizer and sentence_bert_config.json.
void SentenceTransformer::Impl::load_transformer(const fs::path& dir, const LoadOptions& options) {
  tokenizer = std::make_unique<Tokenizer>(Tokenizer::from_dir(dir));
  model = load_encoder(dir, options);
  std::optional<int64_t> configured;
  for (const char* name : kSentenceConfigFiles) {
    const fs::path file = dir / name;
    if (!fs::exists(file)) continue;
    const json config = read_json_file(file);
    if (!config.is_object()) throw Error(file.string() + ": expected a JSON object");
    if (config.empty()) continue;
    if (config.contains("max_seq_length") && !config["max_seq_length"].is_null())
      configured = json_get<int64_t>(config, "max_seq_length", file.string());
    do_lower_case = json_get_or<bool>(config, "do_lower_case", false);
    if (configured && *configured <= 0) throw Error(file.string() + ": max_seq_length must be positive");
    check_token_embeddings(config, file.string());
    break;
  }
  // Given: the tokenizer's limit; else min(max_position_embeddings, model_max_length). Never
  // more than the position embeddings hold.
  max_seq_length = configured ? std::min<size_t>(static_cast<size_t>(*configured), static_cast<size_t>(model->max_positions()))
                              : truncation_length(*tokenizer, model->max_positions());
}

// config_sentence_transformers.json: prompts, default_prompt_name, similarity_fn_name.
void SentenceTransformer::Impl::load_settings(const fs::path& dir) {
  const fs::path file = dir / "config_sentence_transformers.json";
  if (!fs::exists(file)) return;
  const std::string where = file.string();
  const json config = read_json_file(file);
  if (!config.is_object()) throw Error(where + ": expected a JSON object");
  if (auto it = config.find("prompts"); it != config.end() && !it->is_null()) {
    if (!it->is_object()) throw Error(where + ": prompts must be an object of name -> text");
    for (const auto& [name, text] : it->items()) {
      if (!text.is_string()) throw Error(where + ": prompts['" + name + "'] must be a string");
      prompts[name] = text.get<std::string>();
    }
  }
  if (auto it = config.find("default_prompt_name"); it != config.end() && !it->is_null()) {
    if (!it->is_string()) throw Error(where + ": default_prompt_name must be a string");
    default_prompt_name = it->get<std::string>();
    if (!prompts.count(*default_prompt_name))
      throw Error(where + ": default_prompt_name '" + *default_prompt_name + "' is not in prompts");
  }
  similarity_fn_name = json_get_or<std::string>(config, "similarity_fn_name", "cosine");
  if (similarity_fn_name != "cosine" && similarity_fn_name != "dot" && similarity_fn_name != "euclidean" &&
      similarity_fn_name != "manhattan")
    throw Error(where + ": similarity_fn_name '" + similarity_fn_name +
                "' is not supported (supported: cosine, dot, euclidean, manhattan)");
}

SentenceTransformer::SentenceTransformer(const fs::path& model_dir, const LoadOptions& options) : impl_(new Impl) {
  Impl& m = *impl_;
  const fs::path modules_file = model_dir / "modules.json";
  if (!fs::exists(modules_file)) {
    // _load_auto_model: a plain transformers model gets mean pooling.
    log_warning("No sentence-transformers model found in " + model_dir.string() + " (no modules.json). Creating one with mean pooling.");
    m.load_transformer(model_dir, options);
  } else {
    const std::string where = modules_file.string();
    const json modules = read_json_file(modules_file);
    if (!modules.is_array() || modules.empty()) throw Error(where + ": expected a non-empty list of modules");
    for (size_t i = 0; i < modules.size(); ++i) {
      const json& module = modules[i];
      const std::string entry = where + ": module " + std::to_string(i);
      if (!module.is_object()) throw Error(entry + ": expected an object");
      const std::string type = module_class(json_get<std::string>(module, "type", entry), entry);
      const fs::path dir = model_dir / json_get_or<std::string>(module, "path", "");
      // The chain we run: Transformer, Pooling, then Dense / Normalize modules.
      const std::string expected = i == 0 ? "Transformer" : i == 1 ? "Pooling" : "";
      if (!expected.empty() && type != expected)
        throw Error(entry + ": expected the " + expected + " module here, got " + type +
                    " (supported chain: Transformer, Pooling, then Dense / Normalize)");
      if (type == "Transformer") {
        if (i != 0) throw Error(entry + ": a second Transformer module is not supported");
        m.load_transformer(dir, options);
      } else if (type == "Pooling") {
        if (i != 1) throw Error(entry + ": Pooling must follow the Transformer");
        m.pooling = st::Pooling::load(dir);
      } else if (type == "Dense") {
        m.steps.push_back({std::make_unique<st::Dense>(st::Dense::load(dir))});
      } else {
        m.steps.push_back({nullptr});
      }
    }
    if (modules.size() < 2) throw Error(where + ": no Pooling module after the Transformer");
  }
  m.load_settings(model_dir);
  m.dimension = m.pooling.output_dimension(m.model->hidden_size());
  for (const auto& step : m.steps) {
    if (!step.dense) continue;
    if (step.dense->in_features != m.dimension)
      throw Error(model_dir.string() + ": a Dense module takes " + std::to_string(step.dense->in_features) +
                  " features, but its input has " + std::to_string(m.dimension));
    m.dimension = step.dense->out_features;
  }
}

SentenceTransformer::~SentenceTransformer() = default;

int64_t SentenceTransformer::dimension() const { return impl_->dimension; }
size_t SentenceTransformer::max_seq_length() const { return impl_->max_seq_length; }
const std::string& SentenceTransformer::similarity_fn_name() const { return impl_->similarity_fn_name; }

std::string SentenceTransformer::Impl::prompt_of(const SentenceEmbeddingOptions& options) const {
  if (options.prompt) return *options.prompt;
  const std::optional<std::string>& name = options.prompt_name ? options.prompt_name : default_prompt_name;
  if (!name) return "";
  auto it = prompts.find(*name);
  if (it == prompts.end()) {
    std::string known;
    for (const auto& [n, _] : prompts) known += (known.empty() ? "" : ", ") + n;
    throw Error("sentence embeddings: prompt_name '" + *name + "' is not in config_sentence_transformers.json's prompts (" +
                (known.empty() ? "none" : known) + ")");
  }
  return it->second;
}

// _get_prompt_length: the prompt's tokens alone, less a closing special token ([SEP]).
int64_t SentenceTransformer::Impl::prompt_length(const std::string& prompt) const {
  const Encoding e = tokenizer->encode(do_lower_case ? lowercase(prompt) : prompt);
  int64_t n = static_cast<int64_t>(e.ids.size());
  if (n > 0 && tokenizer->is_special_id(e.ids.back())) --n;
  return n;
}

std::vector<std::vector<float>> SentenceTransformer::encode(const std::vector<std::string>& sentences,
                                                            const SentenceEmbeddingOptions& options) const {
  const Impl& m = *impl_;
  if (options.batch_size == 0) throw Error("sentence embeddings: batch_size must be positive");
  const std::string prompt = m.prompt_of(options);
  const int64_t prompt_length = prompt.empty() || m.pooling.include_prompt ? 0 : m.prompt_length(prompt);
  std::vector<std::string> texts;
  texts.reserve(sentences.size());
  for (const auto& s : sentences) texts.push_back(m.do_lower_case ? lowercase(prompt + s) : prompt + s);
  EncodeOptions encode;
  encode.truncation = Truncation::LongestFirst;
  encode.max_length = m.max_seq_length;
  std::vector<Encoding> encodings = m.tokenizer->encode_batch(texts, encode);

  // Longest first, as sentence-transformers orders them, its batches consecutive runs of that order.
  std::vector<size_t> order(texts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return encodings[a].size() > encodings[b].size(); });

  const int64_t H = m.model->hidden_size();
  std::vector<std::vector<float>> out(texts.size());
  run_batches(order.size(), options.batch_size, m.model->encodes_concurrently(), [&](size_t begin, size_t end) {
    const std::vector<size_t> members(order.begin() + static_cast<std::ptrdiff_t>(begin),
                                      order.begin() + static_cast<std::ptrdiff_t>(end));  // indices into texts
    std::vector<const Encoding*> chunk;
    for (size_t i : members) chunk.push_back(&encodings[i]);
    const PackedBatch batch = make_packed_batch(chunk, *m.tokenizer);
    const Tensor hidden = m.model->encode_packed(batch);
    // Pooling, then the Dense / Normalize modules on the whole batch.
    const int64_t rows = static_cast<int64_t>(members.size());
    std::vector<float> x;
    x.reserve(static_cast<size_t>(rows * m.pooling.output_dimension(H)));
    for (int64_t r = 0; r < rows; ++r)
      m.pooling.forward(hidden.data() + batch.offsets[r] * H, batch.length(r), H, prompt_length, x);
    int64_t dim = m.pooling.output_dimension(H);
    for (const auto& step : m.steps) {
      if (step.dense) {
        x = step.dense->forward(x, rows);
        dim = step.dense->out_features;
      } else if (options.normalize.value_or(true)) {
        st::normalize_rows(x.data(), rows, dim);
      }
    }
    const int64_t keep = options.truncate_dim > 0 ? std::min<int64_t>(dim, static_cast<int64_t>(options.truncate_dim)) : dim;
    for (int64_t r = 0; r < rows; ++r) {
      std::vector<float>& v = out[members[r]];
      v.assign(x.begin() + r * dim, x.begin() + r * dim + keep);
      if (options.normalize.value_or(false)) st::normalize_rows(v.data(), 1, keep);
    }
  });
  return out;
}

std::vector<float> SentenceTransformer::encode(const std::string& sentence, const SentenceEmbeddingOptions& options) const {
  return encode(std::vector<std::string>{sentence}, options).front();
}

float cos_sim(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size())
    throw Error("cos_sim: vectors of different sizes (" + std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")");
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    na += static_cast<double>(a[i]) * a[i];
    nb += static_cast<double>(b[i]) * b[i];
  }
  return static_cast<float>(dot / (std::max(std::sqrt(na), 1e-12) * std::max(std::sqrt(nb), 1e-12)));
}

std::vector<std::vector<float>> SentenceTransformer::similarity(const std::vector<std::vector<float>>& a,
                                                                const std::vector<std::vector<float>>& b) const {
  const std::string& fn = impl_->similarity_fn_name;
  std::vector<std::vector<float>> scores(a.size(), std::vector<float>(b.size()));
  for (size_t i = 0; i < a.size(); ++i)
    for (size_t j = 0; j < b.size(); ++j) {
      if (a[i].size() != b[j].size()) throw Error("similarity: embeddings of different sizes");
      if (fn == "cosine") {
        scores[i][j] = cos_sim(a[i], b[j]);
        continue;
      }
      double s = 0;
      for (size_t k = 0; k < a[i].size(); ++k) {
        const double d = static_cast<double>(a[i][k]) - b[j][k];
        s += fn == "dot" ? static_cast<double>(a[i][k]) * b[j][k] : fn == "euclidean" ? d * d : std::abs(d);
      }
      scores[i][j] = static_cast<float>(fn == "dot" ? s : fn == "euclidean" ? -std::sqrt(s) : -s);
    }
  return scores;
}

json SentenceTransformer::operator()(const json& inputs, const json& kwargs) const {
  if (!kwargs.is_object()) throw Error("sentence embeddings: keyword arguments must be an object");
  SentenceEmbeddingOptions options;
  for (const auto& [key, value] : kwargs.items()) {
    if (key == "batch_size" || key == "truncate_dim") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0)
        throw Error("sentence embeddings: " + key + " must be a non-negative integer");
      (key == "batch_size" ? options.batch_size : options.truncate_dim) = value.get<size_t>();
    } else if (key == "prompt" || key == "prompt_name") {
      if (value.is_null()) continue;
      if (!value.is_string()) throw Error("sentence embeddings: " + key + " must be a string");
      (key == "prompt" ? options.prompt : options.prompt_name) = value.get<std::string>();
    } else if (key == "normalize_embeddings") {
      if (!value.is_boolean()) throw Error("sentence embeddings: normalize_embeddings must be a boolean");
      if (value.get<bool>()) options.normalize = true;
    } else {
      throw Error("sentence embeddings: unknown keyword argument '" + key +
                  "' (supported: batch_size, prompt, prompt_name, normalize_embeddings, truncate_dim)");
    }
  }
  if (inputs.is_string()) return encode(inputs.get<std::string>(), options);
  if (!inputs.is_array()) throw Error("sentence embeddings: inputs must be a string or a list of strings");
  std::vector<std::string> sentences;
  for (const auto& s : inputs) {
    if (!s.is_string()) throw Error("sentence embeddings: inputs must be strings");
    sentences.push_back(s.get<std::string>());
  }
  return encode(sentences, options);
}

}  // namespace lmpipe

// Port of transformers/models/distilbert/modeling_distilbert.py (v5), inference only (dropout is identity).
#include "models/distilbert.h"

#include <cmath>
#include <cstring>

#include "io/checkpoint.h"
#include "models/families.h"
#include "util/error.h"

namespace lmpipe {

namespace {
// DistilBERT's LayerNorms all use eps=1e-12.
constexpr float kLayerNormEps = 1e-12f;

// create_sinusoidal_embeddings: sin on even columns, cos on odd, computed in double like numpy.
Tensor sinusoidal_embeddings(int64_t positions, int64_t dim) {
  Tensor out = Tensor::empty({positions, dim});
  for (int64_t pos = 0; pos < positions; ++pos)
    for (int64_t j = 0; j < dim; ++j) {
      const double angle = static_cast<double>(pos) / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / dim);
      out.data()[pos * dim + j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  return out;
}
}  // namespace

// DistilBertConfig
DistilBertConfig DistilBertConfig::from_config(const ModelConfig& config) {
  const std::string where = config.file().string();
  DistilBertConfig c;
  c.vocab_size = nn::config_dim(config, "vocab_size");
  c.dim = nn::config_dim(config, "dim");
  c.n_layers = nn::config_dim(config, "n_layers");
  c.n_heads = nn::config_dim(config, "n_heads");
  c.hidden_dim = nn::config_dim(config, "hidden_dim");
  c.max_position_embeddings = nn::config_dim(config, "max_position_embeddings");
  c.activation = nn::config_activation(config, "activation", "gelu");
  c.sinusoidal_pos_embds = config.get_or<bool>("sinusoidal_pos_embds", false);
  c.tie_word_embeddings = config.get_or<bool>("tie_word_embeddings", true);
  if (c.dim % c.n_heads != 0)
    throw Error(where + ": dim " + std::to_string(c.dim) + " is not divisible by n_heads " + std::to_string(c.n_heads));
  return c;
}

// DistilBertModel.__init__ (Embeddings, Transformer)
DistilBertModel::DistilBertModel(const DistilBertConfig& config, const nn::Weights& distilbert) : config_(config) {
  const int64_t d = config.dim;
  const nn::Weights embeddings = distilbert["embeddings"];
  word_embeddings_ = nn::Embedding::load_word_embeddings(embeddings["word_embeddings"], config.vocab_size, d);
  // Sinusoidal tables are usually saved too; the formula covers checkpoints that left them out.
  if (config.sinusoidal_pos_embds && !embeddings["position_embeddings"].has("weight"))
    position_embeddings_.weight = sinusoidal_embeddings(config.max_position_embeddings, d);
  else
    position_embeddings_ = nn::Embedding::load(embeddings["position_embeddings"], config.max_position_embeddings, d);
  embeddings_norm_ = nn::LayerNorm::load(embeddings["LayerNorm"], d, kLayerNormEps);
  for (int64_t i = 0; i < config.n_layers; ++i) {
    const nn::Weights w = distilbert["transformer.layer." + std::to_string(i)];
    // TransformerBlock: MultiHeadSelfAttention, sa_layer_norm, FFN, output_layer_norm.
    nn::EncoderLayer l;
    l.qkv = nn::load_fused_linear({w["attention.q_lin"], w["attention.k_lin"], w["attention.v_lin"]}, d, d);
    l.attention_output = nn::load_linear(w["attention.out_lin"], d, d);
    l.attention_norm = nn::LayerNorm::load(w["sa_layer_norm"], d, kLayerNormEps);
    l.intermediate = nn::load_linear(w["ffn.lin1"], config.hidden_dim, d);
    l.output = nn::load_linear(w["ffn.lin2"], d, config.hidden_dim);
    l.output_norm = nn::LayerNorm::load(w["output_layer_norm"], d, kLayerNormEps);
    layers_.push_back(std::move(l));
  }
}

nn::Weights DistilBertModel::base_weights(const nn::Weights& root) {
  const nn::Weights base = root["distilbert"];
  return base["embeddings.word_embeddings"].has("weight") ? base : root;
}

std::unique_ptr<DistilBertModel> DistilBertModel::load(const std::filesystem::path& dir, const ModelConfig& config) {
  const DistilBertConfig distilbert = DistilBertConfig::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::make_unique<DistilBertModel>(distilbert, base_weights(nn::Weights(checkpoint, "", config.load_options())));
}

Tensor DistilBertModel::encode(const Batch& batch) const { return encode(batch, *scratch_.take()); }

Tensor DistilBertModel::encode_packed(const PackedBatch& batch) const { return encode(batch, *scratch_.take()); }

// Embeddings.forward + Transformer.forward over n tokens whose position ids are in s.positions.
void DistilBertModel::run(const int32_t* ids, int64_t n, const nn::SequenceLayout& seqs, DistilBertScratch& s,
                          float* h) const {
  word_embeddings_.lookup(ids, n, h, 1.0f, "distilbert: input_ids");
  position_embeddings_.add_lookup(s.positions.data(), n, h, "distilbert: position ids");
  embeddings_norm_(h, n);
  for (const nn::EncoderLayer& layer : layers_) layer.forward(h, seqs, config_.n_heads, config_.activation, s);
}

void DistilBertModel::check_length(int64_t T) const {
  if (T > config_.max_position_embeddings)
    throw Error("distilbert: " + std::to_string(T) + " tokens exceed max_position_embeddings " +
                std::to_string(config_.max_position_embeddings) + " (config.json)");
}

Tensor DistilBertModel::encode(const Batch& batch, DistilBertScratch& s) const {
  nn::check_batch(batch, "distilbert");
  const int64_t B = batch.batch, T = batch.seq_len, d = config_.dim, rows = B * T;
  check_length(T);
  s.positions.resize(static_cast<size_t>(rows));
  for (int64_t i = 0; i < rows; ++i) s.positions[i] = static_cast<int32_t>(i % T);
  Tensor hidden = Tensor::empty({B, T, d});
  run(batch.input_ids.data(), rows, nn::SequenceLayout::padded(batch), s, hidden.data());
  return hidden;
}

Tensor DistilBertModel::encode(const PackedBatch& batch, DistilBertScratch& s) const {
  nn::check_packed(batch, "distilbert");
  const int64_t n = batch.tokens();
  s.positions.resize(static_cast<size_t>(n));
  for (int64_t b = 0; b < batch.batch(); ++b) {
    check_length(batch.length(b));
    for (int64_t t = 0; t < batch.length(b); ++t) s.positions[batch.offsets[b] + t] = static_cast<int32_t>(t);
  }
  Tensor hidden = Tensor::empty({n, config_.dim});
  run(batch.input_ids.data(), n, nn::SequenceLayout::packed(batch), s, hidden.data());
  return hidden;
}

// DistilBertForSequenceClassification.__init__
DistilBertForSequenceClassification::DistilBertForSequenceClassification(const DistilBertConfig& config,
                                                                         const nn::Weights& root, LabelMaps labels)
    : labels_(std::move(labels)), model_(config, root["distilbert"]) {
  const int64_t d = config.dim, num_labels = static_cast<int64_t>(labels_.id2label.size());
  pre_classifier_ = nn::load_linear(root["pre_classifier"], d, d);
  classifier_ = nn::load_linear(root["classifier"], num_labels, d);
}

std::unique_ptr<DistilBertForSequenceClassification> DistilBertForSequenceClassification::load(
    const std::filesystem::path& dir, const ModelConfig& config) {
  const DistilBertConfig distilbert = DistilBertConfig::from_config(config);
  LabelMaps labels = nn::parse_label_maps(config);
  // The checkpoint (and its mapping) is released on return: every weight is packed or copied.
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<DistilBertForSequenceClassification>(
      new DistilBertForSequenceClassification(distilbert, nn::Weights(checkpoint, "", config.load_options()), std::move(labels)));
}

// DistilBertForSequenceClassification.forward
Tensor DistilBertForSequenceClassification::classify(const Batch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const Tensor hidden = model_.encode(batch, scratch_);
  std::vector<int64_t> rows(static_cast<size_t>(batch.batch));
  for (int64_t b = 0; b < batch.batch; ++b) rows[b] = b * batch.seq_len;
  return head(hidden.data(), rows);
}

Tensor DistilBertForSequenceClassification::classify_packed(const PackedBatch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const Tensor hidden = model_.encode(batch, scratch_);
  return head(hidden.data(), std::vector<int64_t>(batch.offsets.begin(), batch.offsets.end() - 1));
}

// First token of each sequence (rows of hidden) -> pre_classifier -> ReLU -> classifier.
Tensor DistilBertForSequenceClassification::head(const float* hidden, const std::vector<int64_t>& rows) const {
  const int64_t B = static_cast<int64_t>(rows.size()), d = model_.config().dim;
  std::vector<float> first(static_cast<size_t>(B * d)), pooled(static_cast<size_t>(B * d));
  for (int64_t b = 0; b < B; ++b) std::memcpy(first.data() + b * d, hidden + rows[b] * d, sizeof(float) * d);
  pre_classifier_.forward(first.data(), B, pooled.data());
  kernels::relu(pooled.data(), B * d);
  Tensor logits = Tensor::empty({B, classifier_.out_features()});
  classifier_.forward(pooled.data(), B, logits.data());
  return logits;
}

std::unique_ptr<SequenceClassifier> load_distilbert_classifier(const std::filesystem::path& dir, const ModelConfig& config) {
  return DistilBertForSequenceClassification::load(dir, config);
}

// DistilBertForMaskedLM.__init__
DistilBertForMaskedLM::DistilBertForMaskedLM(const DistilBertConfig& config, const nn::Weights& root)
    : model_(config, DistilBertModel::base_weights(root)) {
  const int64_t d = config.dim;
  head_.dense = nn::load_linear(root["vocab_transform"], d, d);
  head_.act = config.activation;
  head_.norm = nn::LayerNorm::load(root["vocab_layer_norm"], d, kLayerNormEps);
  const nn::Weights projector = root["vocab_projector"];
  head_.decoder = nn::load_linear(
      config.tie_word_embeddings ? DistilBertModel::base_weights(root)["embeddings.word_embeddings"] : projector,
      projector, config.vocab_size, d);
}

std::unique_ptr<DistilBertForMaskedLM> DistilBertForMaskedLM::load(const std::filesystem::path& dir,
                                                                  const ModelConfig& config) {
  const DistilBertConfig distilbert = DistilBertConfig::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<DistilBertForMaskedLM>(new DistilBertForMaskedLM(distilbert, nn::Weights(checkpoint, "", config.load_options())));
}

// DistilBertForMaskedLM.forward, at the asked positions only
Tensor DistilBertForMaskedLM::logits_at(const Batch& batch, const std::vector<int64_t>& positions) const {
  Tensor hidden;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    hidden = model_.encode(batch, scratch_);
  }
  const Tensor rows = nn::gather_rows(hidden, positions, "distilbert");
  return head_.forward(rows.data(), rows.size(0));
}

std::unique_ptr<MaskedLM> load_distilbert_masked_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  return DistilBertForMaskedLM::load(dir, config);
}

std::unique_ptr<TokenEncoder> load_distilbert_encoder(const std::filesystem::path& dir, const ModelConfig& config) {
  return DistilBertModel::load(dir, config);
}

}  // namespace lmpipe

// Port of transformers/models/bert/modeling_bert.py and roberta/xlm_roberta's modeling files (v5),
// inference only (dropout is identity).
#include "models/bert.h"

#include <cstring>

#include "io/checkpoint.h"
#include "models/families.h"
#include "util/error.h"

namespace lmpipe {

// BertConfig / RobertaConfig / XLMRobertaConfig
BertConfig BertConfig::from_config(const ModelConfig& config) {
  const std::string where = config.file().string();
  BertConfig c;
  const std::string model_type = config.get_or<std::string>("model_type", "bert");
  if (model_type == "bert") {
    c.base_model_prefix = "bert";
  } else if (model_type == "roberta" || model_type == "xlm-roberta" || model_type == "camembert") {
    c.base_model_prefix = "roberta";
    c.roberta_positions = true;
  } else {
    throw Error(where + ": model_type '" + model_type + "' is not BERT, RoBERTa, XLM-RoBERTa or CamemBERT");
  }
  c.vocab_size = nn::config_dim(config, "vocab_size");
  c.hidden_size = nn::config_dim(config, "hidden_size");
  c.num_hidden_layers = nn::config_dim(config, "num_hidden_layers");
  c.num_attention_heads = nn::config_dim(config, "num_attention_heads");
  c.intermediate_size = nn::config_dim(config, "intermediate_size");
  c.max_position_embeddings = nn::config_dim(config, "max_position_embeddings");
  c.type_vocab_size = nn::config_dim(config, "type_vocab_size");
  c.hidden_act = nn::config_activation(config, "hidden_act", "gelu");
  c.layer_norm_eps = static_cast<float>(config.get_or<double>("layer_norm_eps", 1e-12));
  c.pad_token_id = config.get_or<int32_t>("pad_token_id", c.roberta_positions ? 1 : 0);
  c.tie_word_embeddings = config.get_or<bool>("tie_word_embeddings", true);
  const std::string positions = config.get_or<std::string>("position_embedding_type", "absolute");
  if (positions != "absolute")
    throw Error(where + ": field 'position_embedding_type' = '" + positions + "' is not supported (only absolute)");
  if (c.hidden_size % c.num_attention_heads != 0)
    throw Error(where + ": hidden_size " + std::to_string(c.hidden_size) + " is not divisible by num_attention_heads " +
                std::to_string(c.num_attention_heads));
  if (c.roberta_positions && (c.pad_token_id < 0 || c.pad_token_id + 1 >= c.max_position_embeddings))
    throw Error(where + ": pad_token_id " + std::to_string(c.pad_token_id) + " leaves no RoBERTa positions");
  return c;
}

int64_t BertConfig::max_positions() const {
  return roberta_positions ? max_position_embeddings - pad_token_id - 1 : max_position_embeddings;
}

// BertModel.__init__ (BertEmbeddings, BertEncoder, BertPooler)
BertModel::BertModel(const BertConfig& config, const nn::Weights& bert) : config_(config) {
  const int64_t d = config.hidden_size;
  const nn::Weights embeddings = bert["embeddings"];
  word_embeddings_ = nn::Embedding::load_word_embeddings(embeddings["word_embeddings"], config.vocab_size, d);
  position_embeddings_ = nn::Embedding::load(embeddings["position_embeddings"], config.max_position_embeddings, d);
  token_type_embeddings_ = nn::Embedding::load(embeddings["token_type_embeddings"], config.type_vocab_size, d);
  embeddings_norm_ = nn::LayerNorm::load(embeddings["LayerNorm"], d, config.layer_norm_eps);
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    const nn::Weights w = bert["encoder.layer." + std::to_string(i)];
    // BertLayer: BertAttention (BertSelfAttention + BertSelfOutput), BertIntermediate, BertOutput.
    nn::EncoderLayer l;
    l.qkv = nn::load_fused_linear({w["attention.self.query"], w["attention.self.key"], w["attention.self.value"]}, d, d);
    l.attention_output = nn::load_linear(w["attention.output.dense"], d, d);
    l.attention_norm = nn::LayerNorm::load(w["attention.output.LayerNorm"], d, config.layer_norm_eps);
    l.intermediate = nn::load_linear(w["intermediate.dense"], config.intermediate_size, d);
    l.output = nn::load_linear(w["output.dense"], d, config.intermediate_size);
    l.output_norm = nn::LayerNorm::load(w["output.LayerNorm"], d, config.layer_norm_eps);
    layers_.push_back(std::move(l));
  }
  if (bert["pooler.dense"].has("weight")) pooler_ = nn::load_linear(bert["pooler.dense"], d, d);
}

nn::Weights BertModel::base_weights(const BertConfig& config, const nn::Weights& root) {
  // Head checkpoints nest the base model under its prefix; BertModel checkpoints do not.
  const nn::Weights base = root[config.base_model_prefix];
  return base["embeddings.word_embeddings"].has("weight") ? base : root;
}

std::unique_ptr<BertModel> BertModel::load(const std::filesystem::path& dir, const LoadOptions& options) {
  ModelConfig config = ModelConfig::load(dir);
  config.set_load_options(options);
  return load(dir, config);
}

std::unique_ptr<BertModel> BertModel::load(const std::filesystem::path& dir, const ModelConfig& model_config) {
  const BertConfig config = BertConfig::from_config(model_config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::make_unique<BertModel>(config, base_weights(config, nn::Weights(checkpoint, "", model_config.load_options())));
}

// BertEmbeddings position ids for one sequence of n tokens; RoBERTa's
// create_position_ids_from_input_ids counts only non-padding tokens, after padding_idx.
void BertModel::positions(const int32_t* ids, int64_t n, int32_t* out) const {
  int32_t seen = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (!config_.roberta_positions)
      out[t] = static_cast<int32_t>(t);
    else
      out[t] = ids[t] == config_.pad_token_id ? config_.pad_token_id : config_.pad_token_id + ++seen;
  }
}

// BertEmbeddings.forward / RobertaEmbeddings.forward over n tokens (s.positions filled)
void BertModel::embed(const int32_t* ids, const std::vector<int32_t>& token_type_ids, int64_t n, BertScratch& s,
                      float* out) const {
  const std::vector<int32_t>* token_types = &token_type_ids;
  if (token_types->empty()) {
    s.token_types.assign(static_cast<size_t>(n), 0);
    token_types = &s.token_types;
  }
  word_embeddings_.lookup(ids, n, out, 1.0f, "input_ids");
  token_type_embeddings_.add_lookup(token_types->data(), n, out, "token_type_ids");
  position_embeddings_.add_lookup(s.positions.data(), n, out, "position ids");
  embeddings_norm_(out, n);
}

void BertModel::check_length(int64_t T) const {
  if (T > config_.max_positions())
    throw Error(config_.base_model_prefix + ": " + std::to_string(T) + " tokens exceed the " +
                std::to_string(config_.max_positions()) + " positions of max_position_embeddings (config.json)");
}

// BertEmbeddings + BertEncoder (BertLayer: self-attention, residual LayerNorm, feed-forward)
Tensor BertModel::encode(const Batch& batch, BertScratch& s) const {
  nn::check_batch(batch, config_.base_model_prefix);
  const int64_t B = batch.batch, T = batch.seq_len, d = config_.hidden_size;
  check_length(T);
  s.positions.resize(static_cast<size_t>(B * T));
  for (int64_t b = 0; b < B; ++b) positions(batch.input_ids.data() + b * T, T, s.positions.data() + b * T);
  Tensor hidden = Tensor::empty({B, T, d});
  embed(batch.input_ids.data(), batch.token_type_ids, B * T, s, hidden.data());
  const nn::SequenceLayout seqs = nn::SequenceLayout::padded(batch);
  for (const nn::EncoderLayer& layer : layers_)
    layer.forward(hidden.data(), seqs, config_.num_attention_heads, config_.hidden_act, s);
  return hidden;
}

Tensor BertModel::encode(const PackedBatch& batch, BertScratch& s) const {
  nn::check_packed(batch, config_.base_model_prefix);
  const int64_t n = batch.tokens(), d = config_.hidden_size;
  s.positions.resize(static_cast<size_t>(n));
  for (int64_t b = 0; b < batch.batch(); ++b) {
    check_length(batch.length(b));
    const int64_t first = batch.offsets[b];
    positions(batch.input_ids.data() + first, batch.length(b), s.positions.data() + first);
  }
  Tensor hidden = Tensor::empty({n, d});
  embed(batch.input_ids.data(), batch.token_type_ids, n, s, hidden.data());
  const nn::SequenceLayout seqs = nn::SequenceLayout::packed(batch);
  for (const nn::EncoderLayer& layer : layers_)
    layer.forward(hidden.data(), seqs, config_.num_attention_heads, config_.hidden_act, s);
  return hidden;
}

namespace {
// Rows `rows` of hidden (tokens, d) -> (rows.size(), d)
std::vector<float> gather_rows(const float* hidden, const std::vector<int64_t>& rows, int64_t d) {
  std::vector<float> out(rows.size() * static_cast<size_t>(d));
  for (size_t i = 0; i < rows.size(); ++i) std::memcpy(out.data() + i * d, hidden + rows[i] * d, sizeof(float) * d);
  return out;
}
// The first token's row of each sequence of a padded (B, T, d) hidden state.
std::vector<int64_t> first_rows(int64_t B, int64_t T) {
  std::vector<int64_t> rows(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) rows[b] = b * T;
  return rows;
}
}  // namespace

// BertPooler.forward
Tensor BertModel::pool(const Tensor& last_hidden_state) const {
  return pool_rows(last_hidden_state.data(), first_rows(last_hidden_state.size(0), last_hidden_state.size(1)));
}

Tensor BertModel::pool_rows(const float* hidden, const std::vector<int64_t>& rows) const {
  if (!has_pooler()) throw Error(config_.base_model_prefix + ": the checkpoint has no pooler.dense weights");
  const int64_t B = static_cast<int64_t>(rows.size()), d = config_.hidden_size;
  const std::vector<float> first = gather_rows(hidden, rows, d);
  Tensor pooled = Tensor::empty({B, d});
  pooler_.forward(first.data(), B, pooled.data());
  kernels::tanh_inplace(pooled.data(), B * d);
  return pooled;
}

// BertModel.forward
BertModel::Output BertModel::forward(const Batch& batch) const {
  Output out;
  out.last_hidden_state = encode(batch, *scratch_.take());
  if (has_pooler()) out.pooler_output = pool(out.last_hidden_state);
  return out;
}

Tensor BertModel::encode(const Batch& batch) const { return encode(batch, *scratch_.take()); }

Tensor BertModel::encode_packed(const PackedBatch& batch) const { return encode(batch, *scratch_.take()); }

// BertForSequenceClassification.__init__ / RobertaForSequenceClassification.__init__
BertForSequenceClassification::BertForSequenceClassification(const BertConfig& config, const nn::Weights& root,
                                                             LabelMaps labels)
    : labels_(std::move(labels)), model_(config, root[config.base_model_prefix]) {
  const int64_t d = config.hidden_size, num_labels = static_cast<int64_t>(labels_.id2label.size());
  if (config.roberta_positions) {  // RobertaClassificationHead
    dense_ = nn::load_linear(root["classifier.dense"], d, d);
    out_proj_ = nn::load_linear(root["classifier.out_proj"], num_labels, d);
  } else {
    if (!model_.has_pooler())
      throw Error(root[config.base_model_prefix].key("pooler.dense.weight") + ": missing from the checkpoint");
    out_proj_ = nn::load_linear(root["classifier"], num_labels, d);
  }
}

std::unique_ptr<BertForSequenceClassification> BertForSequenceClassification::load(const std::filesystem::path& dir,
                                                                                  const ModelConfig& config) {
  const BertConfig bert = BertConfig::from_config(config);
  LabelMaps labels = nn::parse_label_maps(config);
  // The checkpoint (and its mapping) is released on return: every weight is packed or copied.
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<BertForSequenceClassification>(
      new BertForSequenceClassification(bert, nn::Weights(checkpoint, "", config.load_options()), std::move(labels)));
}

// BertForSequenceClassification.forward / RobertaForSequenceClassification.forward
Tensor BertForSequenceClassification::classify(const Batch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const Tensor hidden = model_.encode(batch, scratch_);
  return head(hidden.data(), first_rows(batch.batch, batch.seq_len));
}

Tensor BertForSequenceClassification::classify_packed(const PackedBatch& batch) const {
  const std::lock_guard<std::mutex> lock(mutex_);
  const Tensor hidden = model_.encode(batch, scratch_);
  return head(hidden.data(), std::vector<int64_t>(batch.offsets.begin(), batch.offsets.end() - 1));
}

// The classification head on the first token of each sequence (rows of hidden).
Tensor BertForSequenceClassification::head(const float* hidden, const std::vector<int64_t>& rows) const {
  const int64_t B = static_cast<int64_t>(rows.size()), d = model_.config().hidden_size;
  Tensor logits = Tensor::empty({B, out_proj_.out_features()});
  if (model_.config().roberta_positions) {  // RobertaClassificationHead on <s>
    const std::vector<float> first = gather_rows(hidden, rows, d);
    std::vector<float> x(static_cast<size_t>(B * d));
    dense_.forward(first.data(), B, x.data());
    kernels::tanh_inplace(x.data(), B * d);
    out_proj_.forward(x.data(), B, logits.data());
  } else {  // pooler -> classifier
    const Tensor pooled = model_.pool_rows(hidden, rows);
    out_proj_.forward(pooled.data(), B, logits.data());
  }
  return logits;
}

std::unique_ptr<SequenceClassifier> load_bert_classifier(const std::filesystem::path& dir, const ModelConfig& config) {
  return BertForSequenceClassification::load(dir, config);
}

// BertForMaskedLM.__init__ (BertOnlyMLMHead) / RobertaForMaskedLM.__init__ (RobertaLMHead)
BertForMaskedLM::BertForMaskedLM(const BertConfig& config, const nn::Weights& root)
    : model_(config, BertModel::base_weights(config, root)) {
  const int64_t d = config.hidden_size;
  const nn::Weights head = config.roberta_positions ? root["lm_head"] : root["cls.predictions"];
  const nn::Weights transform = config.roberta_positions ? head : head["transform"];
  head_.dense = nn::load_linear(transform["dense"], d, d);
  head_.act = config.roberta_positions ? nn::Activation::Gelu : config.hidden_act;  // RobertaLMHead: gelu always
  head_.norm = nn::LayerNorm::load(transform[config.roberta_positions ? "layer_norm" : "LayerNorm"], d,
                                   config.layer_norm_eps);
  const nn::Weights decoder =
      config.tie_word_embeddings ? BertModel::base_weights(config, root)["embeddings.word_embeddings"] : head["decoder"];
  head_.decoder = nn::load_linear(decoder, head.has("bias") ? head : head["decoder"], config.vocab_size, d);
}

std::unique_ptr<BertForMaskedLM> BertForMaskedLM::load(const std::filesystem::path& dir, const ModelConfig& config) {
  const BertConfig bert = BertConfig::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<BertForMaskedLM>(new BertForMaskedLM(bert, nn::Weights(checkpoint, "", config.load_options())));
}

// BertForMaskedLM.forward / RobertaForMaskedLM.forward, at the asked positions only
Tensor BertForMaskedLM::logits_at(const Batch& batch, const std::vector<int64_t>& positions) const {
  Tensor hidden;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    hidden = model_.encode(batch, scratch_);
  }
  const Tensor rows = nn::gather_rows(hidden, positions, model_.config().base_model_prefix);
  return head_.forward(rows.data(), rows.size(0));
}

std::unique_ptr<MaskedLM> load_bert_masked_lm(const std::filesystem::path& dir, const ModelConfig& config) {
  return BertForMaskedLM::load(dir, config);
}

// BertForNextSentencePrediction.__init__ (BertOnlyNSPHead)
BertForNextSentencePrediction::BertForNextSentencePrediction(const BertConfig& config, const nn::Weights& root)
    : model_(config, BertModel::base_weights(config, root)) {
  if (!model_.has_pooler())
    throw Error(BertModel::base_weights(config, root).key("pooler.dense.weight") +
                ": missing from the checkpoint (next-sentence prediction needs the pooler)");
  seq_relationship_ = nn::load_linear(root["cls.seq_relationship"], 2, config.hidden_size);
}

std::unique_ptr<BertForNextSentencePrediction> BertForNextSentencePrediction::load(const std::filesystem::path& dir,
                                                                                  const ModelConfig& config) {
  const BertConfig bert = BertConfig::from_config(config);
  const Checkpoint checkpoint = Checkpoint::open(dir);
  return std::unique_ptr<BertForNextSentencePrediction>(new BertForNextSentencePrediction(bert, nn::Weights(checkpoint, "", config.load_options())));
}

// BertForNextSentencePrediction.forward: seq_relationship(pooler_output)
Tensor BertForNextSentencePrediction::next_sentence_logits(const Batch& batch) const {
  Tensor hidden;
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    hidden = model_.encode(batch, scratch_);
  }
  const Tensor pooled = model_.pool(hidden);
  Tensor logits = Tensor::empty({batch.batch, 2});
  seq_relationship_.forward(pooled.data(), batch.batch, logits.data());
  return logits;
}

std::unique_ptr<NextSentencePredictor> load_bert_next_sentence(const std::filesystem::path& dir,
                                                               const ModelConfig& config) {
  return BertForNextSentencePrediction::load(dir, config);
}

std::unique_ptr<TokenEncoder> load_bert_encoder(const std::filesystem::path& dir, const ModelConfig& config) {
  return BertModel::load(dir, config);
}

}  // namespace lmpipe

#include "pipelines/sentence_modules.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "io/checkpoint.h"
#include "models/layers.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe::st {

namespace {

using Mode = Pooling::Mode;

// v6 pooling_mode names; v5's booleans map onto them in this (concatenation) order.
const std::vector<std::pair<std::string, Mode>>& mode_names() {
  static const std::vector<std::pair<std::string, Mode>> names = {
      {"cls", Mode::Cls},           {"max", Mode::Max},                   {"mean", Mode::Mean},
      {"mean_sqrt_len_tokens", Mode::MeanSqrtLen}, {"weightedmean", Mode::WeightedMean}, {"lasttoken", Mode::LastToken}};
  return names;
}

const char* const kLegacyModeKeys[] = {"pooling_mode_cls_token",           "pooling_mode_max_tokens",
                                       "pooling_mode_mean_tokens",         "pooling_mode_mean_sqrt_len_tokens",
                                       "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"};

Mode mode_of(const json& name, const std::string& where) {
  std::string known;
  for (const auto& [n, mode] : mode_names()) {
    if (name.is_string() && name.get<std::string>() == n) return mode;
    known += (known.empty() ? "" : ", ") + n;
  }
  throw Error(where + ": invalid pooling_mode " + name.dump() + " (valid: " + known + ")");
}

}  // namespace

// Pooling.load_config / _convert_legacy_pooling_kwargs (v6)
Pooling Pooling::load(const std::filesystem::path& dir) {
  const auto file = dir / "config.json";
  const std::string where = file.string();
  const json config = std::filesystem::exists(file) ? read_json_file(file) : json::object();
  if (!config.is_object()) throw Error(where + ": expected a JSON object");
  Pooling p;
  p.include_prompt = json_get_or<bool>(config, "include_prompt", true);
  if (auto it = config.find("pooling_mode"); it != config.end() && !it->is_null()) {
    p.modes.clear();
    if (it->is_array()) {
      for (const auto& name : *it) p.modes.push_back(mode_of(name, where));
      if (p.modes.empty()) throw Error(where + ": pooling_mode is an empty list");
    } else {
      p.modes.push_back(mode_of(*it, where));
    }
    return p;
  }
  std::vector<Mode> active;
  for (size_t i = 0; i < mode_names().size(); ++i)
    if (json_get_or<bool>(config, kLegacyModeKeys[i], false)) active.push_back(mode_names()[i].second);
  if (!active.empty()) p.modes = active;  // none active: mean
  return p;
}

// Pooling._forward_padded on one right-padded row whose first `tokens` positions are attended.
void Pooling::forward(const float* h, int64_t T, int64_t C, int64_t prompt_length, std::vector<float>& out) const {
  // Tokens [begin, T) take part: include_prompt=false masks the prompt's positions.
  const int64_t begin = include_prompt ? 0 : std::min(std::max<int64_t>(prompt_length, 0), T);
  const int64_t count = T - begin;
  for (Mode mode : modes) {
    const size_t at = out.size();
    out.resize(at + static_cast<size_t>(C), 0.f);
    float* o = out.data() + at;
    switch (mode) {
      case Mode::Cls:  // the first attended token (argmax of the mask: 0 when none is)
        std::copy_n(h + (count > 0 ? begin : 0) * C, C, o);
        break;
      case Mode::LastToken:  // the last attended token, zeros when none is
        if (count > 0) std::copy_n(h + (T - 1) * C, C, o);
        break;
      case Mode::Max:
        std::fill_n(o, C, -std::numeric_limits<float>::infinity());
        for (int64_t t = begin; t < T; ++t)
          for (int64_t c = 0; c < C; ++c) o[c] = std::max(o[c], h[t * C + c]);
        break;
      case Mode::Mean:
      case Mode::MeanSqrtLen: {
        for (int64_t t = begin; t < T; ++t) kernels::add_inplace(o, h + t * C, C);
        const float n = std::max(static_cast<float>(count), 1e-9f);
        const float divisor = mode == Mode::Mean ? n : std::sqrt(n);
        for (int64_t c = 0; c < C; ++c) o[c] /= divisor;
        break;
      }
      case Mode::WeightedMean: {  // weights: 1-based positions in the row
        float weight_sum = 0;
        for (int64_t t = begin; t < T; ++t) {
          const float w = static_cast<float>(t + 1);
          weight_sum += w;
          for (int64_t c = 0; c < C; ++c) o[c] += w * h[t * C + c];
        }
        const float divisor = std::max(weight_sum, 1e-9f);
        for (int64_t c = 0; c < C; ++c) o[c] /= divisor;
        break;
      }
    }
  }
}

namespace {

// activation_function: "<module>.<class>" of a torch.nn activation, rebuilt with its defaults.
Dense::Activation activation_of(const json& config, const std::string& where) {
  auto it = config.find("activation_function");
  if (it == config.end() || it->is_null()) return Dense::Activation::Tanh;  // v6's default
  if (!it->is_string()) throw Error(where + ": activation_function must be a string");
  const std::string name = it->get<std::string>();
  static const std::map<std::string, Dense::Activation> known = {
      {"Identity", Dense::Activation::Identity}, {"Tanh", Dense::Activation::Tanh},
      {"ReLU", Dense::Activation::ReLU},         {"GELU", Dense::Activation::GELU},
      {"Sigmoid", Dense::Activation::Sigmoid},   {"SiLU", Dense::Activation::SiLU}};
  const auto dot = name.rfind('.');
  auto found = known.find(dot == std::string::npos ? name : name.substr(dot + 1));
  if (name.rfind("torch.", 0) != 0 || found == known.end())
    throw Error(where + ": activation_function '" + name +
                "' is not supported (supported: torch.nn Identity, Tanh, ReLU, GELU, Sigmoid, SiLU)");
  return found->second;
}

void activate(Dense::Activation act, float* x, int64_t n) {
  switch (act) {
    case Dense::Activation::Identity: break;
    case Dense::Activation::Tanh: kernels::tanh_inplace(x, n); break;
    case Dense::Activation::ReLU: kernels::relu(x, n); break;
    case Dense::Activation::GELU: kernels::gelu(x, n); break;
    case Dense::Activation::Sigmoid:
      for (int64_t i = 0; i < n; ++i) x[i] = 1.f / (1.f + std::exp(-x[i]));
      break;
    case Dense::Activation::SiLU:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (1.f + std::exp(-x[i]));
      break;
  }
}

}  // namespace

// Dense.load (v6 base/modules/dense.py; v5 models/Dense.py)
Dense Dense::load(const std::filesystem::path& dir) {
  const auto file = dir / "config.json";
  const std::string where = file.string();
  const json config = read_json_file(file);
  if (!config.is_object()) throw Error(where + ": expected a JSON object");
  Dense d;
  d.in_features = json_get<int64_t>(config, "in_features", where);
  d.out_features = json_get<int64_t>(config, "out_features", where);
  if (d.in_features <= 0 || d.out_features <= 0) throw Error(where + ": in_features and out_features must be positive");
  d.activation = activation_of(config, where);
  d.use_residual = json_get_or<bool>(config, "use_residual", false);
  for (const char* key : {"module_input_name", "module_output_name"})
    if (json_get_or<std::string>(config, key, "sentence_embedding") != "sentence_embedding")
      throw Error(where + ": " + key + " '" + config[key].get<std::string>() +
                  "' is not supported (only Dense layers on the sentence embedding)");
  const Checkpoint checkpoint = Checkpoint::open(dir);
  const nn::Weights root(checkpoint, "");
  d.linear = nn::load_linear(root["linear"], d.out_features, d.in_features, json_get_or<bool>(config, "bias", true));
  if (d.use_residual && d.in_features != d.out_features)
    d.residual = nn::load_linear(root["residual"], d.out_features, d.in_features, /*bias=*/false);
  return d;
}

std::vector<float> Dense::forward(const std::vector<float>& x, int64_t rows) const {
  std::vector<float> y(static_cast<size_t>(rows * out_features));
  linear.forward(x.data(), rows, y.data());
  activate(activation, y.data(), rows * out_features);
  if (use_residual) {
    if (in_features == out_features) {
      kernels::add_inplace(y.data(), x.data(), rows * out_features);
    } else {
      std::vector<float> r(y.size());
      residual.forward(x.data(), rows, r.data());
      kernels::add_inplace(y.data(), r.data(), rows * out_features);
    }
  }
  return y;
}

void normalize_rows(float* x, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    float* v = x + r * dim;
    double sq = 0;
    for (int64_t c = 0; c < dim; ++c) sq += static_cast<double>(v[c]) * v[c];
    const float norm = std::max(static_cast<float>(std::sqrt(sq)), 1e-12f);
    for (int64_t c = 0; c < dim; ++c) v[c] /= norm;
  }
}

}  // namespace lmpipe::st

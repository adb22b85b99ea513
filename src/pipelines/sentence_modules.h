#pragma once
// The sentence-transformers modules after the Transformer, each read from its folder as the
// library saves it (v5 models/{Pooling,Dense,Normalize}.py and v6's sentence_transformer/modules/
// pooling.py, base/modules/{dense,normalize}.py): the math on token embeddings and sentence vectors.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "kernels/kernels.h"

namespace lmpipe::st {

// Pooling: token embeddings of one sentence -> one vector per mode, concatenated in the modes' order.
struct Pooling {
  enum class Mode { Cls, Max, Mean, MeanSqrtLen, WeightedMean, LastToken };
  std::vector<Mode> modes{Mode::Mean};
  bool include_prompt = true;

  // <dir>/config.json in either schema: v5's pooling_mode_* booleans, or v6's pooling_mode (a
  // name or a list of names). Errors name the file and the unknown mode.
  static Pooling load(const std::filesystem::path& dir);
  int64_t output_dimension(int64_t hidden) const { return static_cast<int64_t>(modes.size()) * hidden; }
  // h (tokens, hidden) of one right-padded row, all `tokens` attended; the first `prompt_length`
  // tokens are left out unless include_prompt. Appends output_dimension(hidden) values to `out`.
  void forward(const float* h, int64_t tokens, int64_t hidden, int64_t prompt_length, std::vector<float>& out) const;
};

// Dense: y = activation(linear(x)) (+ residual(x) when use_residual), on sentence vectors.
struct Dense {
  enum class Activation { Identity, Tanh, ReLU, GELU, Sigmoid, SiLU };
  int64_t in_features = 0, out_features = 0;
  Activation activation = Activation::Tanh;
  kernels::PackedLinear linear;
  kernels::PackedLinear residual;  // use_residual with in != out: residual.weight (no bias)
  bool use_residual = false;

  // <dir>/config.json and the module's weights (model.safetensors or pytorch_model.bin).
  static Dense load(const std::filesystem::path& dir);
  // x (rows, in_features) -> (rows, out_features)
  std::vector<float> forward(const std::vector<float>& x, int64_t rows) const;
};

// Normalize: x / max(||x||₂, 1e-12) per row of x (rows, dim), in place.
void normalize_rows(float* x, int64_t rows, int64_t dim);

}  // namespace lmpipe::st

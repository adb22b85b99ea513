#pragma once
// How a model is loaded: the precision its linear layers compute in, chosen once at load.
#include <string>
#include <string_view>

namespace lmpipe {

// float32: the checkpoint's values, results as transformers computes them in fp32.
// bfloat16: weights and activations of the linear layers (and the word embeddings) rounded to
//   bfloat16, fp32 sums: about half the memory and twice the speed on CPUs with AVX512-BF16.
// int8: linear weights quantized per output feature, activations per token at run time
//   (dynamic quantization, as PyTorch's quantize_dynamic); word embeddings in bfloat16: about a
//   quarter of the memory and four times the speed on CPUs with AVX512-VNNI.
// Without those instructions, bfloat16 and int8 still work but run on slow reference kernels.
enum class WeightDtype { float32, bfloat16, int8 };

// "float32", "bfloat16", "int8" (also "fp32", "bf16"); throws lmpipe::Error naming the choices.
WeightDtype parse_weight_dtype(std::string_view name);
std::string_view weight_dtype_name(WeightDtype dtype);

struct LoadOptions {
  WeightDtype dtype = WeightDtype::float32;
};

}  // namespace lmpipe

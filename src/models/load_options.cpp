#include "lmpipe/load_options.h"

#include <string>

#include "util/error.h"

namespace lmpipe {

WeightDtype parse_weight_dtype(std::string_view name) {
  if (name == "float32" || name == "fp32") return WeightDtype::float32;
  if (name == "bfloat16" || name == "bf16") return WeightDtype::bfloat16;
  if (name == "int8") return WeightDtype::int8;
  throw Error("dtype '" + std::string(name) + "' is not supported (expected float32, bfloat16 or int8)");
}

std::string_view weight_dtype_name(WeightDtype dtype) {
  switch (dtype) {
    case WeightDtype::float32: return "float32";
    case WeightDtype::bfloat16: return "bfloat16";
    case WeightDtype::int8: return "int8";
  }
  return "?";
}

}  // namespace lmpipe

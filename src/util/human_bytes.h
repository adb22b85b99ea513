#pragma once
// Sizes for people: "512 B", "1.6 GB" (decimal units, as huggingface_hub prints them).
#include <string>

namespace lmpipe {

std::string human_bytes(double bytes);

}  // namespace lmpipe

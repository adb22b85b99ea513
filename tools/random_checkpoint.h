#pragma once
// Random-weight safetensors files for the benchmark stand-ins of real models (which cannot be
// downloaded here): the real key names and shapes, normal(0, 0.02) weights from a fixed seed per
// tensor name, LayerNorm weights 1, biases 0. Written tensor by tensor, one chunk in memory.
#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmpipe::tools {

enum class Init { Normal, Ones, Zeros };

struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
  Init init;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

// nn.Linear(in, out): weight (out, in) and bias (out).
inline void add_linear(std::vector<TensorSpec>& specs, const std::string& prefix, int64_t out, int64_t in) {
  specs.push_back({prefix + ".weight", {out, in}, Init::Normal});
  specs.push_back({prefix + ".bias", {out}, Init::Zeros});
}

inline void add_layer_norm(std::vector<TensorSpec>& specs, const std::string& prefix, int64_t dim) {
  specs.push_back({prefix + ".weight", {dim}, Init::Ones});
  specs.push_back({prefix + ".bias", {dim}, Init::Zeros});
}

// xoshiro256+ seeded by splitmix64: fast, and the same stream on every machine.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      s = z ^ (z >> 31);
    }
  }
  // Uniform in (0, 1].
  double uniform() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    uint64_t result = state_[0] + state_[3];
    uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }
  std::array<uint64_t, 4> state_;
};

inline uint64_t name_hash(const std::string& name) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return h;
}

// Box-Muller, two normals per pair of uniforms.
inline void fill_normal(Rng& rng, float* out, size_t n, float std_dev) {
  constexpr double kTwoPi = 6.283185307179586;
  for (size_t i = 0; i < n; i += 2) {
    double r = std::sqrt(-2.0 * std::log(rng.uniform())) * std_dev;
    double theta = kTwoPi * rng.uniform();
    out[i] = static_cast<float>(r * std::cos(theta));
    if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(theta));
  }
}

// Keys sorted, as safetensors writers store them; tensors filled from Rng(seed ^ name_hash(name)).
inline void write_safetensors(const std::filesystem::path& file, std::vector<TensorSpec> specs, uint64_t seed) {
  std::sort(specs.begin(), specs.end(), [](const TensorSpec& a, const TensorSpec& b) { return a.name < b.name; });
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = {{"format", "pt"}};
  uint64_t offset = 0;
  for (const auto& spec : specs) {
    uint64_t bytes = static_cast<uint64_t>(spec.numel()) * sizeof(float);
    header[spec.name] = {{"dtype", "F32"}, {"shape", spec.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned, as safetensors does

  std::FILE* out = std::fopen(file.c_str(), "wb");
  if (!out) throw std::runtime_error("cannot write " + file.string() + ": " + std::strerror(errno));
  auto write = [&](const void* data, size_t bytes) {
    if (std::fwrite(data, 1, bytes, out) != bytes) throw std::runtime_error("write failed: " + file.string());
  };
  uint64_t header_size = text.size();  // little-endian on every target we build for
  write(&header_size, sizeof header_size);
  write(text.data(), text.size());

  constexpr size_t kChunk = size_t{1} << 20;
  std::vector<float> chunk(kChunk);
  for (const auto& spec : specs) {
    Rng rng(seed ^ name_hash(spec.name));
    size_t left = static_cast<size_t>(spec.numel());
    while (left > 0) {
      size_t n = std::min(left, kChunk);
      switch (spec.init) {
        case Init::Normal: fill_normal(rng, chunk.data(), n, 0.02f); break;
        case Init::Ones: std::fill_n(chunk.data(), n, 1.0f); break;
        case Init::Zeros: std::fill_n(chunk.data(), n, 0.0f); break;
      }
      write(chunk.data(), n * sizeof(float));
      left -= n;
    }
  }
  if (std::fclose(out) != 0) throw std::runtime_error("write failed: " + file.string());
}

}  // namespace lmpipe::tools

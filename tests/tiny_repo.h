#pragma once
// A model repository made in a test from a golden one: the golden's tokenizer files linked, its
// weights loaded so a test can add, drop or rename tensors (e.g. a masked-LM head with random
// weights), and config.json edited; written out as F32 safetensors under the temp directory.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "model_test_util.h"
#include "util/json.h"

namespace lmpipe::test {

struct TinyWeight {
  Shape shape;
  std::vector<float> data;
};

class TinyRepo {
 public:
  std::map<std::string, TinyWeight> weights;
  json config;

  explicit TinyRepo(const std::string& golden) : config(golden_config(golden)), golden_(golden) {
    const Checkpoint ckpt = Checkpoint::open(golden_model(golden));
    for (const auto& name : ckpt.names()) {
      const Tensor t = ckpt.load(name);
      weights[name] = {t.shape(), std::vector<float>(t.data(), t.data() + t.numel())};
    }
  }

  // Deterministic values in [-scale, scale) (a linear congruential generator seeded by `seed`).
  void add_random(const std::string& name, const Shape& shape, uint32_t seed, float scale = 0.5f) {
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (auto& x : v) {
      seed = seed * 1664525u + 1013904223u;
      x = scale * (static_cast<float>(seed >> 8) / static_cast<float>(1u << 24) * 2.f - 1.f);
    }
    weights[name] = {shape, std::move(v)};
  }
  // Renames every key starting with `from` to start with `to` ("distilbert." -> "": a bare model).
  void rename_prefix(const std::string& from, const std::string& to) {
    std::map<std::string, TinyWeight> renamed;
    for (auto& [name, w] : weights)
      renamed[name.rfind(from, 0) == 0 ? to + name.substr(from.size()) : name] = std::move(w);
    weights = std::move(renamed);
  }
  const std::vector<float>& operator[](const std::string& name) const { return weights.at(name).data; }

  // The repository under the temp directory as lmpipe_tiny_<name>.
  std::filesystem::path write(const std::string& name) const {
    const auto dir = std::filesystem::temp_directory_path() / ("lmpipe_tiny_" + name);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    for (const auto& entry : std::filesystem::directory_iterator(golden_model(golden_))) {
      const auto file = entry.path().filename().string();
      if (file == "config.json" || file == "expected.json" || file.find("model") == 0) continue;
      std::filesystem::create_symlink(std::filesystem::canonical(entry.path()), dir / file);
    }
    std::ofstream(dir / "config.json") << config.dump(2);
    write_safetensors(dir / "model.safetensors");
    return dir;
  }

 private:
  // F32 safetensors: 8-byte little-endian header size, JSON header, data.
  void write_safetensors(const std::filesystem::path& file) const {
    json header = json::object();
    size_t offset = 0;
    for (const auto& [name, w] : weights) {
      const size_t bytes = w.data.size() * sizeof(float);
      header[name] = {{"dtype", "F32"}, {"shape", w.shape}, {"data_offsets", {offset, offset + bytes}}};
      offset += bytes;
    }
    const std::string text = header.dump();
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((static_cast<uint64_t>(text.size()) >> (8 * i)) & 0xff));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    for (const auto& [name, w] : weights)
      out.write(reinterpret_cast<const char*>(w.data.data()), static_cast<std::streamsize>(w.data.size() * sizeof(float)));
  }

  std::string golden_;
};

}  // namespace lmpipe::test

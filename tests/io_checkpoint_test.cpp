// Acceptance tests for Checkpoint over the golden model directories: every format loads, and
// every tensor agrees with what its file says, bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "io/checkpoint.h"
#include "io_test_util.h"
#include "test_util.h"
#include "util/json.h"

using namespace lmpipe;

namespace {

uint32_t bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

// Expected fp32 bit pattern of element i of a raw tensor: F32 as is, BF16 and F16 widened exactly.
uint32_t expected_bits(const std::string& dtype, const char* raw, int64_t i) {
  if (dtype == "F32") {
    uint32_t b;
    std::memcpy(&b, raw + 4 * i, 4);
    return b;
  }
  uint16_t h;
  std::memcpy(&h, raw + 2 * i, 2);
  if (dtype == "BF16") return static_cast<uint32_t>(h) << 16;
  // F16: sign, 5-bit exponent (bias 15), 10-bit mantissa; subnormals below exponent 1.
  const int exponent = (h >> 10) & 31, mantissa = h & 1023;
  float v = exponent == 0    ? std::ldexp(static_cast<float>(mantissa), -24)
            : exponent == 31 ? (mantissa ? NAN : INFINITY)
                             : std::ldexp(static_cast<float>(mantissa | 1024), exponent - 25);
  return bits(h >> 15 ? -v : v);
}

void expect_same_tensors(const Checkpoint& a, const Checkpoint& b, const std::map<std::string, std::string>& a_to_b = {}) {
  ASSERT_EQ(a.size(), b.size());
  for (const auto& name : a.names()) {
    auto renamed = a_to_b.find(name);
    const std::string other = renamed == a_to_b.end() ? name : renamed->second;
    ASSERT_TRUE(b.contains(other)) << other;
    Tensor ta = a.load(name), tb = b.load(other);
    ASSERT_EQ(ta.shape(), tb.shape()) << name;
    EXPECT_EQ(std::memcmp(ta.data(), tb.data(), sizeof(float) * ta.numel()), 0) << name;
  }
}

}  // namespace

TEST(IoCheckpoint, EveryGoldenModelLoads) {
  const auto dirs = test::golden_model_dirs();
  ASSERT_EQ(dirs.size(), 24u);
  for (const auto& dir : dirs) {
    SCOPED_TRACE(dir.filename().string());
    Checkpoint ckpt = Checkpoint::open(dir);
    EXPECT_GT(ckpt.size(), 0u);
    for (const auto& name : ckpt.names()) {
      Tensor t = ckpt.load(name, ckpt.info(name).shape);
      EXPECT_EQ(t.numel(), shape_numel(ckpt.info(name).shape));
    }
  }
}

// Reads each model.safetensors header independently and compares every tensor's name, dtype,
// shape and fp32 values (bf16 and fp16 widened bit-exactly) with what Checkpoint returns.
TEST(IoCheckpoint, TensorsMatchTheSafetensorsHeader) {
  int files = 0;
  for (const auto& dir : test::golden_model_dirs()) {
    const auto file = dir / "model.safetensors";
    if (!std::filesystem::exists(file)) continue;
    SCOPED_TRACE(file.string());
    ++files;
    const std::string bytes = test::read_file(file);
    uint64_t header_size;
    std::memcpy(&header_size, bytes.data(), 8);
    const json header = json::parse(bytes.substr(8, header_size));
    const char* data = bytes.data() + 8 + header_size;
    Checkpoint ckpt = Checkpoint::open(dir);
    EXPECT_EQ(ckpt.size(), header.size() - (header.contains("__metadata__") ? 1 : 0));
    for (const auto& [name, entry] : header.items()) {
      if (name == "__metadata__") continue;
      ASSERT_TRUE(ckpt.contains(name)) << name;
      const std::string dtype = entry["dtype"];
      ASSERT_TRUE(dtype == "F32" || dtype == "BF16" || dtype == "F16") << "fixture dtype " << dtype;
      EXPECT_EQ(dtype_name(ckpt.info(name).dtype), dtype) << name;
      EXPECT_EQ(ckpt.info(name).shape, entry["shape"].get<Shape>()) << name;
      Tensor t = ckpt.load(name);
      const char* raw = data + entry["data_offsets"][0].get<uint64_t>();
      for (int64_t i = 0; i < t.numel(); ++i)
        ASSERT_EQ(bits(t.data()[i]), expected_bits(dtype, raw, i)) << name << "[" << i << "]";
    }
  }
  EXPECT_GE(files, 12);
}

TEST(IoCheckpoint, F32TensorsAreZeroCopyViews) {
  Checkpoint ckpt = Checkpoint::open(test::golden_model("tiny-bert"));
  const TensorInfo& info = ckpt.info("bert.embeddings.word_embeddings.weight");
  Tensor t = ckpt.load("bert.embeddings.word_embeddings.weight");
  EXPECT_EQ(static_cast<const void*>(t.data()), static_cast<const void*>(info.data));
}

TEST(IoCheckpoint, ShardedSafetensorsEqualTheSingleFile) {
  Checkpoint sharded = Checkpoint::open(test::golden_model("tiny-bart-mnli-sharded"));
  Checkpoint single = Checkpoint::open(test::golden_model("tiny-bart-mnli"));
  expect_same_tensors(sharded, single);
  // Both shards contributed.
  std::set<std::string> files;
  for (const auto& name : sharded.names()) files.insert(std::filesystem::path(sharded.info(name).file).filename());
  EXPECT_EQ(files, (std::set<std::string>{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}));
}

TEST(IoCheckpoint, LegacyBinWithGammaBetaEqualsSafetensors) {
  Checkpoint bin = Checkpoint::open(test::golden_model("tiny-bert-legacy-bin"));
  Checkpoint safe = Checkpoint::open(test::golden_model("tiny-bert"));
  for (const auto& name : bin.names()) {
    EXPECT_EQ(name.find("gamma"), std::string::npos) << name;
    EXPECT_EQ(name.find("beta"), std::string::npos) << name;
  }
  EXPECT_TRUE(bin.contains("bert.embeddings.LayerNorm.weight"));
  EXPECT_TRUE(bin.contains("cls.predictions.transform.LayerNorm.bias"));
  EXPECT_EQ(std::filesystem::path(bin.info("bert.pooler.dense.weight").file).filename(), "pytorch_model.bin");
  expect_same_tensors(bin, safe);
}

// tiny-gpt2-legacy is the bf16 model widened to fp32, saved without the "transformer." prefix.
TEST(IoCheckpoint, Gpt2LegacyEqualsBf16AfterWidening) {
  Checkpoint legacy = Checkpoint::open(test::golden_model("tiny-gpt2-legacy"));
  Checkpoint bf16 = Checkpoint::open(test::golden_model("tiny-gpt2-bf16"));
  EXPECT_TRUE(bf16.has_prefix("transformer."));
  EXPECT_FALSE(legacy.has_prefix("transformer."));
  EXPECT_FALSE(legacy.contains("lm_head.weight"));
  EXPECT_FALSE(bf16.contains("lm_head.weight"));
  EXPECT_EQ(legacy.info("wte.weight").dtype, DType::F32);
  EXPECT_EQ(bf16.info("transformer.wte.weight").dtype, DType::BF16);
  std::map<std::string, std::string> renamed;
  for (const auto& name : legacy.names()) renamed[name] = "transformer." + name;
  expect_same_tensors(legacy, bf16, renamed);
}

TEST(IoCheckpoint, HasPrefix) {
  Checkpoint ckpt = Checkpoint::open(test::golden_model("tiny-bart-mnli"));
  EXPECT_TRUE(ckpt.has_prefix("model.encoder."));
  EXPECT_TRUE(ckpt.has_prefix("classification_head."));
  EXPECT_FALSE(ckpt.has_prefix("transformer."));
  EXPECT_FALSE(ckpt.has_prefix("zzz"));
}

TEST(IoCheckpoint, PrefersSafetensorsOverPytorchBin) {
  test::ScratchDir dir;
  std::filesystem::copy_file(test::golden_model("tiny-bert") / "model.safetensors", dir / "model.safetensors");
  test::write_file(dir / "pytorch_model.bin", "not a zip");
  Checkpoint ckpt = Checkpoint::open(dir.path());
  EXPECT_EQ(std::filesystem::path(ckpt.info("bert.pooler.dense.weight").file).filename(), "model.safetensors");
}

TEST(IoCheckpoint, ShardedPytorchBin) {
  test::ScratchDir dir;
  std::filesystem::copy_file(test::golden_model("tiny-bert-legacy-bin") / "pytorch_model.bin",
                             dir / "pytorch_model-00001-of-00001.bin");
  Checkpoint bin = Checkpoint::open(test::golden_model("tiny-bert-legacy-bin"));
  json index = {{"metadata", json::object()}, {"weight_map", json::object()}};
  for (const auto& name : {"bert.pooler.dense.weight", "bert.embeddings.LayerNorm.gamma"})
    index["weight_map"][name] = "pytorch_model-00001-of-00001.bin";
  test::write_file(dir / "pytorch_model.bin.index.json", index.dump());
  Checkpoint sharded = Checkpoint::open(dir.path());
  expect_same_tensors(sharded, bin);
}

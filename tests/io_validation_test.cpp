// Bad checkpoint files must raise lmpipe::Error naming the file at fault, never crash or load
// wrong values. Each test writes its own small bad file into a scratch directory.
#include <gtest/gtest.h>

#include <random>

#include "io/checkpoint.h"
#include "io_test_util.h"
#include "test_util.h"
#include "util/json.h"

using namespace lmpipe;
using test::expect_error;

namespace {

// One 2x2 F32 tensor "w" = [1, 2, 3, 4] plus whatever `extra` header entries say.
std::string one_tensor_header(const std::string& extra = "") {
  return R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]})" + extra + "}";
}

Checkpoint open_safetensors_bytes(const test::ScratchDir& dir, const std::string& bytes) {
  test::write_file(dir / "model.safetensors", bytes);
  return Checkpoint::open(dir.path());
}

}  // namespace

TEST(IoSafetensors, ValidFileLoads) {
  test::ScratchDir dir;
  Checkpoint ckpt = open_safetensors_bytes(dir, test::safetensors_bytes(one_tensor_header(), test::f32_bytes({1, 2, 3, 4})));
  Tensor w = ckpt.load("w", {2, 2});
  EXPECT_EQ(w.data()[3], 4.0f);
}

TEST(IoSafetensors, HeaderOverrunningTheFile) {
  test::ScratchDir dir;
  const auto file = (dir / "model.safetensors").string();
  expect_error([&] { open_safetensors_bytes(dir, test::safetensors_bytes(one_tensor_header(), test::f32_bytes({1, 2, 3, 4}), 4096)); },
               {file, "overruns the file"});
  expect_error([&] { open_safetensors_bytes(dir, test::safetensors_bytes(one_tensor_header(), "", int64_t{1} << 62)); },
               {file, "overruns the file"});
  expect_error([&] { open_safetensors_bytes(dir, "abc"); }, {file, "too small"});
}

TEST(IoSafetensors, InvalidJsonHeader) {
  test::ScratchDir dir;
  expect_error([&] { open_safetensors_bytes(dir, test::safetensors_bytes(R"({"w": {"dtype": "F32",)", "")); },
               {(dir / "model.safetensors").string(), "invalid JSON header"});
  expect_error([&] { open_safetensors_bytes(dir, test::safetensors_bytes("[1, 2]", "")); }, {"not a JSON object"});
  expect_error([&] { open_safetensors_bytes(dir, test::safetensors_bytes(R"({"w": {"dtype": "F32"}})", "")); },
               {"tensor 'w'", "missing field 'shape'"});
}

TEST(IoSafetensors, UnknownDtype) {
  test::ScratchDir dir;
  expect_error(
      [&] {
        open_safetensors_bytes(
            dir, test::safetensors_bytes(R"({"w":{"dtype":"Q7","shape":[2],"data_offsets":[0,2]}})", "ab"));
      },
      {(dir / "model.safetensors").string(), "tensor 'w'", "unknown dtype 'Q7'"});
}

TEST(IoSafetensors, OutOfRangeOffsets) {
  test::ScratchDir dir;
  const std::string data = test::f32_bytes({1, 2, 3, 4});
  expect_error(
      [&] {
        open_safetensors_bytes(dir, test::safetensors_bytes(R"({"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", data));
      },
      {(dir / "model.safetensors").string(), "tensor 'w'", "out of range"});
  expect_error(
      [&] {
        open_safetensors_bytes(dir, test::safetensors_bytes(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", data));
      },
      {"out of range"});
  // Offsets in range but not the size the shape needs.
  expect_error(
      [&] {
        open_safetensors_bytes(dir, test::safetensors_bytes(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data));
      },
      {"tensor 'w'", "needs 12"});
  expect_error(
      [&] {
        open_safetensors_bytes(
            dir, test::safetensors_bytes(R"({"w":{"dtype":"F32","shape":[4611686018427387904,8],"data_offsets":[0,16]}})", data));
      },
      {"tensor 'w'", "too large"});
}

TEST(IoSafetensors, OverlappingOffsets) {
  test::ScratchDir dir;
  expect_error(
      [&] {
        open_safetensors_bytes(
            dir, test::safetensors_bytes(one_tensor_header(R"(,"v":{"dtype":"F32","shape":[2],"data_offsets":[8,16]})"),
                                         test::f32_bytes({1, 2, 3, 4})));
      },
      {(dir / "model.safetensors").string(), "overlapping"});
}

TEST(IoCheckpointOpen, MissingModelFilesListWhatWasLookedFor) {
  test::ScratchDir dir;
  test::write_file(dir / "config.json", "{}");
  expect_error([&] { Checkpoint::open(dir.path()); },
               {dir.path().string(), "no model weights", "model.safetensors", "model.safetensors.index.json",
                "pytorch_model.bin", "pytorch_model.bin.index.json"});
  test::write_file(dir / "tf_model.h5", "x");
  expect_error([&] { Checkpoint::open(dir.path()); }, {"tf_model.h5"});
  expect_error([&] { Checkpoint::open(dir / "nope"); }, {"nope", "not a model directory"});
}

TEST(IoSharded, MissingShard) {
  test::ScratchDir dir;
  test::write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"w": "model-00001-of-00002.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path()); },
               {(dir / "model.safetensors.index.json").string(), "model-00001-of-00002.safetensors", "missing"});
}

TEST(IoSharded, TensorListedButAbsentFromItsShard) {
  test::ScratchDir dir;
  test::write_file(dir / "a.safetensors", test::safetensors_bytes(one_tensor_header(), test::f32_bytes({1, 2, 3, 4})));
  test::write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"w": "a.safetensors", "v": "a.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path()); }, {(dir / "a.safetensors").string(), "tensor 'v'", "absent"});
}

TEST(IoSharded, TensorInTwoShards) {
  test::ScratchDir dir;
  const std::string data = test::f32_bytes({1, 2, 3, 4, 5});
  test::write_file(dir / "a.safetensors", test::safetensors_bytes(one_tensor_header(), data));
  test::write_file(dir / "b.safetensors",
                   test::safetensors_bytes(one_tensor_header(R"(,"x":{"dtype":"F32","shape":[1],"data_offsets":[16,20]})"), data));
  test::write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"w": "a.safetensors", "x": "b.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path()); }, {"tensor 'w'", "appears twice", "a.safetensors", "b.safetensors"});
}

TEST(IoSharded, MalformedIndex) {
  test::ScratchDir dir;
  const std::string index = (dir / "model.safetensors.index.json").string();
  test::write_file(index, R"({"metadata": {}})");
  expect_error([&] { Checkpoint::open(dir.path()); }, {index, "weight_map"});
  test::write_file(index, R"({"weight_map": {"w": 3}})");
  expect_error([&] { Checkpoint::open(dir.path()); }, {index, "'w'"});
  test::write_file(index, R"({"weight_map": {"w": "../model.safetensors"}})");
  expect_error([&] { Checkpoint::open(dir.path()); }, {index, "invalid shard"});
  test::write_file(index, R"({"weight_map": )");
  expect_error([&] { Checkpoint::open(dir.path()); }, {index, "invalid JSON"});
}

TEST(IoLegacyNames, ModernAndLegacyNameCollide) {
  test::ScratchDir dir;
  const std::string header = R"({"a.LayerNorm.gamma":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                             R"("a.LayerNorm.weight":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  expect_error([&] { open_safetensors_bytes(dir, test::safetensors_bytes(header, test::f32_bytes({1, 2}))); },
               {"a.LayerNorm.weight", "legacy"});
}

// ---- pytorch_model.bin ------------------------------------------------------------------------

namespace {

std::string bin_bytes(const std::string& pickle, const std::vector<std::pair<std::string, std::string>>& storages,
                      const std::string& byteorder = "little", bool zip64 = false) {
  std::vector<std::pair<std::string, std::string>> entries = {{"archive/data.pkl", pickle},
                                                              {"archive/byteorder", byteorder}};
  for (const auto& [key, data] : storages) entries.emplace_back("archive/data/" + key, data);
  return test::zip_bytes(entries, zip64);
}

Checkpoint open_bin_bytes(const test::ScratchDir& dir, const std::string& bytes) {
  test::write_file(dir / "pytorch_model.bin", bytes);
  return Checkpoint::open(dir.path());
}

}  // namespace

TEST(IoTorchBin, StorageOffsetAndStridesAreRespected) {
  test::ScratchDir dir;
  // Storage [0..7]; "t" is the transpose of a 2x3 view at offset 2: [[2,5],[3,6],[4,7]].
  const auto pickle = test::state_dict_pickle({{"t", "FloatStorage", "0", 8, 2, {3, 2}, {1, 3}},
                                               {"row", "FloatStorage", "0", 8, 5, {3}, {1}},
                                               {"empty", "FloatStorage", "0", 8, 0, {0, 4}, {4, 1}}});
  Checkpoint ckpt = open_bin_bytes(dir, bin_bytes(pickle, {{"0", test::f32_bytes({0, 1, 2, 3, 4, 5, 6, 7})}}));
  Tensor t = ckpt.load("t", {3, 2});
  EXPECT_EQ(std::vector<float>(t.data(), t.data() + 6), (std::vector<float>{2, 5, 3, 6, 4, 7}));
  Tensor row = ckpt.load("row", {3});
  EXPECT_EQ(std::vector<float>(row.data(), row.data() + 3), (std::vector<float>{5, 6, 7}));
  EXPECT_EQ(ckpt.load("empty").numel(), 0);
}

TEST(IoTorchBin, HalfAndBFloat16Storages) {
  test::ScratchDir dir;
  const auto pickle = test::state_dict_pickle({{"h", "HalfStorage", "0", 2, 0, {2}, {1}},
                                               {"b", "BFloat16Storage", "1", 2, 0, {2}, {1}}});
  // fp16 1.5 = 0x3e00, -2 = 0xc000; bf16 1.5 = 0x3fc0, -2 = 0xc000.
  Checkpoint ckpt = open_bin_bytes(
      dir, bin_bytes(pickle, {{"0", test::le_bytes(0x3e00, 2) + test::le_bytes(0xc000, 2)},
                              {"1", test::le_bytes(0x3fc0, 2) + test::le_bytes(0xc000, 2)}}));
  EXPECT_EQ(ckpt.info("h").dtype, DType::F16);
  EXPECT_EQ(ckpt.info("b").dtype, DType::BF16);
  for (const char* name : {"h", "b"}) {
    Tensor t = ckpt.load(name);
    EXPECT_EQ(t.data()[0], 1.5f) << name;
    EXPECT_EQ(t.data()[1], -2.0f) << name;
  }
}

TEST(IoTorchBin, ViewReachingPastItsStorage) {
  test::ScratchDir dir;
  const auto pickle = test::state_dict_pickle({{"t", "FloatStorage", "0", 4, 2, {2, 2}, {2, 1}}});
  expect_error([&] { open_bin_bytes(dir, bin_bytes(pickle, {{"0", test::f32_bytes({0, 1, 2, 3})}})); },
               {(dir / "pytorch_model.bin").string(), "reaches element 5"});
}

TEST(IoTorchBin, StorageMissingOrShort) {
  test::ScratchDir dir;
  const auto pickle = test::state_dict_pickle({{"t", "FloatStorage", "0", 4, 0, {4}, {1}}});
  expect_error([&] { open_bin_bytes(dir, bin_bytes(pickle, {})); }, {"pytorch_model.bin", "archive/data/0", "missing"});
  expect_error([&] { open_bin_bytes(dir, bin_bytes(pickle, {{"0", test::f32_bytes({1, 2})}})); },
               {"pytorch_model.bin", "storage '0'", "too few"});
}

TEST(IoTorchBin, RefusesGlobalsOffTheAllowList) {
  test::ScratchDir dir;
  test::Pickle p;
  p.global("os", "system").str("echo pwned").op('\x85').op('R').op('.');
  expect_error([&] { open_bin_bytes(dir, bin_bytes(p.s, {})); }, {"pytorch_model.bin", "os.system", "allow-list"});
  // An allowed name that is not a constructor.
  test::Pickle q;
  q.global("torch", "FloatStorage").op(')').op('R').op('.');
  expect_error([&] { open_bin_bytes(dir, bin_bytes(q.s, {})); }, {"torch.FloatStorage", "not a supported constructor"});
}

TEST(IoTorchBin, NotAStateDictOfTensors) {
  test::ScratchDir dir;
  test::Pickle list;
  list.op(']').op('.');
  expect_error([&] { open_bin_bytes(dir, bin_bytes(list.s, {})); }, {"pytorch_model.bin", "list, not a state dict"});
  test::Pickle number;
  number.op('}').str("step").integer(3).op('s').op('.');
  expect_error([&] { open_bin_bytes(dir, bin_bytes(number.s, {})); }, {"'step'", "int, not a tensor"});
}

TEST(IoTorchBin, BigEndianAndLegacyFormatsAreRejected) {
  test::ScratchDir dir;
  const auto pickle = test::state_dict_pickle({});
  expect_error([&] { open_bin_bytes(dir, bin_bytes(pickle, {}, "big")); }, {"pytorch_model.bin", "little-endian"});
  expect_error([&] { open_bin_bytes(dir, std::string("\x80\x02\x8a\x0a", 4) + "legacy"); }, {"pytorch_model.bin", "legacy"});
  expect_error([&] { open_bin_bytes(dir, test::zip_bytes({{"other.txt", "x"}})); }, {"pytorch_model.bin", "data.pkl"});
}

TEST(IoTorchBin, TruncatedFile) {
  test::ScratchDir dir;
  const std::string good = test::read_file(test::golden_model("tiny-bert-legacy-bin") / "pytorch_model.bin");
  const std::string file = (dir / "pytorch_model.bin").string();
  for (size_t cut : {size_t{0}, size_t{1}, size_t{21}, size_t{4096}, good.size() / 2, good.size() - 23, good.size() - 1}) {
    SCOPED_TRACE(cut);
    expect_error([&] { open_bin_bytes(dir, good.substr(0, cut)); }, {file});
  }
  // The same file whole still loads.
  EXPECT_GT(open_bin_bytes(dir, good).size(), 0u);
}

TEST(IoTorchBin, TruncatedPickle) {
  test::ScratchDir dir;
  const auto pickle = test::state_dict_pickle({{"t", "FloatStorage", "0", 4, 0, {4}, {1}}});
  for (size_t cut : {size_t{0}, size_t{2}, size_t{20}, pickle.size() / 2, pickle.size() - 1}) {
    SCOPED_TRACE(cut);
    expect_error([&] { open_bin_bytes(dir, bin_bytes(pickle.substr(0, cut), {{"0", test::f32_bytes({1, 2, 3, 4})}})); },
                 {"pytorch_model.bin", "data.pkl"});
  }
}

// Random byte flips in the pickle or the zip directory either still load or raise
// lmpipe::Error; nothing else.
TEST(IoTorchBin, CorruptFileNeverCrashes) {
  test::ScratchDir dir;
  const std::string good = test::read_file(test::golden_model("tiny-bert-legacy-bin") / "pytorch_model.bin");
  const size_t pkl_start = good.find("data.pkl") + 8;  // the first local header's data follows its name
  std::mt19937 rng(1234);
  int errors = 0;
  const size_t tail = good.size() - 6000;  // central directory and end records
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = good;
    bad[trial % 2 ? pkl_start + rng() % 5000 : tail + rng() % 6000] = static_cast<char>(rng());
    try {
      open_bin_bytes(dir, bad);
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 0);
}

TEST(IoTorchBin, CompressedEntriesAreRejected) {
  test::ScratchDir dir;
  std::string zip = test::zip_bytes({{"archive/data.pkl", test::state_dict_pickle({})}});
  zip[8] = 8;  // local header method: deflate
  const size_t central = zip.find(std::string("PK\x01\x02", 4));
  zip[central + 10] = 8;  // central directory method
  expect_error([&] { open_bin_bytes(dir, zip); }, {"pytorch_model.bin", "archive/data.pkl", "compressed"});
}

TEST(IoTorchBin, Zip64Archive) {
  test::ScratchDir dir;
  const auto pickle = test::state_dict_pickle({{"t", "FloatStorage", "0", 3, 0, {3}, {1}}});
  Checkpoint ckpt = open_bin_bytes(dir, bin_bytes(pickle, {{"0", test::f32_bytes({1, 2, 3})}}, "little", true));
  Tensor t = ckpt.load("t", {3});
  EXPECT_EQ(std::vector<float>(t.data(), t.data() + 3), (std::vector<float>{1, 2, 3}));
}

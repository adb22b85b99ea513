// Fuzz-ish robustness: random or damaged input either succeeds or throws lmpipe::Error, never
// crashes, hangs or throws anything else. Meant to be run under scripts/sanitize.sh too, where
// an out-of-bounds read or UB in a loader fails the run. Seeds are fixed, so failures reproduce.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "io/checkpoint.h"
#include "io/config.h"
#include "lmpipe/tokenizer.h"
#include "models/model.h"
#include "test_util.h"
#include "tokenizers/legacy.h"
#include "util/error.h"
#include "util/json.h"

using namespace lmpipe;
namespace fs = std::filesystem;

namespace {

// Strict UTF-8 (as Rust's str): no overlongs, surrogates or code points past U+10FFFF.
bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Runs `f`; fails the test when it throws anything but lmpipe::Error. Returns whether it succeeded.
bool succeeds_or_error(const std::function<void()>& f, const std::string& what) {
  try {
    f();
    return true;
  } catch (const Error&) {
    return false;
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << ": threw a non-lmpipe exception: " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << ": threw a non-std exception";
  }
  return false;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

fs::path scratch_dir(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("lmpipe_robustness_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Random bytes, biased towards UTF-8 lead/continuation bytes so that many strings are nearly valid.
std::string random_bytes(std::mt19937& rng, size_t max_len) {
  static const unsigned char kInteresting[] = {0x00, 0x20, 0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
                                               0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF8, 0xFF, '#', '<'};
  std::string s(rng() % (max_len + 1), '\0');
  for (auto& c : s)
    c = static_cast<char>(rng() % 2 ? kInteresting[rng() % sizeof(kInteresting)] : rng() % 256);
  return s;
}

// Random valid UTF-8 drawn from every plane, with spaces, combining marks and tokenizer specials.
std::string random_text(std::mt19937& rng, size_t max_chars) {
  static const char* kPieces[] = {" ", "  ", "\t", "\n", "\u0301", "\u200b", "\u3000", "[CLS]", "<s>", "</s>",
                                  "[MASK]", "<mask>", "\u2581", "\xef\xbb\xbf", "A", "z", "9", "."};
  std::string s;
  const size_t n = rng() % (max_chars + 1);
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 3 == 0) {
      s += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
      continue;
    }
    uint32_t cp = rng() % 4 == 0 ? rng() % 0x80 : rng() % 0x110000;
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
    if (cp < 0x80) s += static_cast<char>(cp);
    else if (cp < 0x800) s += {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    else if (cp < 0x10000)
      s += {static_cast<char>(0xE0 | (cp >> 12)), static_cast<char>(0x80 | ((cp >> 6) & 0x3F)),
            static_cast<char>(0x80 | (cp & 0x3F))};
    else
      s += {static_cast<char>(0xF0 | (cp >> 18)), static_cast<char>(0x80 | ((cp >> 12) & 0x3F)),
            static_cast<char>(0x80 | ((cp >> 6) & 0x3F)), static_cast<char>(0x80 | (cp & 0x3F))};
  }
  return s;
}

class RobustnessTokenizer : public ::testing::TestWithParam<std::string> {};

// Invalid UTF-8 raises lmpipe::Error; anything valid encodes (truncated, padded, decoded back).
TEST_P(RobustnessTokenizer, RandomBytesAndTextEncodeOrThrowError) {
  const auto tok = Tokenizer::from_dir(test::golden_tokenizer(GetParam()));
  std::mt19937 rng(1234);
  EncodeOptions truncate;
  truncate.truncation = Truncation::LongestFirst;
  truncate.max_length = 8;
  for (int i = 0; i < 60; ++i) {
    const std::string bytes = random_bytes(rng, 24);
    const std::string text = random_text(rng, 24);
    const std::string what = GetParam() + " input #" + std::to_string(i);
    if (!valid_utf8(bytes)) {
      EXPECT_THROW(tok.encode(bytes), Error) << what;
      EXPECT_THROW(tok.encode_pair(text, bytes), Error) << what;
    } else {
      succeeds_or_error([&] { tok.encode(bytes); }, what + " (bytes)");
    }
    succeeds_or_error(
        [&] {
          std::vector<Encoding> batch{tok.encode(text), tok.encode_pair(text, text, truncate)};
          tok.pad(batch);
          tok.decode(batch[0].ids, false);
        },
        what + " (text)");
  }
}

INSTANTIATE_TEST_SUITE_P(Goldens, RobustnessTokenizer,
                         ::testing::Values("bert-base-uncased", "deberta-v3", "t5"));

// A small safetensors file (header + data) with one tensor of each dtype that load() converts.
std::string small_safetensors() {
  const std::string header =
      R"({"__metadata__":{"format":"pt"},)"
      R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},)"
      R"("c":{"dtype":"F16","shape":[2],"data_offsets":[32,36]},)"
      R"("d":{"dtype":"I64","shape":[],"data_offsets":[36,44]}})";
  std::string bytes(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(bytes.data(), &n, 8);
  bytes += header;
  for (int i = 0; i < 44; ++i) bytes += static_cast<char>(i * 37 + 11);
  return bytes;
}

// Opens `bytes` as a safetensors file and reads every tensor it claims to hold.
bool open_and_load(const fs::path& file, const std::string& bytes, const std::string& what) {
  write_file(file, bytes);
  return succeeds_or_error(
      [&] {
        const auto ckpt = Checkpoint::open_safetensors(file);
        for (const auto& name : ckpt.names()) {
          const TensorInfo& info = ckpt.info(name);
          volatile uint8_t sink = 0;
          for (size_t i = 0; i < info.nbytes; ++i) sink = sink ^ info.data[i];
          if (info.dtype == DType::F32 || info.dtype == DType::F16 || info.dtype == DType::BF16) {
            const Tensor t = ckpt.load(name);
            volatile float sum = 0;
            for (int64_t i = 0; i < t.numel(); ++i) sum = sum + t.data()[i];
          }
        }
      },
      what);
}

TEST(RobustnessCheckpoint, TruncatedAndBitFlippedSafetensors) {
  const auto dir = scratch_dir("safetensors");
  const auto file = dir / "model.safetensors";
  const std::string good = small_safetensors();
  ASSERT_TRUE(open_and_load(file, good, "intact file"));
  for (size_t len = 0; len < good.size(); len += len < 16 ? 1 : 7)
    EXPECT_FALSE(open_and_load(file, good.substr(0, len), "truncated to " + std::to_string(len)))
        << "a truncated file must not load: " << len << " bytes";
  // One bit of every other byte of the size prefix and header, then random multi-byte damage.
  std::mt19937 rng(99);
  const size_t header_end = good.size() - 44;
  for (size_t byte = 0; byte < header_end; byte += 2) {
    const int bit = static_cast<int>(rng() % 8);
    std::string bad = good;
    bad[byte] = static_cast<char>(bad[byte] ^ (1 << bit));
    open_and_load(file, bad, "bit " + std::to_string(bit) + " of byte " + std::to_string(byte) + " flipped");
  }
  for (int i = 0; i < 60; ++i) {
    std::string bad = good;
    for (int k = 0; k < 4; ++k) bad[rng() % bad.size()] = static_cast<char>(rng() % 256);
    open_and_load(file, bad, "random damage #" + std::to_string(i));
  }
  fs::remove_all(dir);
}

// Byte lengths at which to cut a file: every one for short files, `count` spread ones otherwise.
std::vector<size_t> cut_points(size_t size, size_t count) {
  std::vector<size_t> cuts;
  const size_t step = size <= count ? 1 : size / count;
  for (size_t len = 0; len < size; len += step) cuts.push_back(len);
  return cuts;
}

// A model directory holding only config.json with `config_bytes`: no weights, so that loading
// stays fast; every variant whose config is accepted then fails (with Error) on the weights.
fs::path model_dir_with_config(const std::string& model, const std::string& config_bytes) {
  const auto dir = fs::temp_directory_path() / ("lmpipe_robustness_model_" + model);
  fs::create_directories(dir);
  write_file(dir / "config.json", config_bytes);
  return dir;
}

class RobustnessConfig : public ::testing::TestWithParam<std::string> {};

// Truncated config.json, then each top-level field removed or given a value of the wrong type.
TEST_P(RobustnessConfig, DamagedConfigLoadsOrThrowsError) {
  const std::string model = GetParam();
  const std::string good = read_file(test::golden_model(model) / "config.json");
  for (size_t len : cut_points(good.size(), 16)) {
    const auto dir = model_dir_with_config(model, good.substr(0, len));
    const std::string what = model + " config.json cut to " + std::to_string(len);
    EXPECT_FALSE(succeeds_or_error([&] { ModelConfig::load(dir); }, what)) << what;
    EXPECT_FALSE(succeeds_or_error([&] { load_sequence_classifier(dir); }, what)) << what;
  }
  const json config = json::parse(good);
  const json replacements[] = {json(), json(-1), json(0), json("x"), json::object()};
  for (const auto& [key, value] : config.items()) {
    json removed = config;
    removed.erase(key);
    const auto dir = model_dir_with_config(model, removed.dump());
    succeeds_or_error([&] { load_sequence_classifier(dir); }, model + " config.json without " + key);
    for (const json& r : replacements) {
      json changed = config;
      changed[key] = r;
      const auto dir2 = model_dir_with_config(model, changed.dump());
      succeeds_or_error([&] { load_sequence_classifier(dir2); }, model + " config.json " + key + "=" + r.dump());
    }
  }
  fs::remove_all(fs::temp_directory_path() / ("lmpipe_robustness_model_" + model));
}

INSTANTIATE_TEST_SUITE_P(Goldens, RobustnessConfig,
                         ::testing::Values("tiny-bart-mnli", "tiny-roberta-mnli", "tiny-deberta-v3-nli", "tiny-distilbert-mnli"));

class RobustnessTokenizerJson : public ::testing::TestWithParam<std::string> {};

// Truncated tokenizer.json, then each field of each pipeline component removed or mistyped.
TEST_P(RobustnessTokenizerJson, DamagedTokenizerJsonLoadsOrThrowsError) {
  const std::string name = GetParam();
  const std::string good = read_file(test::golden_tokenizer(name) / "tokenizer.json");
  const auto dir = scratch_dir("tokenizer_" + name);
  const auto file = dir / "tokenizer.json";
  for (size_t len : cut_points(good.size(), 4)) {
    write_file(file, good.substr(0, len));
    const std::string what = name + " tokenizer.json cut to " + std::to_string(len);
    EXPECT_FALSE(succeeds_or_error([&] { Tokenizer::from_file(file); }, what)) << what;
  }
  const json tokenizer = json::parse(good);
  const json replacements[] = {json("x")};  // removal already covers null
  auto try_variant = [&](const json& variant, const std::string& what) {
    write_file(file, variant.dump());
    succeeds_or_error(
        [&] {
          const auto tok = Tokenizer::from_file(file);
          const auto enc = tok.encode_pair("Hello world, héllo <s> [SEP] ünïcödé 123", "a b");
          tok.decode(enc.ids, false);
        },
        what);
  };
  for (const char* component : {"normalizer", "pre_tokenizer", "post_processor", "decoder", "model", "truncation",
                                "padding", "added_tokens"}) {
    if (!tokenizer.contains(component)) continue;
    for (const json& r : replacements) {
      json changed = tokenizer;
      changed[component] = r;
      try_variant(changed, name + " " + component + "=" + r.dump());
    }
    if (!tokenizer[component].is_object()) continue;
    for (const auto& [key, value] : tokenizer[component].items()) {
      if (key == "vocab" || key == "merges") continue;  // replaced below once, not per sub-key
      json removed = tokenizer;
      removed[component].erase(key);
      try_variant(removed, name + " " + component + " without " + key);
      for (const json& r : replacements) {
        json changed = tokenizer;
        changed[component][key] = r;
        try_variant(changed, name + " " + component + "." + key + "=" + r.dump());
      }
    }
  }
  // The first entry of the first added token, first vocab entry and first merge given bad types.
  if (tokenizer["added_tokens"].is_array() && !tokenizer["added_tokens"].empty())
    for (const auto& [key, value] : tokenizer["added_tokens"][0].items())
      for (const json& r : replacements) {
        json changed = tokenizer;
        changed["added_tokens"][0][key] = r;
        try_variant(changed, name + " added_tokens[0]." + key + "=" + r.dump());
      }
  for (const char* field : {"vocab", "merges"}) {
    const json& v = tokenizer["model"].value(field, json());
    if (v.is_array() && !v.empty())
      for (const json& r : replacements) {
        json changed = tokenizer;
        changed["model"][field][0] = r;
        try_variant(changed, name + " model." + field + "[0]=" + r.dump());
      }
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Goldens, RobustnessTokenizerJson, ::testing::Values("deberta-v3"));

// A precompiled_charsmap whose darts-clone trie maps "a" to the blob's first string, `blob`.
std::string charsmap_mapping_a_to(const std::string& blob) {
  std::vector<uint32_t> trie(98, 0);
  trie[0] = 1u << 10;                       // root: offset 1, so 'a' lands on node 1 ^ 'a' = 96
  trie[96] = (1u << 10) | (1u << 8) | 'a';  // label 'a', has a leaf, offset 1 -> leaf node 97
  trie[97] = 0;                             // the leaf: index 0 into the blob
  std::string bytes;
  auto put = [&](uint32_t v) {
    for (int k = 0; k < 4; ++k) bytes += static_cast<char>((v >> (8 * k)) & 0xFF);
  };
  put(static_cast<uint32_t>(trie.size() * 4));
  for (uint32_t unit : trie) put(unit);
  return bytes + blob;
}

// The replacement strings are decoded as UTF-8 when applied: a blob that is not must be refused
// at load, as spm_precompiled does, rather than read past its end.
TEST(RobustnessTokenizerJson, PrecompiledCharsmapWithInvalidUtf8IsRefused) {
  json tokenizer = read_json_file(test::golden_tokenizer("deberta-v3") / "tokenizer.json");
  const auto dir = scratch_dir("precompiled");
  const auto file = dir / "tokenizer.json";
  tokenizer["normalizer"] = {{"type", "Precompiled"}, {"precompiled_charsmap", tok::base64_encode(charsmap_mapping_a_to("b"))}};
  write_file(file, tokenizer.dump());
  const auto tok = Tokenizer::from_file(file);
  EXPECT_EQ(tok.encode("a").ids, tok.encode("b").ids);  // the hand-made trie works
  tokenizer["normalizer"]["precompiled_charsmap"] = tok::base64_encode(charsmap_mapping_a_to("\xF0"));
  write_file(file, tokenizer.dump());
  EXPECT_THROW(Tokenizer::from_file(file), Error);
  fs::remove_all(dir);
}

}  // namespace

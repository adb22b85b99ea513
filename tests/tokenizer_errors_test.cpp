// Bad input raises lmpipe::Error naming the file or field at fault.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lmpipe/tokenizer.h"
#include "test_util.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// A scratch tokenizer directory holding a modified copy of the bert-base-uncased tokenizer.json.
class TokenizerErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lmpipe_tok_errors_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    base_ = read_json_file(test::golden_tokenizer("bert-base-uncased") / "tokenizer.json");
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  std::string load_error() {
    try {
      Tokenizer::from_dir(dir_);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }

  fs::path dir_;
  json base_;
};

TEST_F(TokenizerErrors, InvalidUtf8Input) {
  Tokenizer tok = Tokenizer::from_dir(test::golden_tokenizer("bert-base-uncased"));
  EXPECT_THROW(tok.encode(std::string("ab\xC3(cd")), Error);
  EXPECT_THROW(tok.encode_pair("fine", std::string("\xFF")), Error);
  EXPECT_THROW(tok.encode_batch({"ok", std::string("\xED\xA0\x80")}), Error);  // a surrogate
}

TEST_F(TokenizerErrors, UnknownPreTokenizer) {
  base_["pre_tokenizer"] = {{"type", "Foo"}};
  write("tokenizer.json", base_.dump());
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.json: pre_tokenizer.type 'Foo' is not supported"));
}

TEST_F(TokenizerErrors, UnknownNestedNormalizer) {
  base_["normalizer"] = {{"type", "Sequence"}, {"normalizers", {{{"type", "NFC"}}, {{"type", "Bar"}}}}};
  write("tokenizer.json", base_.dump());
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.json: normalizer.normalizers[1].type 'Bar' is not supported"));
}

TEST_F(TokenizerErrors, UnknownPostProcessor) {
  base_["post_processor"] = {{"type", "Baz"}};
  write("tokenizer.json", base_.dump());
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.json: post_processor.type 'Baz' is not supported"));
}

TEST_F(TokenizerErrors, InvalidRegex) {
  base_["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(["}}}, {"behavior", "Isolated"}};
  write("tokenizer.json", base_.dump());
  EXPECT_THAT(load_error(), HasSubstr("pre_tokenizer.pattern"));
}

TEST_F(TokenizerErrors, InvalidJson) {
  write("tokenizer.json", "{ not json");
  EXPECT_THAT(load_error(), HasSubstr("tokenizer.json"));
}

TEST_F(TokenizerErrors, MissingTokenizerFiles) {
  EXPECT_THAT(load_error(), HasSubstr(dir_.string()));
}

TEST_F(TokenizerErrors, MissingDirectory) {
  EXPECT_THROW(Tokenizer::from_dir(dir_ / "nope"), Error);
}

}  // namespace
}  // namespace lmpipe

// Typed JSON field access: wrong types and lossy numbers are errors naming the field.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "util/json.h"

namespace lmpipe {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonGet, IntegersMustBeWholeAndInRange) {
  json j = json::parse(R"({"a": 2.5, "b": 300, "c": -1, "d": 7, "e": "7", "f": 2.0})");
  EXPECT_NE(error_of([&] { json_get<int64_t>(j, "a", "config.json"); }).find("config.json: field 'a' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of([&] { json_get<int64_t>(j, "f", "config.json"); }).find("must be an integer"), std::string::npos);
  EXPECT_NE(error_of([&] { json_get<int8_t>(j, "b", "x"); }).find("field 'b' is out of range: 300"), std::string::npos);
  EXPECT_NE(error_of([&] { json_get<uint32_t>(j, "c", "x"); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { json_get<size_t>(j, "e", "x"); }).find("must be an integer"), std::string::npos);
  EXPECT_EQ(json_get<size_t>(j, "d", "x"), 7u);
  EXPECT_EQ(json_get<int32_t>(j, "c", "x"), -1);
  EXPECT_NE(error_of([&] { json_get_or<int32_t>(j, "a", 0); }).find("field 'a' must be an integer"), std::string::npos);
  EXPECT_EQ(json_get_or<int32_t>(j, "missing", 4), 4);
  EXPECT_DOUBLE_EQ(json_get<double>(j, "a", "x"), 2.5);
}

TEST(UtilJson, ParseKeepsKeyOrderAndFoldsRepeatedKeysAsPython) {
  json j = parse_json(R"({"b": 1, "a": {"y": [1, {"z": null}], "x": true}, "b": 2, "c": "\u00e9"})");
  std::vector<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"b", "a", "c"}));  // a repeated key keeps its first place...
  EXPECT_EQ(j["b"], 2);                                         // ...and its last value
  EXPECT_EQ(j["a"].dump(), R"({"y":[1,{"z":null}],"x":true})");
  EXPECT_EQ(j["c"], "\xC3\xA9");
  EXPECT_EQ(parse_json("[1, [2, []], {}]").dump(), "[1,[2,[]],{}]");
  EXPECT_EQ(parse_json("\"text\""), "text");
  EXPECT_THROW(parse_json(R"({"a": })"), json::parse_error);
  EXPECT_THROW(parse_json("1 2"), json::parse_error);

  // A vocabulary-sized object, built and read back in order.
  std::string big = "{";
  for (int i = 0; i < 50000; ++i) big += (i ? ",\"t" : "\"t") + std::to_string(i) + "\": " + std::to_string(i);
  json vocab = parse_json(big + "}");
  ASSERT_EQ(vocab.size(), 50000u);
  int expected = 0;
  for (auto it = vocab.begin(); it != vocab.end(); ++it, ++expected) ASSERT_EQ(it.value(), expected);
}

}  // namespace
}  // namespace lmpipe

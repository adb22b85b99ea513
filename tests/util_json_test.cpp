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

}  // namespace
}  // namespace lmpipe

// py_format: Python's str.format with string arguments. Expected values are what CPython 3.12
// returns or raises for `template.format(*args)`.
#include "pipelines/py_format.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lmpipe/zero_shot.h"
#include "util/error.h"

namespace lmpipe {
namespace {

using ::testing::HasSubstr;

TEST(PyFormat, FormatsAsPython) {
  struct Case {
    std::string tmpl, arg, expected;
  };
  for (const auto& c : std::vector<Case>{
           {"This example is {}.", "spam", "This example is spam."},
           {"{0} and {0}", "a", "a and a"},
           {"{{}} {}", "a", "{} a"},
           {"{{{}}}", "a", "{a}"},
           {"}}{{", "a", "}{"},
           {"{:>5}", "ab", "   ab"},
           {"{:<5}|", "ab", "ab   |"},
           {"{:^5}", "ab", " ab  "},
           {"{:*^7}", "ab", "**ab***"},
           {"{:.1}", "abc", "a"},
           {"{:05}", "ab", "ab000"},
           {"{:s}", "ab", "ab"},
           {"{:3}", "abcdef", "abcdef"},
           {"{:>4}", "\xC3\xA9t\xC3\xA9", " \xC3\xA9t\xC3\xA9"},  // widths count characters, not bytes
           {"{0[1]}", "abc", "b"},
           {"{0[0][0]}", "abc", "a"},
           {"{!r}", "a", "'a'"},
           {"{!r}", "it's", "\"it's\""},
           {"{!r}", "a\nb\\", "'a\\nb\\\\'"},
           {"{!r}", "\xC3\xA9", "'\xC3\xA9'"},
           {"{!r}", "\xE2\x80\x8B", "'\\u200b'"},  // ZERO WIDTH SPACE is not printable
           {"{!a}", "\xC3\xA9", "'\\xe9'"},
           {"{!s:>3}", "a", "  a"},
           {"{0:{0}}", "3", "3  "},  // a nested field in the spec: width 3, str aligns left
       }) {
    EXPECT_EQ(py_format(c.tmpl, {c.arg}), c.expected) << c.tmpl;
  }
}

TEST(PyFormat, RaisesAsPython) {
  struct Case {
    std::string tmpl, error;
  };
  for (const auto& c : std::vector<Case>{
           {"{} or {}?", "IndexError: Replacement index 1 out of range for positional args tuple"},
           {"{1}", "IndexError: Replacement index 1 out of range for positional args tuple"},
           {"Closing } only {}", "ValueError: Single '}' encountered in format string"},
           {"{}}", "ValueError: Single '}' encountered in format string"},
           {"{", "ValueError: Single '{' encountered in format string"},
           {"Unclosed { brace", "ValueError: expected '}' before end of string"},
           {"{0}{}", "ValueError: cannot switch from manual field specification to automatic field numbering"},
           {"{}{0}", "ValueError: cannot switch from automatic field numbering to manual field specification"},
           {"{name}", "KeyError: 'name'"},
           {"{0]}", "KeyError: '0]'"},
           {"{0[]}", "ValueError: Empty attribute in format string"},
           {"{0[9]}", "IndexError: string index out of range"},
           {"{0[x]}", "TypeError: string indices must be integers, not 'str'"},
           {"{0[0]x}", "ValueError: Only '.' or '[' may follow ']' in format field specifier"},
           {"{a{b}", "ValueError: unexpected '{' in field name"},
           {"{!x}", "ValueError: Unknown conversion specifier x"},
           {"{!rr}", "ValueError: expected ':' after conversion specifier"},
           {"{!", "ValueError: end of string while looking for conversion specifier"},
           {"{:>5", "ValueError: unmatched '{' in format spec"},
           {"{:+}", "ValueError: Sign not allowed in string format specifier"},
           {"{:#}", "ValueError: Alternate form (#) not allowed in string format specifier"},
           {"{:=5}", "ValueError: '=' alignment not allowed in string format specifier"},
           {"{:,}", "ValueError: Cannot specify ',' with 's'."},
           {"{:d}", "ValueError: Unknown format code 'd' for object of type 'str'"},
           {"{:.}", "ValueError: Format specifier missing precision"},
           {"{:xx}", "ValueError: Invalid format specifier 'xx' for object of type 'str'"},
           {"{:{}}", "IndexError: Replacement index 1 out of range for positional args tuple"},
           {"{0.upper}", "attribute lookups in format fields ('.upper') are not supported"},
       }) {
    EXPECT_THAT([&] { py_format(c.tmpl, {"abc"}); }, ::testing::ThrowsMessage<Error>(HasSubstr(c.error))) << c.tmpl;
  }
  // Two levels of nesting at most (PEP 3101); with one argument the index runs out first.
  EXPECT_THAT([] { py_format("{:{:{}}}", {"a", "b", "c"}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("ValueError: Max string recursion exceeded")));
  EXPECT_THAT([] { py_format("{", {"a"}); }, ::testing::ThrowsMessage<Error>(HasSubstr("Single '{'")));
  EXPECT_THAT([] { py_format("{}", {"bad \xff"}); }, ::testing::ThrowsMessage<Error>(HasSubstr("not valid UTF-8")));
}

TEST(PyFormat, ZeroShotChecksTheTemplateLikeTransformers) {
  ZeroShotOptions options;
  options.hypothesis_template = "{{}}";  // formats to "{}", which differs: transformers accepts it
  EXPECT_EQ(ZeroShotClassificationPipeline::hypotheses({"a", "b"}, options), (std::vector<std::string>{"{}", "{}"}));
  options.hypothesis_template = "no field";
  EXPECT_THAT([&] { ZeroShotClassificationPipeline::check_arguments({"a"}, options); },
              ::testing::ThrowsMessage<Error>(HasSubstr("was not able to be formatted with the target labels")));
  options.hypothesis_template = "{0[2]}";  // fails for the short label only
  EXPECT_THAT([&] { ZeroShotClassificationPipeline::check_arguments({"long", "ab"}, options); },
              ::testing::ThrowsMessage<Error>(HasSubstr("with the label \"ab\": IndexError: string index out of range")));
  EXPECT_THAT([] { ZeroShotClassificationPipeline::check_arguments({}, ZeroShotOptions{}); },
              ::testing::ThrowsMessage<Error>(HasSubstr("at least one label")));
}

}  // namespace
}  // namespace lmpipe

// The command line's arguments with the real binary (issue 13): usage errors and exit codes,
// checks before loading, labels, templates, --version, the environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cli_test_util.h"

namespace lmpipe::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// 5. Arguments are checked once, before a model is looked for.
TEST(CliUsage, ArgumentsAreCheckedOnceBeforeTheModel) {
  auto r = run_cli({"zero-shot", "-m", "/nonexistent/model", "-l", "a", "-t", "none"}, {.input = {"a\nb\nc\n"}});
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(r.err_count("hypothesis_template \"none\""), 1u) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("/nonexistent/model")));
  EXPECT_EQ(r.out, "");

  // A Hub id is not resolved either: the (unreachable) Hub is never asked.
  auto hub = run_cli({"zero-shot", "-m", "org/model", "-l", "a", "-t", "{} {}"},
                     {.input = {"a\n"}, .env = {{"HF_HUB_OFFLINE", std::nullopt}, {"HF_ENDPOINT", "http://127.0.0.1:9"}}});
  EXPECT_EQ(hub.status, 2);
  EXPECT_THAT(hub.err, HasSubstr("IndexError: Replacement index 1 out of range for positional args tuple"));
  EXPECT_THAT(hub.err, Not(HasSubstr("127.0.0.1")));

  auto batch = run_cli({"zero-shot", "-m", "/nonexistent/model", "-l", "a", "--batch-size", "0"});
  EXPECT_EQ(batch.status, 2);
  EXPECT_THAT(batch.err, Not(HasSubstr("/nonexistent/model")));
}

// 7. Usage errors name the problem and exit 2.
TEST(CliUsage, UnknownCommandsAndOptionsAreNamed) {
  auto foo = run_cli({"foo"});
  EXPECT_EQ(foo.status, 2);
  EXPECT_THAT(foo.err, HasSubstr("lmpipe: error: unknown command 'foo' (commands: zero-shot, text-generation, summarization, translation, text2text-generation, fill-mask, feature-extraction, next-sentence, embed, tokenize, download, cache, serve, version)"));
  EXPECT_THAT(foo.err, HasSubstr("Try 'lmpipe --help'."));

  auto cache = run_cli({"cache", "foo"});
  EXPECT_EQ(cache.status, 2);
  EXPECT_THAT(cache.err, HasSubstr("lmpipe: error: cache: unknown command 'foo' (commands: list)"));
  auto cache_alone = run_cli({"cache"});
  EXPECT_EQ(cache_alone.status, 2);
  EXPECT_THAT(cache_alone.err, HasSubstr("cache: a command is required (list)"));

  auto bogus = run_cli({"zero-shot", "--bogus"});
  EXPECT_EQ(bogus.status, 2);
  EXPECT_THAT(bogus.err, HasSubstr("lmpipe: error: zero-shot: unknown option '--bogus'"));
  EXPECT_THAT(bogus.err, HasSubstr("Try 'lmpipe zero-shot --help'."));
  EXPECT_THAT(bogus.err, Not(HasSubstr("labels")));

  auto no_value = run_cli({"zero-shot", "-l", "a", "--model"});
  EXPECT_EQ(no_value.status, 2);
  EXPECT_THAT(no_value.err, HasSubstr("option --model needs a value"));
  auto twice = run_cli({"zero-shot", "-m", "a", "-m", "b", "-l", "a"});
  EXPECT_EQ(twice.status, 2);
  EXPECT_THAT(twice.err, HasSubstr("option --model is given more than once"));

  auto none = run_cli({});
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("a command is required"));
}

TEST(CliUsage, HelpAndVersion) {
  auto help = run_cli({"help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("zero-shot"));
  EXPECT_THAT(help.out, HasSubstr("Exit status: 0"));
  auto help_zero_shot = run_cli({"help", "zero-shot"});
  EXPECT_EQ(help_zero_shot.status, 0);
  EXPECT_THAT(help_zero_shot.out, HasSubstr("--multi-label"));
  EXPECT_THAT(help_zero_shot.out, HasSubstr("Texts that start with '-' go after '--'"));
  EXPECT_EQ(run_cli({"zero-shot", "--help"}).out, help_zero_shot.out);

  auto version = run_cli({"--version"});
  EXPECT_EQ(version.status, 0);
  EXPECT_THAT(version.out, StartsWith("lmpipe 0."));
  for (const char* library : {"\noneDNN ", "\nOniguruma ", "\nutf8proc ", "\nSentencePiece ", "\nlibcurl ",
                              "\nnlohmann/json ", "\nCLI11 "})
    EXPECT_THAT(version.out, HasSubstr(library));
  EXPECT_EQ(run_cli({"version"}).out, version.out);
}

TEST(CliUsage, NumbersAreCheckedWithPlainMessages) {
  auto zero = run_cli({"zero-shot", "-l", "a", "--batch-size", "0"});
  EXPECT_EQ(zero.status, 2);
  EXPECT_THAT(zero.err, HasSubstr("--batch-size 0: expected a whole number from 1 to 4096"));
  EXPECT_LT(zero.err.size(), 200u);
  auto huge = run_cli({"zero-shot", "-l", "a", "--batch-size", "99999999999999999999999"});
  EXPECT_EQ(huge.status, 2);
  EXPECT_THAT(huge.err, HasSubstr("--batch-size 99999999999999999999999: too large"));
  auto negative = run_cli({"zero-shot", "-l", "a", "--batch-size", "-1"});
  EXPECT_EQ(negative.status, 2);
  EXPECT_THAT(negative.err, HasSubstr("--batch-size -1: expected a whole number"));
}

TEST(CliUsage, TextsStartingWithADashGoAfterDoubleDash) {
  auto dash = run_cli({"zero-shot", "-m", cli_model(), "-l", "a", "-hello world"});
  EXPECT_EQ(dash.status, 2);
  EXPECT_THAT(dash.err, HasSubstr("unknown option '-hello world'"));
  EXPECT_THAT(dash.err, HasSubstr("goes after '--'"));
  EXPECT_EQ(dash.out, "");

  auto after = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", "--", "-hello world"});
  ASSERT_EQ(after.status, 0) << after.err;
  EXPECT_EQ(json::parse(after.out)["sequence"], "-hello world");
}

// 8. Labels: --label one at a time (commas are part of it), --labels split at commas.
TEST(CliUsage, LabelsMayContainCommas) {
  auto r = run_cli({"zero-shot", "-m", cli_model(), "--label", "New York, NY", "--label", "Paris", "a trip"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(json::parse(r.out)["labels"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre("New York, NY", "Paris"));

  auto repeated = run_cli({"zero-shot", "-m", cli_model(), "-l", "a", "-l", "b, c", "--label", "d,e", "text"});
  ASSERT_EQ(repeated.status, 0) << repeated.err;
  EXPECT_THAT(json::parse(repeated.out)["labels"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre("a", "b", "c", "d,e"));

  auto none = run_cli({"zero-shot", "-m", cli_model(), "-l", " , ", "text"});
  EXPECT_EQ(none.status, 2);
  EXPECT_THAT(none.err, HasSubstr("no candidate labels"));
}

// 9. Templates are Python's str.format with one label.
TEST(CliUsage, TemplatesAreCheckedAsPythonFormatsThem) {
  struct Case {
    std::string tmpl, error;
  };
  for (const auto& c : std::vector<Case>{
           {"{} or {}?", "IndexError: Replacement index 1 out of range for positional args tuple"},
           {"Closing } only {}", "ValueError: Single '}' encountered in format string"},
           {"{}}", "ValueError: Single '}' encountered in format string"},
           {"Unclosed { brace", "ValueError: expected '}' before end of string"},
           {"{name}", "KeyError: 'name'"},
           {"no field", "was not able to be formatted with the target labels"}}) {
    auto r = run_cli({"zero-shot", "-m", "/nonexistent", "-l", "a", "-t", c.tmpl, "text"});
    EXPECT_EQ(r.status, 2) << c.tmpl;
    EXPECT_THAT(r.err, HasSubstr(c.error)) << c.tmpl;
    EXPECT_THAT(r.err, HasSubstr("\"" + c.tmpl + "\"")) << c.tmpl;
  }
  // Templates Python accepts, one record each.
  std::string records;
  for (const char* ok : {"This is {}.", "{0} again", "{{braces}} and {}", "{:>12}!", "{!r}"})
    records += json{{"text", "text"}, {"hypothesis_template", ok}}.dump() + "\n";
  auto r = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", "--input-format", "jsonl"}, {.input = {records}});
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.records().size(), 5u);
}

// 14. LMPIPE_LOG levels in any case; unknown values are warned about. LMPIPE_NUM_THREADS=0.
TEST(CliUsage, LogLevels) {
  std::string long_text;
  for (int i = 0; i < 300; ++i) long_text += "word ";
  auto classify = [&](std::optional<std::string> level) {
    return run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", long_text}, {.env = {{"LMPIPE_LOG", level}}});
  };
  EXPECT_THAT(classify(std::nullopt).err, HasSubstr("lmpipe: warning: input truncated"));
  for (const char* quiet : {"ERROR", "Off"}) {
    auto r = classify(std::string(quiet));
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(r.err, "") << quiet;
  }
  auto unknown = classify(std::string("quiet"));
  EXPECT_EQ(unknown.status, 0);
  EXPECT_THAT(unknown.err, HasSubstr("lmpipe: warning: LMPIPE_LOG='quiet' is not a log level (debug, info, warning, "
                                     "error, off); using warning"));
  EXPECT_THAT(unknown.err, HasSubstr("input truncated"));  // the warning level applies
  auto nonsense = run_cli({"version"}, {.env = {{"LMPIPE_LOG", "nonsense"}}});
  EXPECT_EQ(nonsense.status, 0);
  EXPECT_THAT(nonsense.err, HasSubstr("LMPIPE_LOG='nonsense' is not a log level"));

  auto tokenize = [](const std::string& level) {
    return run_cli({"tokenize", "-m", golden_tokenizer("bert-base-uncased").string(), "x"}, {.env = {{"LMPIPE_LOG", level}}});
  };
  auto info = tokenize("INFO");
  EXPECT_THAT(info.err, HasSubstr("lmpipe: info: tokenize: loaded the tokenizer of "));
  EXPECT_THAT(info.err, Not(HasSubstr("lmpipe: debug: ")));
  EXPECT_THAT(tokenize("debug").err, HasSubstr("lmpipe: debug: "));
  EXPECT_EQ(tokenize("warning").err, "");
}

TEST(CliUsage, ThreadCountZeroMeansAllCores) {
  auto all = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", "text"}, {.env = {{"LMPIPE_NUM_THREADS", "0"}}});
  EXPECT_EQ(all.status, 0) << all.err;
  auto bad = run_cli({"zero-shot", "-m", "/nonexistent", "-l", "a,b", "text"}, {.env = {{"LMPIPE_NUM_THREADS", "abc"}}});
  EXPECT_EQ(bad.status, 2);
  EXPECT_THAT(bad.err, HasSubstr("LMPIPE_NUM_THREADS='abc': expected a thread count from 1 to 4096, or 0 for all cores"));
}

}  // namespace
}  // namespace lmpipe::test

// Streaming with the real binary (issue 13): bad lines, input formats, records, progress on a
// terminal, write errors, unusual stdin.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>

#include "cli_test_util.h"

namespace lmpipe::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<std::string> zero_shot(std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"zero-shot", "-m", cli_model(), "-l", "a,b"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// 1. One bad line: its error record, and the stream goes on.
TEST(CliStream, BadBytesGiveOneErrorRecordAndTheStreamGoesOn) {
  auto r = run_cli(zero_shot(), {.input = {"first\nbad \xff\nnext1\nnext2\n"}});
  EXPECT_EQ(r.status, 1) << r.err;
  auto records = r.records();
  ASSERT_EQ(records.size(), 4u) << r.out;
  EXPECT_EQ(records[0]["sequence"], "first");
  EXPECT_EQ(records[1]["line"], 2);
  EXPECT_THAT(records[1]["error"].get<std::string>(), HasSubstr("byte 0xFF at position 4"));
  EXPECT_THAT(records[1]["error"].get<std::string>(), HasSubstr("\"bad \\xFF\""));  // the bytes, escaped
  EXPECT_EQ(records[2]["sequence"], "next1");
  EXPECT_EQ(records[3]["sequence"], "next2");
  EXPECT_EQ(r.err_count("lmpipe: error: line 2: not valid UTF-8: byte 0xFF at position 4"), 1u) << r.err;
  EXPECT_THAT(r.err, HasSubstr("1 of 4 lines failed"));
}

TEST(CliStream, Latin1RandomBytesAndBadJsonLinesNeverStopTheStream) {
  auto latin1 = run_cli(zero_shot(), {.input = {"caf\xe9 au lait\nplain text\n"}});
  EXPECT_EQ(latin1.status, 1);
  auto records = latin1.records();
  ASSERT_EQ(records.size(), 2u) << latin1.out;
  EXPECT_EQ(records[0]["line"], 1);
  EXPECT_THAT(records[0]["error"].get<std::string>(), HasSubstr("0xE9"));
  EXPECT_EQ(records[1]["sequence"], "plain text");

  std::mt19937 rng(13);
  std::string noise;
  for (int i = 0; i < 3000; ++i) noise += static_cast<char>(rng() & 0xff);
  auto random = run_cli(zero_shot(), {.input = {noise}});
  EXPECT_EQ(random.status, 1);
  // Every line gets a record (all of them JSON) unless it is empty.
  size_t expected = 0;
  for (size_t start = 0; start < noise.size();) {
    size_t end = std::min(noise.find('\n', start), noise.size());
    std::string line = noise.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    expected += !line.empty();
    start = end + 1;
  }
  EXPECT_EQ(random.records().size(), expected);

  auto jsonl = run_cli(zero_shot({"--input-format", "jsonl"}), {.input = {"{\"text\": \"bad \xff\", \"id\": 7}\n{\"text\": \"ok\"}\n"}});
  EXPECT_EQ(jsonl.status, 1);
  records = jsonl.records();
  ASSERT_EQ(records.size(), 2u) << jsonl.out;
  EXPECT_EQ(records[0]["line"], 1);
  EXPECT_THAT(records[0]["error"].get<std::string>(), HasSubstr("0xFF"));
  EXPECT_EQ(records[1]["sequence"], "ok");
}

TEST(CliStream, Utf16InputIsNamed) {
  std::string utf16("\xff\xfeh\0i\0\n\0", 8);
  auto r = run_cli(zero_shot(), {.input = {utf16}});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("standard input is UTF-16"));
  EXPECT_THAT(r.err, HasSubstr("iconv"));
}

// 2. A line is text unless JSONL is asked for; JSONL lines may start with spaces or a BOM.
TEST(CliStream, TextLinesAreTakenExactlyAsGiven) {
  const std::vector<std::string> lines = {"\"Quoted\" is how this plain line starts", "{braces} start this plain line",
                                          "\"Yes\"", "   {\"text\": \"x\"}"};
  std::string input;
  for (const auto& l : lines) input += l + "\n";
  auto r = run_cli(zero_shot(), {.input = {"\xEF\xBB\xBFhello\n" + input}});
  ASSERT_EQ(r.status, 0) << r.err;
  auto records = r.records();
  ASSERT_EQ(records.size(), 5u) << r.out;
  EXPECT_EQ(records[0]["sequence"], "hello");  // the byte-order mark is not text
  for (size_t i = 0; i < lines.size(); ++i) EXPECT_EQ(records[i + 1]["sequence"], lines[i]);
}

TEST(CliStream, JsonlWhenAskedOrForJsonlFiles) {
  const std::string input = "\xEF\xBB\xBF{\"text\": \"first\"}\n   {\"text\": \"spaced\"}\n\"a JSON string\"\n";
  auto r = run_cli(zero_shot({"--input-format", "jsonl"}), {.input = {input}});
  ASSERT_EQ(r.status, 0) << r.err;
  auto records = r.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["sequence"], "first");
  EXPECT_EQ(records[1]["sequence"], "spaced");
  EXPECT_EQ(records[2]["sequence"], "a JSON string");

  TempDir dir;
  std::ofstream(dir / "texts.jsonl") << "{\"text\": \"from a file\", \"id\": 1}\n";
  auto file = run_cli(zero_shot({"--input", (dir / "texts.jsonl").string()}));
  ASSERT_EQ(file.status, 0) << file.err;
  ASSERT_EQ(file.records().size(), 1u);
  EXPECT_EQ(file.records()[0]["sequence"], "from a file");
  EXPECT_EQ(file.records()[0]["id"], 1);
  auto as_text = run_cli(zero_shot({"--input", (dir / "texts.jsonl").string(), "--input-format", "text"}));
  ASSERT_EQ(as_text.status, 0) << as_text.err;
  EXPECT_EQ(as_text.records()[0]["sequence"], "{\"text\": \"from a file\", \"id\": 1}");

  auto bad_format = run_cli(zero_shot({"--input-format", "csv"}));
  EXPECT_EQ(bad_format.status, 2);
  EXPECT_THAT(bad_format.err, HasSubstr("--input-format csv: expected one of text, jsonl"));
  auto missing = run_cli(zero_shot({"--input", (dir / "nope.txt").string()}));
  EXPECT_EQ(missing.status, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.txt: No such file or directory"));
}

// 6. Error records have one shape and a line number; empty lines are skipped; other JSONL
// fields are copied; per-record candidate_labels are used.
TEST(CliStream, RecordsCarryTheirFieldsAndErrorsTheirLine) {
  const std::string input =
      "{\"id\": \"a1\", \"text\": \"one\"}\n"
      "\n"
      "{\"id\": \"a2\", \"text\": \"two\", \"candidate_labels\": [\"New York, NY\", \"Paris\"]}\n"
      "{\"id\": \"a3\", \"text\": 5}\n"
      "[1, 2]\n"
      "{\"id\": \"a4\"}\n"
      "{\"id\": \"a5\", \"text\": \"x\", \"hypothesis_template\": \"{} or {}\"}\n"
      "{not json\n"
      "{\"id\": \"a6\", \"text\": \"three\", \"candidate_labels\": \"c, d\", \"multi_label\": true}\n";
  auto r = run_cli(zero_shot({"--input-format", "jsonl"}), {.input = {input}});
  EXPECT_EQ(r.status, 1);
  auto records = r.records();
  ASSERT_EQ(records.size(), 8u) << r.out;  // the empty line has none
  EXPECT_EQ(records[0].begin().key(), "id");
  EXPECT_EQ(records[0]["id"], "a1");
  EXPECT_EQ(records[0]["sequence"], "one");
  EXPECT_EQ(records[1]["id"], "a2");
  EXPECT_THAT(records[1]["labels"].get<std::vector<std::string>>(),
              ::testing::UnorderedElementsAre("New York, NY", "Paris"));
  EXPECT_THAT(records[7]["labels"].get<std::vector<std::string>>(), ::testing::UnorderedElementsAre("c", "d"));
  EXPECT_EQ(records[7]["id"], "a6");
  struct Expected {
    size_t index, line;
    std::string error;
  };
  for (const auto& e : std::vector<Expected>{{2, 4, "field 'text' must be a string, not number"},
                                             {3, 5, "a JSONL record must be an object"},
                                             {4, 6, "no 'text' field"},
                                             {5, 7, "IndexError: Replacement index 1 out of range"},
                                             {6, 8, "invalid JSON"}}) {
    const json& rec = records[e.index];
    EXPECT_EQ(rec["line"], e.line) << rec.dump();
    EXPECT_THAT(rec["error"].get<std::string>(), HasSubstr(e.error));
    EXPECT_EQ(r.err_count("line " + std::to_string(e.line) + ": "), 1u) << r.err;
  }
  EXPECT_EQ(records[2]["id"], "a3");  // the fields of a bad record are kept too
  EXPECT_EQ(records[5]["id"], "a5");
}

TEST(CliStream, EmptyLinesAreSkippedNotFailed) {
  auto r = run_cli(zero_shot(), {.input = {"one\n\n\ntwo\n"}});
  EXPECT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(r.records().size(), 2u);
  EXPECT_EQ(r.err, "");
}

// 3. Progress: a terminal's stderr only, cleared before other output, rate-limited, a summary.
// What the terminal shows once carriage returns and erase-line sequences have done their work.
std::vector<std::string> screen(const std::string& transcript) {
  std::vector<std::string> lines{""};
  size_t column = 0;
  for (size_t i = 0; i < transcript.size(); ++i) {
    char c = transcript[i];
    std::string& line = lines.back();
    if (c == '\r') {
      column = 0;
    } else if (c == '\n') {
      lines.emplace_back();
      column = 0;
    } else if (transcript.compare(i, 3, "\x1b[K") == 0) {
      line.resize(column);
      i += 2;
    } else {
      if (column < line.size()) line[column] = c;
      else line += c;
      ++column;
    }
  }
  if (lines.back().empty()) lines.pop_back();
  return lines;
}

TEST(CliStream, ProgressOnATerminalIsClearedBeforeOtherOutput) {
  auto r = run_cli(zero_shot({"--batch-size", "1"}),
                   {.input = {"good one\n", "good two\n", "bad \xff\n", "\ngood three\n"},
                    .chunk_delay_ms = 400,
                    .chunk_after_output = true,
                    .stderr_terminal = true});
  EXPECT_EQ(r.status, 1);
  ASSERT_EQ(r.records().size(), 4u) << r.out;  // stdout has records only
  EXPECT_THAT(r.err, HasSubstr("\rlmpipe zero-shot: ")) << "no progress line was drawn";
  auto shown = screen(r.err);
  ASSERT_EQ(shown.size(), 2u) << r.err;
  EXPECT_THAT(shown[0], ::testing::StartsWith("lmpipe: error: line 3: not valid UTF-8"));
  EXPECT_TRUE(std::regex_match(
      shown[1], std::regex("lmpipe zero-shot: 5 lines: 3 done, 1 failed, 1 empty; [0-9.]+ s computing, [0-9.]+ lines/s")))
      << shown[1];
  // The rate is over compute time: the 1.2 s spent waiting for input do not count.
  double computing = std::stod(shown[1].substr(shown[1].find("; ") + 2));
  EXPECT_LT(computing, r.seconds - 1.2);
}

TEST(CliStream, ProgressRedrawsAFewTimesASecondAtMost) {
  std::vector<std::string> chunks(60, "some text\n");
  auto r = run_cli(zero_shot({"--batch-size", "1"}), {.input = chunks, .chunk_delay_ms = 20, .stderr_terminal = true});
  ASSERT_EQ(r.status, 0) << r.err;
  size_t draws = 0;
  for (size_t at = r.err.find("\rlmpipe zero-shot: "); at != std::string::npos; at = r.err.find("\rlmpipe zero-shot: ", at + 1))
    ++draws;
  EXPECT_LE(draws, r.seconds * 4 + 2) << r.err;
  EXPECT_THAT(r.err, HasSubstr("60 lines: 60 done, 0 failed"));
}

TEST(CliStream, NoProgressWhenStderrIsNotATerminal) {
  auto r = run_cli(zero_shot(), {.input = {"one\ntwo\n"}});
  ASSERT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
}

// 4. Write errors are errors; a reader that goes away is not.
TEST(CliStream, WriteErrorsFailWithAMessage) {
  auto full = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", "hi"}, {.stdout_kind = CliOptions::Out::DevFull});
  EXPECT_EQ(full.status, 1);
  EXPECT_THAT(full.err, HasSubstr("cannot write to standard output: No space left on device"));

  auto closed = run_cli({"zero-shot", "-m", "/nonexistent/model", "-l", "a,b", "hi"},
                        {.stdout_kind = CliOptions::Out::Closed});
  EXPECT_EQ(closed.status, 1);
  EXPECT_THAT(closed.err, HasSubstr("standard output is closed"));
  EXPECT_THAT(closed.err, Not(HasSubstr("/nonexistent/model")));  // found before the model is looked for

  auto tokenize = run_cli({"tokenize", "-m", cli_model(), "hello"}, {.stdout_kind = CliOptions::Out::DevFull});
  EXPECT_EQ(tokenize.status, 1);
  EXPECT_THAT(tokenize.err, HasSubstr("No space left on device"));

  auto cache = run_cli({"cache", "list"}, {.stdout_kind = CliOptions::Out::DevFull});
  EXPECT_EQ(cache.status, 1);
  EXPECT_THAT(cache.err, HasSubstr("No space left on device"));

  auto help = run_cli({"--help"}, {.stdout_kind = CliOptions::Out::DevFull});
  EXPECT_EQ(help.status, 1);
}

TEST(CliStream, AFullDiskStopsTheStreamAtTheFirstBatch) {
  std::string input;
  for (int i = 1; i <= 2000; ++i) input += i == 1500 ? "bad \xff\n" : "line " + std::to_string(i) + "\n";
  auto r = run_cli(zero_shot(), {.input = {input}, .stdout_kind = CliOptions::Out::DevFull});
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("No space left on device"));
  EXPECT_THAT(r.err, Not(HasSubstr("line 1500")));  // never got that far
}

TEST(CliStream, AReaderThatGoesAwayEndsTheStreamQuietly) {
  std::string input;
  for (int i = 0; i < 300; ++i) input += "line\n";
  auto r = run_cli(zero_shot(), {.input = {input}, .stdout_kind = CliOptions::Out::Unread});
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.err, "");
}

// 11. No silent waiting on a terminal; stdin closed or a directory is said.
TEST(CliStream, TerminalInputIsAskedFor) {
  auto r = run_cli(zero_shot(), {.input = {"typed text\n"}, .stdin_kind = CliOptions::In::Terminal});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("reading texts from the terminal, one per line; end with Ctrl-D"));
  ASSERT_EQ(r.records().size(), 1u);
  EXPECT_EQ(r.records()[0]["sequence"], "typed text");
}

TEST(CliStream, ClosedOrDirectoryStdinIsAnError) {
  auto closed = run_cli(zero_shot(), {.stdin_kind = CliOptions::In::Closed});
  EXPECT_EQ(closed.status, 2);
  EXPECT_THAT(closed.err, HasSubstr("standard input is closed"));
  auto directory = run_cli(zero_shot(), {.stdin_kind = CliOptions::In::Directory});
  EXPECT_EQ(directory.status, 2);
  EXPECT_THAT(directory.err, HasSubstr("standard input is a directory"));
  EXPECT_EQ(directory.out, "");
}

}  // namespace
}  // namespace lmpipe::test

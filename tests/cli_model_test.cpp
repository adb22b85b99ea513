// Models and the cache from the command line (issue 13): errors that name their cause, a cached
// Hub model completed from the Hub, `tokenize` with Hub ids, hypotheses too long for the model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "cli_test_util.h"
#include "fake_hub.h"
#include "io/hub.h"

namespace lmpipe::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// 12. Model paths: each problem says what it is.
TEST(CliModel, ModelPathErrorsNameTheCause) {
  TempDir dir;
  std::ofstream(dir / "file.txt") << "not a model";
  fs::create_directories(dir / "empty");
  fs::create_directories(dir / "locked");
  for (const auto& f : fs::directory_iterator(cli_model())) fs::copy_file(f.path(), dir / "locked" / f.path().filename());
  fs::permissions(dir / "locked", fs::perms::none);
  struct Case {
    std::string model, error;
  };
  std::vector<Case> cases{{(dir / "file.txt").string(), "is a file, not a model directory"},
                          {(dir / "empty").string(), "is not a model directory: it has no config.json"},
                          {(dir / "file.txt" / "sub").string(), "Not a directory"},
                          {"./no/such/dir", "no such directory"}};
  if (permissions_enforced()) cases.push_back({(dir / "locked").string(), "cannot read it: Permission denied"});
  for (const auto& c : cases) {
    auto r = run_cli({"zero-shot", "-m", c.model, "-l", "a,b", "text"}, {.unprivileged = true});
    EXPECT_EQ(r.status, 1) << c.model;
    EXPECT_THAT(r.err, HasSubstr(c.error)) << c.model;
    EXPECT_THAT(r.err, HasSubstr(c.model)) << c.model;
    EXPECT_THAT(r.err, Not(HasSubstr("filesystem error"))) << c.model;
  }
}

class CliCache : public ::testing::Test {
 protected:
  void SetUp() override {
    hub_.add_repo("org/tiny-distilbert-mnli", cli_model());
    options_.endpoint = hub_.endpoint();
    options_.cache_dir = cache_dir_.path();
  }
  // The model downloaded into the cache, as a first run would leave it.
  fs::path download() { return resolve_model("org/tiny-distilbert-mnli", options_); }
  std::map<std::string, std::optional<std::string>> env(bool offline) const {
    return {{"HF_HUB_CACHE", cache_dir_.path().string()},
            {"HF_ENDPOINT", hub_.endpoint()},
            {"HF_HUB_OFFLINE", offline ? std::optional<std::string>("1") : std::nullopt}};
  }

  FakeHub hub_;
  TempDir cache_dir_;
  HubOptions options_;
};

TEST_F(CliCache, MissingCacheIsNamed) {
  auto missing = run_cli({"cache", "list"}, {.env = {{"HF_HUB_CACHE", (cache_dir_ / "nope").string()}}});
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr("no Hugging Face cache at " + (cache_dir_ / "nope").string() + ": no such directory"));
  auto file = run_cli({"cache", "list"}, {.env = {{"HF_HUB_CACHE", cli_model() + "/config.json"}}});
  EXPECT_EQ(file.status, 1);
  EXPECT_THAT(file.err, HasSubstr("config.json: not a directory"));

  download();
  auto listed = run_cli({"cache", "list"}, {.env = env(true)});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_THAT(listed.out, HasSubstr("org/tiny-distilbert-mnli"));
}

TEST_F(CliCache, UnreadableCacheIsNamed) {
  if (!permissions_enforced()) GTEST_SKIP() << "cannot run lmpipe as a user without access here";
  download();

  fs::path blobs = cache_dir_ / "models--org--tiny-distilbert-mnli" / "blobs";
  fs::permissions(blobs, fs::perms::none);
  auto unreadable_blobs = run_cli({"cache", "list"}, {.env = env(true), .unprivileged = true});
  EXPECT_EQ(unreadable_blobs.status, 1);
  EXPECT_THAT(unreadable_blobs.out, HasSubstr("org/tiny-distilbert-mnli"));
  EXPECT_THAT(unreadable_blobs.err, HasSubstr(blobs.string() + ": Permission denied"));
  auto run = run_cli({"zero-shot", "-m", "org/tiny-distilbert-mnli", "-l", "a,b", "text"},
                     {.env = env(true), .unprivileged = true});
  EXPECT_EQ(run.status, 1);
  EXPECT_THAT(run.err, HasSubstr("Permission denied"));
  EXPECT_THAT(run.err, Not(HasSubstr("not complete in the Hugging Face cache")));
  fs::permissions(blobs, fs::perms::owner_all);

  fs::permissions(cache_dir_.path(), fs::perms::none);
  auto unreadable_cache = run_cli({"cache", "list"}, {.env = env(true), .unprivileged = true});
  fs::permissions(cache_dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                         fs::perms::others_read | fs::perms::others_exec);
  EXPECT_EQ(unreadable_cache.status, 1);
  EXPECT_THAT(unreadable_cache.err, HasSubstr("Permission denied"));
}

TEST_F(CliCache, MissingTokenizerFilesAreFetchedFromTheHub) {
  fs::path snapshot = download();
  fs::remove(snapshot / "tokenizer.json");
  auto offline = run_cli({"zero-shot", "-m", "org/tiny-distilbert-mnli", "-l", "a,b", "text"}, {.env = env(true)});
  EXPECT_EQ(offline.status, 1);
  EXPECT_THAT(offline.err, HasSubstr("its snapshot has no tokenizer files"));

  hub_.clear_log();
  auto online = run_cli({"zero-shot", "-m", "org/tiny-distilbert-mnli", "-l", "a,b", "text"}, {.env = env(false)});
  ASSERT_EQ(online.status, 0) << online.err;
  EXPECT_EQ(json::parse(online.out)["sequence"], "text");
  EXPECT_TRUE(fs::exists(snapshot / "tokenizer.json"));
  EXPECT_EQ(hub_.count("model.safetensors"), 0u);  // only what was missing
}

// 13. tokenize: Hub ids, -m, transformers' field names, checked --max-length.
TEST_F(CliCache, TokenizeTakesHubIdsAndFetchesOnlyTheTokenizer) {
  auto r = run_cli({"tokenize", "-m", "org/tiny-distilbert-mnli", "Hello world"}, {.env = env(false)});
  ASSERT_EQ(r.status, 0) << r.err;
  json encoding = json::parse(r.out);
  EXPECT_EQ(encoding.begin().key(), "input_ids");
  EXPECT_EQ(encoding["input_ids"].size(), 4u);  // [CLS] hello world [SEP]
  EXPECT_EQ(hub_.count("model.safetensors"), 0u);
  EXPECT_GE(hub_.count("tokenizer.json"), 1u);
}

TEST(CliTokenize, FieldNamesAndMaxLength) {
  auto r = run_cli({"tokenize", "-m", cli_model(), "--pair", "second", "first text"});
  ASSERT_EQ(r.status, 0) << r.err;
  json e = json::parse(r.out);
  std::vector<std::string> keys;
  for (auto it = e.begin(); it != e.end(); ++it) keys.push_back(it.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"input_ids", "attention_mask", "special_tokens_mask", "offset_mapping",
                                            "tokens", "decoded"}));
  EXPECT_EQ(e["offset_mapping"][1], json::array({0, 5}));

  for (const char* bad : {"-1", "0", "abc"}) {
    auto m = run_cli({"tokenize", "-m", cli_model(), "--max-length", bad, "text"});
    EXPECT_EQ(m.status, 2) << bad;
    EXPECT_THAT(m.err, HasSubstr(std::string("--max-length ") + bad + ": expected a whole number from 1")) << bad;
  }
  auto cut = run_cli({"tokenize", "-m", cli_model(), "--max-length", "3", "one two three four"});
  ASSERT_EQ(cut.status, 0) << cut.err;
  EXPECT_EQ(json::parse(cut.out)["input_ids"].size(), 3u);

  auto streamed = run_cli({"tokenize", "-m", cli_model(), "--input-format", "jsonl"},
                          {.input = {"{\"text\": \"a\", \"text_pair\": \"b\", \"id\": 3}\nnot json\n"}});
  EXPECT_EQ(streamed.status, 1);
  auto records = streamed.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].begin().key(), "id");
  EXPECT_EQ(records[0]["input_ids"].size(), 5u);  // [CLS] a [SEP] b [SEP]
  EXPECT_EQ(records[1]["line"], 2);
}

// 15. A hypothesis too long for the model is named as such.
TEST(CliModel, HypothesisTooLongForTheModelIsNamed) {
  std::string words;
  for (int i = 0; i < 150; ++i) words += "word ";
  for (const char* model : {"tiny-distilbert-mnli", "tiny-bart-mnli"}) {
    auto r = run_cli({"zero-shot", "-m", golden_model(model).string(), "-l", "a", "-t", words + "{}", "text"});
    EXPECT_EQ(r.status, 2) << model;
    EXPECT_THAT(r.err, HasSubstr("the hypothesis \"word word")) << model;
    EXPECT_THAT(r.err, HasSubstr("more than the 128 positions the model takes")) << model;
    EXPECT_THAT(r.err, HasSubstr("shorten the hypothesis_template or the label")) << model;
    EXPECT_THAT(r.err, Not(HasSubstr("max_position_embeddings"))) << model;
  }
  // A record's own labels: its error record says so, the others run.
  auto stream = run_cli({"zero-shot", "-m", cli_model(), "-l", "a,b", "--input-format", "jsonl"},
                        {.input = {"{\"text\": \"x\", \"candidate_labels\": [\"" + words + "\"]}\n{\"text\": \"y\"}\n"}});
  EXPECT_EQ(stream.status, 1);
  auto records = stream.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_THAT(records[0]["error"].get<std::string>(), HasSubstr("leaves no room for the text"));
  EXPECT_EQ(records[1]["sequence"], "y");
}

}  // namespace
}  // namespace lmpipe::test

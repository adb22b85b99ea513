// Hub download and cache, against the local FakeHub (tests/fake_hub.h): never the real network.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <list>
#include <optional>
#include <random>

#include "fake_hub.h"
#include "io/checkpoint.h"
#include "io/hub.h"
#include "io/hub_cache.h"
#include "test_util.h"
#include "util/digest.h"
#include "util/error.h"

using namespace lmpipe;
using ::testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

// Sets (or unsets, with nullopt) an environment variable for the scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) setenv(name, value->c_str(), 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) setenv(name_, old_->c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = fs::temp_directory_path() / ("lmpipe_hub_test_" + std::to_string(std::random_device{}()));
    fs::create_directories(cache_);
    hub_.add_repo("org/tiny-bart-mnli", test::golden_model("tiny-bart-mnli"));
    // The environment the user would set; nothing from the real one leaks in.
    env_.emplace_back("HF_ENDPOINT", hub_.endpoint());
    env_.emplace_back("HF_HUB_CACHE", cache_.string());
    env_.emplace_back("HF_HUB_OFFLINE", std::nullopt);
    env_.emplace_back("HF_TOKEN", std::nullopt);
    env_.emplace_back("HUGGING_FACE_HUB_TOKEN", std::nullopt);
    env_.emplace_back("HF_TOKEN_PATH", (cache_ / "no-token-file").string());
    options_.progress = false;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(cache_, ec);
  }

  fs::path repo_dir(const std::string& id) { return cache_ / hub::repo_folder_name(id); }
  fs::path blob(const std::string& id, const std::string& file) {
    return repo_dir(id) / "blobs" / hub_.sha256(id, file);
  }
  // No file in the cache (outside blobs/*.incomplete and locks) may be partial.
  void expect_no_temporaries() {
    for (const auto& e : fs::recursive_directory_iterator(cache_)) {
      std::string name = e.path().filename().string();
      EXPECT_EQ(name.find(".tmp-"), std::string::npos) << e.path();
    }
  }

  test::FakeHub hub_;
  fs::path cache_;
  std::list<ScopedEnv> env_;
  HubOptions options_;
};

TEST_F(HubTest, ColdDownloadBuildsThePythonCacheLayout) {
  fs::path snap = resolve_model("org/tiny-bart-mnli", options_);
  std::string commit = hub_.commit("org/tiny-bart-mnli");
  EXPECT_EQ(snap, repo_dir("org/tiny-bart-mnli") / "snapshots" / commit);
  EXPECT_EQ(read_file(repo_dir("org/tiny-bart-mnli") / "refs" / "main"), commit);  // no newline

  fs::path golden = test::golden_model("tiny-bart-mnli");
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"}) {
    ASSERT_TRUE(fs::is_symlink(snap / f)) << f;
    EXPECT_EQ(read_file(snap / f), read_file(golden / f)) << f;
  }
  EXPECT_FALSE(fs::exists(snap / "expected.json"));  // not something a model needs
  // LFS files are stored under their sha256, regular files under their git blob sha1.
  EXPECT_EQ(fs::read_symlink(snap / "model.safetensors"),
            fs::path("../../blobs") / hub_.sha256("org/tiny-bart-mnli", "model.safetensors"));
  EXPECT_EQ(fs::read_symlink(snap / "config.json"),
            fs::path("../../blobs") / git_blob_sha1_file_hex(golden / "config.json"));
  EXPECT_FALSE(fs::exists(fs::path(blob("org/tiny-bart-mnli", "model.safetensors")).concat(".incomplete")));
  expect_no_temporaries();

  Checkpoint ckpt = Checkpoint::open(snap);
  EXPECT_EQ(ckpt.load("model.shared.weight").shape(), (Shape{50265, 16}));
}

TEST_F(HubTest, CachedModelNeedsNoNetwork) {
  fs::path first = resolve_model("org/tiny-bart-mnli", options_);
  hub_.clear_log();
  EXPECT_EQ(resolve_model("org/tiny-bart-mnli", options_), first);
  EXPECT_TRUE(hub_.requests().empty());
  // Checking for updates asks for the revision's commit only: nothing is transferred again.
  EXPECT_EQ(download_model("org/tiny-bart-mnli", options_), first);
  EXPECT_EQ(hub_.requests().size(), 1u);
  EXPECT_EQ(hub_.count("/api/models/org/tiny-bart-mnli/revision/main"), 1u);
}

TEST_F(HubTest, ShardedSafetensorsFetchIndexAndShards) {
  hub_.add_repo("org/sharded", test::golden_model("tiny-bart-mnli-sharded"));
  fs::path snap = resolve_model("org/sharded", options_);
  for (const char* f : {"model.safetensors.index.json", "model-00001-of-00002.safetensors",
                        "model-00002-of-00002.safetensors", "tokenizer.json"}) {
    EXPECT_TRUE(fs::exists(snap / f)) << f;
  }
  size_t tensors = 0;
  for (const char* shard : {"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}) {
    tensors += Checkpoint::open_safetensors(snap / shard).size();
  }
  EXPECT_GT(tensors, 10u);
}

TEST_F(HubTest, SentenceTransformerModulesKeepTheirFolders) {
  hub_.add_repo("sentence-bert", test::golden_model("tiny-sentence-bert"));  // an id without org
  fs::path snap = resolve_model("sentence-bert", options_);
  EXPECT_EQ(snap.parent_path().parent_path().filename(), "models--sentence-bert");
  for (const char* f : {"modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
                        "1_Pooling/config.json", "model.safetensors"}) {
    EXPECT_TRUE(fs::exists(snap / f)) << f;
  }
  EXPECT_EQ(fs::read_symlink(snap / "1_Pooling/config.json").parent_path(), fs::path("../../../blobs"));
  EXPECT_FALSE(fs::exists(snap / "README.md"));
}

TEST(HubFiles, SelectsWhatAModelNeeds) {
  std::vector<std::string> repo = {".gitattributes", "README.md", "config.json", "tokenizer.json", "vocab.json",
                                   "merges.txt", "model.safetensors", "pytorch_model.bin", "tf_model.h5",
                                   "onnx/model.onnx", "flax_model.msgpack", "generation_config.json"};
  EXPECT_EQ(select_model_files(repo),
            (std::vector<std::string>{"config.json", "generation_config.json", "tokenizer.json", "vocab.json",
                                      "merges.txt", "model.safetensors"}));
  EXPECT_EQ(select_model_files({"config.json", "vocab.txt", "pytorch_model.bin", "tf_model.h5"}),
            (std::vector<std::string>{"config.json", "vocab.txt", "pytorch_model.bin"}));
  EXPECT_EQ(select_model_files({"config.json", "pytorch_model.bin.index.json", "pytorch_model-00001-of-00002.bin",
                                "model.safetensors.index.json", "model-00001-of-00002.safetensors"}),
            (std::vector<std::string>{"config.json", "model.safetensors.index.json"}));
  EXPECT_EQ(select_model_files({"config.json", "modules.json", "1_Pooling/config.json", "2_Dense/config.json",
                                "2_Dense/model.safetensors", "2_Dense/pytorch_model.bin", "3_Extra/sub/x.json",
                                "model.safetensors"}),
            (std::vector<std::string>{"config.json", "modules.json", "1_Pooling/config.json", "2_Dense/config.json",
                                      "2_Dense/model.safetensors", "model.safetensors"}));
}

TEST(HubFiles, ValidatesModelIds) {
  for (const char* ok : {"facebook/bart-large-mnli", "gpt2", "org/name.v1_2"}) EXPECT_TRUE(is_hub_model_id(ok)) << ok;
  for (const char* bad : {"", "a/b/c", "../x", "org/", "/abs", "org--x/y", "a b", "org/x.git", "x/.hidden"}) {
    EXPECT_FALSE(is_hub_model_id(bad)) << bad;
  }
}

TEST_F(HubTest, LocalDirectoryIsUsedAsIs) {
  fs::path dir = test::golden_model("tiny-bart-mnli");
  EXPECT_EQ(resolve_model(dir.string(), options_), dir);
  EXPECT_TRUE(hub_.requests().empty());
  EXPECT_THAT([] { resolve_model("./no/such/dir"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("no such directory")));
}

TEST_F(HubTest, CutDownloadResumesWithRange) {
  hub_.cut_cdn_times = 1;
  hub_.cut_after = 300000;
  fs::path snap = resolve_model("org/tiny-bart-mnli", options_);
  std::vector<std::string> ranges;
  for (const auto& r : hub_.requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) ranges.push_back(r.range);
  }
  EXPECT_THAT(ranges, ::testing::Contains("bytes=300000-"));
  EXPECT_EQ(sha256_file_hex(snap / "model.safetensors"), hub_.sha256("org/tiny-bart-mnli", "model.safetensors"));
}

TEST_F(HubTest, PartialFileFromAnEarlierRunIsResumed) {
  // As Python (or an interrupted lmpipe) leaves it: blobs/<sha256>.incomplete with a prefix.
  std::string content = read_file(test::golden_model("tiny-bart-mnli") / "model.safetensors");
  fs::path part = blob("org/tiny-bart-mnli", "model.safetensors");
  part += ".incomplete";
  fs::create_directories(part.parent_path());
  std::ofstream(part, std::ios::binary) << content.substr(0, 1000000);

  fs::path snap = resolve_model("org/tiny-bart-mnli", options_);
  EXPECT_GE(hub_.count("/cdn/"), 1u);
  bool ranged = false;
  for (const auto& r : hub_.requests()) ranged = ranged || r.range == "bytes=1000000-";
  EXPECT_TRUE(ranged);
  EXPECT_EQ(read_file(snap / "model.safetensors"), content);
  EXPECT_FALSE(fs::exists(part));
}

TEST_F(HubTest, HalfWrittenDownloadIsNeverVisible) {
  hub_.cut_cdn_times = 100;  // every try is cut: the retries give up
  hub_.cut_after = 200000;
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(HasSubstr("will be resumed")));
  std::string commit = hub_.commit("org/tiny-bart-mnli");
  fs::path snap = repo_dir("org/tiny-bart-mnli") / "snapshots" / commit;
  // The file being fetched (tokenizer.json, the first large one) exists only as .incomplete.
  std::vector<fs::path> partial;
  for (const auto& e : fs::directory_iterator(repo_dir("org/tiny-bart-mnli") / "blobs")) {
    if (e.path().extension() == ".incomplete") partial.push_back(e.path());
  }
  ASSERT_EQ(partial.size(), 1u);
  EXPECT_EQ(partial[0].stem(), hub_.sha256("org/tiny-bart-mnli", "tokenizer.json"));
  uintmax_t kept = fs::file_size(partial[0]);
  EXPECT_GE(kept, 200000u);
  for (const char* f : {"tokenizer.json", "model.safetensors"}) {
    EXPECT_FALSE(fs::exists(snap / f)) << f;
    EXPECT_FALSE(fs::exists(blob("org/tiny-bart-mnli", f))) << f;
  }
  EXPECT_FALSE(fs::exists(repo_dir("org/tiny-bart-mnli") / "refs" / "main"));
  expect_no_temporaries();
  // Offline, the incomplete snapshot is not mistaken for a model.
  options_.offline = true;
  EXPECT_THROW(resolve_model("org/tiny-bart-mnli", options_), Error);

  options_.offline = false;
  hub_.cut_cdn_times = 0;
  hub_.clear_log();
  EXPECT_EQ(resolve_model("org/tiny-bart-mnli", options_), snap);
  bool resumed = false;
  for (const auto& r : hub_.requests()) {
    resumed = resumed || (r.path == "/cdn/" + partial[0].stem().string() && r.range == "bytes=" + std::to_string(kept) + "-");
  }
  EXPECT_TRUE(resumed) << "the partial data was not reused";
  EXPECT_EQ(hub_.count("/resolve/" + commit + "/config.json"), 0u);  // already in the snapshot
  EXPECT_EQ(read_file(snap / "tokenizer.json"), read_file(test::golden_model("tiny-bart-mnli") / "tokenizer.json"));
}

TEST_F(HubTest, CorruptPayloadIsRejected) {
  hub_.corrupt_cdn = true;
  // tokenizer.json is the first large (LFS, sha256-named) file fetched.
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("sha256 mismatch"),
                                                               HasSubstr("file 'tokenizer.json'"),
                                                               HasSubstr("org/tiny-bart-mnli"))));
  fs::path snaps = repo_dir("org/tiny-bart-mnli") / "snapshots";
  for (const auto& e : fs::recursive_directory_iterator(snaps)) {
    EXPECT_NE(e.path().filename(), "tokenizer.json") << e.path();
  }
  fs::path b = blob("org/tiny-bart-mnli", "tokenizer.json");
  EXPECT_FALSE(fs::exists(b));
  EXPECT_FALSE(fs::exists(fs::path(b).concat(".incomplete")));

  hub_.corrupt_cdn = false;
  fs::path snap = resolve_model("org/tiny-bart-mnli", options_);
  EXPECT_EQ(sha256_file_hex(snap / "model.safetensors"), hub_.sha256("org/tiny-bart-mnli", "model.safetensors"));
}

TEST_F(HubTest, PrivateModelNeedsToken) {
  hub_.add_repo("org/private", test::golden_model("tiny-bart-mnli"), "s3cret");
  EXPECT_THAT([&] { resolve_model("org/private", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("org/private"), HasSubstr("HF_TOKEN"),
                                                               HasSubstr("401"))));
  // With the token it works, and the token never goes to the CDN's other origin.
  hub_.cdn_host = "localhost";
  ScopedEnv token("HF_TOKEN", "s3cret");
  hub_.clear_log();
  fs::path snap = resolve_model("org/private", options_);
  EXPECT_TRUE(fs::exists(snap / "model.safetensors"));
  size_t cdn = 0;
  for (const auto& r : hub_.requests()) {
    if (r.path.rfind("/cdn/", 0) == 0) {
      ++cdn;
      EXPECT_EQ(r.authorization, "");
    } else {
      EXPECT_EQ(r.authorization, "Bearer s3cret") << r.path;
    }
  }
  EXPECT_EQ(cdn, 2u);  // tokenizer.json and model.safetensors
}

TEST_F(HubTest, MissingModelRevisionAndServerErrorsAreExplained) {
  EXPECT_THAT([&] { resolve_model("org/nope", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("model 'org/nope'"), HasSubstr("not found"),
                                                               HasSubstr(hub_.endpoint()))));
  options_.revision = "v9";
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("revision v9"), HasSubstr("revision not found"))));
  options_.revision = "main";
  hub_.force_status = 500;
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("org/tiny-bart-mnli"), HasSubstr("HTTP 500"))));
  EXPECT_FALSE(fs::exists(repo_dir("org/tiny-bart-mnli") / "snapshots"));
}

TEST_F(HubTest, MissingFileAndFailingCdnAreNamed) {
  hub_.hide_file("tokenizer_config.json");
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(
                  HasSubstr("file 'tokenizer_config.json' of model 'org/tiny-bart-mnli'"),
                  HasSubstr("no such file in the repository"))));
  hub_.hide_file("");
  hub_.cdn_status = 503;
  hub_.cdn_host = "localhost";
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("file 'model.safetensors'"),
                                                               HasSubstr("http://localhost:"), HasSubstr("HTTP 503"))));
  // What the first try fetched stays; the weights, fetched last, are missing.
  fs::path snap = repo_dir("org/tiny-bart-mnli") / "snapshots" / hub_.commit("org/tiny-bart-mnli");
  EXPECT_TRUE(fs::exists(snap / "tokenizer.json"));
  EXPECT_TRUE(fs::exists(snap / "tokenizer_config.json"));
  EXPECT_FALSE(fs::exists(snap / "model.safetensors"));
  EXPECT_FALSE(fs::exists(repo_dir("org/tiny-bart-mnli") / "refs" / "main"));
}

TEST_F(HubTest, UnreachableEndpointIsNamed) {
  // A port the kernel just handed out and nothing listens on.
  int sock = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(sock);
  int port = ntohs(addr.sin_port);
  options_.endpoint = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_THAT([&] { resolve_model("org/tiny-bart-mnli", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("cannot reach"),
                                                               HasSubstr(options_.endpoint),
                                                               HasSubstr("HF_HUB_OFFLINE"))));
}

TEST_F(HubTest, OfflineUsesTheCacheOrFailsClearly) {
  fs::path snap = resolve_model("org/tiny-bart-mnli", options_);
  hub_.clear_log();
  ScopedEnv offline("HF_HUB_OFFLINE", "1");
  EXPECT_EQ(resolve_model("org/tiny-bart-mnli", options_), snap);
  EXPECT_EQ(download_model("org/tiny-bart-mnli", options_), snap);
  EXPECT_EQ(resolve_model("org/tiny-bart-mnli", [&] { auto o = options_; o.revision = hub_.commit("org/tiny-bart-mnli"); return o; }()), snap);
  EXPECT_THAT([&] { resolve_model("org/elsewhere", options_); },
              ::testing::ThrowsMessage<Error>(::testing::AllOf(HasSubstr("org/elsewhere"), HasSubstr(cache_.string()),
                                                               HasSubstr("HF_HUB_OFFLINE"))));
  EXPECT_TRUE(hub_.requests().empty());
}

TEST_F(HubTest, ReusesASnapshotPythonWrote) {
  // huggingface_hub's layout built by hand: refs/main, blobs/<etag>, relative snapshot links.
  fs::path repo = repo_dir("org/py-model");
  std::string commit(40, 'a');
  fs::create_directories(repo / "refs");
  std::ofstream(repo / "refs" / "main") << commit;
  fs::create_directories(repo / "blobs");
  fs::create_directories(repo / "snapshots" / commit);
  fs::path golden = test::golden_model("tiny-bart-mnli");
  for (const char* f : {"config.json", "model.safetensors", "tokenizer.json"}) {
    std::string etag = sha256_file_hex(golden / f);
    fs::copy_file(golden / f, repo / "blobs" / etag);
    fs::create_symlink(fs::path("../../blobs") / etag, repo / "snapshots" / commit / f);
  }
  fs::path snap = resolve_model("org/py-model", options_);
  EXPECT_EQ(snap, repo / "snapshots" / commit);
  EXPECT_TRUE(hub_.requests().empty());

  auto models = hub::scan_cache(cache_);
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0].repo_id, "org/py-model");
  EXPECT_EQ(models[0].refs, (std::vector<std::pair<std::string, std::string>>{{"main", commit}}));
  EXPECT_EQ(models[0].size_on_disk, fs::file_size(golden / "config.json") + fs::file_size(golden / "model.safetensors") +
                                        fs::file_size(golden / "tokenizer.json"));
}

TEST_F(HubTest, CommandLineDownloadsAndListsTheCache) {
  auto run = [](const std::string& args) {
    std::string out;
    FILE* pipe = popen((std::string(LMPIPE_CLI_PATH) + " " + args + " 2>&1").c_str(), "r");
    char buf[4096];
    for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    int status = pclose(pipe);
    return std::make_pair(status, out);
  };
  auto [status, out] = run("download org/tiny-bart-mnli");
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out, (repo_dir("org/tiny-bart-mnli") / "snapshots" / hub_.commit("org/tiny-bart-mnli")).string() + "\n");

  auto [list_status, list] = run("cache list");
  ASSERT_EQ(list_status, 0) << list;
  EXPECT_THAT(list, HasSubstr("org/tiny-bart-mnli"));
  EXPECT_THAT(list, HasSubstr("main -> " + hub_.commit("org/tiny-bart-mnli").substr(0, 12)));
  EXPECT_THAT(list, HasSubstr("6.8 MB"));  // config, tokenizer files and weights

  auto [bad_status, bad] = run("download org/nope");
  EXPECT_NE(bad_status, 0);
  EXPECT_THAT(bad, HasSubstr("model 'org/nope'"));
}

}  // namespace

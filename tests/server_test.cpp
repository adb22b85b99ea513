// `lmpipe serve`'s server (src/server) over real HTTP on 127.0.0.1: routes, errors, limits,
// dynamic batching (answers equal to single-request answers), shutdown with requests in flight.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <future>
#include <regex>
#include <thread>

#include "lmpipe/zero_shot.h"
#include "server/served_model.h"
#include "server_test_util.h"
#include "test_util.h"

using namespace lmpipe;
using namespace std::chrono_literals;
using test::TestServer;

namespace {

std::string bart() { return test::golden_model("tiny-bart-mnli").string(); }

json zero_shot_request(const json& inputs, const json& labels, const std::string& tmpl = "This example is {}.",
                       bool multi_label = false) {
  return json{{"inputs", inputs},
              {"parameters", {{"candidate_labels", labels}, {"hypothesis_template", tmpl}, {"multi_label", multi_label}}}};
}

// Same labels, and scores within `tol`.
void expect_same_answer(const json& got, const json& want, double tol, const std::string& where) {
  if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << where;
    ASSERT_EQ(got.size(), want.size()) << where;
    for (size_t i = 0; i < want.size(); ++i) expect_same_answer(got[i], want[i], tol, where);
    return;
  }
  ASSERT_EQ(got["sequence"], want["sequence"]) << where;
  ASSERT_EQ(got["labels"], want["labels"]) << where;
  for (size_t i = 0; i < want["scores"].size(); ++i)
    EXPECT_NEAR(got["scores"][i].get<double>(), want["scores"][i].get<double>(), tol) << where;
}

// A Prometheus sample's value, or NaN.
double metric(const std::string& text, const std::string& sample) {
  size_t at = text.find("\n" + sample + " ");
  if (at == std::string::npos) return NAN;
  return std::stod(text.substr(at + sample.size() + 2));
}

// Mixed texts: short, long, accented, repeated words.
std::vector<std::string> texts() {
  std::vector<std::string> out = {"Get a free iPhone now!", "Meeting moved to 3pm tomorrow.",
                                  "Votre colis est arrivé à la poste.", "ok"};
  std::string long_text;
  for (int i = 0; i < 40; ++i) long_text += "The quarterly report is attached for review. ";
  out.push_back(long_text);
  out.push_back("Invoice #4412: payment overdue, please settle within 7 days or contact billing.");
  return out;
}

TEST(ServerRoutes, HealthIs503UntilTheModelIsServed) {
  TestServer t;
  auto health = t.client().Get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
  auto early = t.post("/", zero_shot_request("hi", {"a", "b"}));
  ASSERT_TRUE(early);
  EXPECT_EQ(early->status, 503);
  EXPECT_EQ(early->get_header_value("Retry-After"), "5");
  EXPECT_TRUE(json::parse(early->body)["error"].is_string());
  auto info = t.client().Get("/info");
  ASSERT_TRUE(info);
  EXPECT_EQ(json::parse(info->body)["ready"], false);

  t.server->serve(server::load_served_model(bart()));
  EXPECT_EQ(t.client().Get("/health")->status, 200);
}

TEST(ServerRoutes, InferenceApiAnswersWhatThePipelineReturns) {
  TestServer t;
  t.server->serve(server::load_served_model(bart()));
  auto classifier = pipeline("zero-shot-classification", bart());
  const json kwargs{{"candidate_labels", {"spam", "not spam"}}, {"hypothesis_template", "This email is {}."}};

  auto one = t.post("/", json{{"inputs", "Get a free iPhone now!"}, {"parameters", kwargs}});
  ASSERT_TRUE(one);
  ASSERT_EQ(one->status, 200) << one->body;
  EXPECT_EQ(one->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(one->body), (*classifier)("Get a free iPhone now!", kwargs));
  EXPECT_FALSE(one->get_header_value("x-total-time").empty());

  const json list = {"Get a free iPhone now!", "Lunch at noon?"};
  auto many = t.post("/models/" + bart(), json{{"inputs", list}, {"parameters", kwargs}});
  ASSERT_TRUE(many);
  ASSERT_EQ(many->status, 200) << many->body;
  EXPECT_EQ(json::parse(many->body), (*classifier)(list, kwargs));

  // The model's directory name also names it; another model is not here.
  EXPECT_EQ(t.post("/models/tiny-bart-mnli", json{{"inputs", "x"}, {"parameters", kwargs}})->status, 200);
  auto other = t.post("/models/facebook/bart-large-mnli", json{{"inputs", "x"}, {"parameters", kwargs}});
  EXPECT_EQ(other->status, 404);
  EXPECT_NE(json::parse(other->body)["error"].get<std::string>().find("not served here"), std::string::npos);

  // The legacy API's "options" are accepted and ignored.
  auto with_options = t.post("/", json{{"inputs", "x"}, {"parameters", kwargs}, {"options", {{"wait_for_model", true}}}});
  EXPECT_EQ(with_options->status, 200);
}

TEST(ServerRoutes, InfoAndMetrics) {
  TestServer t;
  t.server->serve(server::load_served_model(bart()));
  auto info = t.client().Get("/info");
  ASSERT_TRUE(info);
  json j = json::parse(info->body);
  EXPECT_EQ(j["model_id"], bart());
  EXPECT_EQ(j["task"], "zero-shot-classification");
  EXPECT_EQ(j["model_dtype"], "float32");
  EXPECT_EQ(j["max_input_length"], 128);
  EXPECT_EQ(j["max_body_bytes"], 2000000);
  EXPECT_TRUE(j["version"].is_string());

  ASSERT_EQ(t.post("/", zero_shot_request("hello there", {"a", "b"}))->status, 200);
  ASSERT_EQ(t.post("/", std::string("{"))->status, 400);
  auto metrics = t.client().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  const std::string& m = metrics->body;
  EXPECT_EQ(metric(m, "lmpipe_requests_total{route=\"/\",status=\"200\"}"), 1) << m;
  EXPECT_EQ(metric(m, "lmpipe_requests_total{route=\"/\",status=\"400\"}"), 1) << m;
  EXPECT_EQ(metric(m, "lmpipe_requests_total{route=\"/info\",status=\"200\"}"), 1) << m;
  EXPECT_EQ(metric(m, "lmpipe_queue_depth"), 0);
  EXPECT_EQ(metric(m, "lmpipe_requests_in_flight"), 0);
  EXPECT_EQ(metric(m, "lmpipe_batch_size_count"), 1);
  EXPECT_GT(metric(m, "lmpipe_tokens_total"), 10);
  EXPECT_EQ(metric(m, "lmpipe_batch_duration_seconds_bucket{le=\"+Inf\"}"), 1);
  EXPECT_NE(m.find("# TYPE lmpipe_request_duration_seconds histogram"), std::string::npos);

  // One log line per request.
  std::lock_guard lock(t.log_mutex);
  ASSERT_GE(t.log.size(), 3u);
  EXPECT_TRUE(std::regex_search(t.log[t.log.size() - 3], std::regex(R"(127\.0\.0\.1 POST / 200 \d+B [0-9.]+ms queue=\d+ms batch=1)")))
      << t.log[t.log.size() - 3];
}

TEST(ServerErrors, EachMalformedRequestGetsItsStatusAndTheServerStaysUp) {
  server::ServerOptions options;
  options.max_body_bytes = 4096;
  TestServer t(options);
  t.server->serve(server::load_served_model(bart()));
  struct Bad {
    std::string name, body;
    int status;
    std::string says;
  };
  const std::vector<Bad> cases = {
      {"invalid JSON", "{\"inputs\": ", 400, "invalid JSON"},
      {"empty body", "", 400, "empty request body"},
      {"invalid UTF-8", "{\"inputs\": \"caf\xC3\x28\", \"parameters\": {\"candidate_labels\": [\"a\"]}}", 400, "UTF-8"},
      {"lone surrogate escape", R"({"inputs": "\ud800", "parameters": {"candidate_labels": ["a"]}})", 400, "invalid JSON"},
      {"over the body limit", "{\"inputs\": \"" + std::string(5000, 'a') + "\"}", 413, "larger than 4096 bytes"},
      {"not an object", "[1, 2]", 422, "JSON object"},
      {"missing inputs", R"({"parameters": {"candidate_labels": ["a"]}})", 422, "missing field \"inputs\""},
      {"parameters not an object", R"({"inputs": "x", "parameters": [1]})", 422, "\"parameters\" must be an object"},
      {"unknown top-level field", R"({"inputs": "x", "candidate_labels": ["a"]})", 422, "unknown field \"candidate_labels\""},
      {"missing candidate_labels", R"({"inputs": "x"})", 422, "candidate_labels"},
      {"labels of the wrong type", R"({"inputs": "x", "parameters": {"candidate_labels": 5}})", 422, "candidate_labels"},
      {"inputs of the wrong type", R"({"inputs": 5, "parameters": {"candidate_labels": ["a"]}})", 422, "sequences"},
      {"template of the wrong type", R"({"inputs": "x", "parameters": {"candidate_labels": ["a"], "hypothesis_template": 3}})", 422, "hypothesis_template"},
      {"multi_label of the wrong type", R"({"inputs": "x", "parameters": {"candidate_labels": ["a"], "multi_label": "yes"}})", 422, "multi_label"},
      {"template without {}", R"({"inputs": "x", "parameters": {"candidate_labels": ["a"], "hypothesis_template": "no field"}})", 422, "hypothesis_template"},
      {"empty text", R"({"inputs": "", "parameters": {"candidate_labels": ["a"]}})", 422, "empty text"},
  };
  for (const auto& c : cases) {
    auto r = t.post("/", c.body);
    ASSERT_TRUE(r) << c.name;
    EXPECT_EQ(r->status, c.status) << c.name << ": " << r->body;
    json body = json::parse(r->body);
    ASSERT_TRUE(body["error"].is_string()) << c.name << ": " << r->body;
    EXPECT_NE(body["error"].get<std::string>().find(c.says), std::string::npos) << c.name << ": " << r->body;
    // Still serving.
    ASSERT_EQ(t.post("/", zero_shot_request("still there?", {"yes", "no"}))->status, 200) << "after " << c.name;
  }
  auto unknown = t.client().Get("/nowhere");
  EXPECT_EQ(unknown->status, 404);
  EXPECT_NE(json::parse(unknown->body)["error"].get<std::string>().find("no route GET /nowhere"), std::string::npos);
}

TEST(ServerBatching, AnswersDoNotDependOnTheBatch) {
  // Calls with different labels, templates, lengths and modes, run alone and all together.
  for (const char* name : {"tiny-bart-mnli", "tiny-roberta-mnli", "tiny-distilbert-mnli", "tiny-deberta-v3-nli",
                           "tiny-xlm-roberta-xnli"}) {
    auto classifier = pipeline("zero-shot-classification", test::golden_model(name).string());
    std::vector<std::unique_ptr<Pipeline::Call>> calls;
    std::vector<json> alone;
    const std::vector<std::string> all = texts();
    for (size_t i = 0; i < all.size(); ++i) {
      json labels = i % 2 ? json{"spam", "not spam"} : json{"work", "travel", "family", "finance"};
      json kwargs{{"candidate_labels", labels},
                  {"hypothesis_template", i % 3 ? "This email is {}." : "The topic is {}."},
                  {"multi_label", i % 4 == 3}};
      json inputs = i == 2 ? json{all[i], all[0]} : json(all[i]);
      calls.push_back(classifier->prepare(inputs, kwargs));
      EXPECT_GT(calls.back()->tokens, 0u);
      alone.push_back(classifier->run({calls.back().get()}).front());
      EXPECT_EQ(alone.back(), (*classifier)(inputs, kwargs));
    }
    std::vector<const Pipeline::Call*> batch;
    for (const auto& c : calls) batch.push_back(c.get());
    std::vector<json> together = classifier->run(batch);
    ASSERT_EQ(together.size(), alone.size());
    for (size_t i = 0; i < alone.size(); ++i) expect_same_answer(together[i], alone[i], 1e-6, name + std::string(" call ") + std::to_string(i));
  }
}

TEST(ServerBatching, SixtyFourClientsGetTheSingleRequestAnswers) {
  server::ServerOptions options;
  options.batching.max_wait = 5ms;
  TestServer t(options);
  t.server->serve(server::load_served_model(bart()));

  // Requests of several shapes; the single-request answer of each, one at a time.
  std::vector<json> requests;
  const std::vector<std::string> all = texts();
  for (size_t i = 0; i < all.size(); ++i) {
    requests.push_back(zero_shot_request(all[i], {"spam", "not spam"}, "This email is {}."));
    requests.push_back(zero_shot_request(all[i], "urgent, later, never", "Priority: {}.", true));
  }
  requests.push_back(zero_shot_request(json{all[0], all[1], all[3]}, {"a", "b", "c"}));
  std::vector<json> single;
  for (const auto& r : requests) {
    auto res = t.post("/", r);
    ASSERT_EQ(res->status, 200) << res->body;
    single.push_back(json::parse(res->body));
  }

  constexpr int kClients = 64, kPerClient = 20;
  std::atomic<int> mismatches{0}, failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      httplib::Client client = t.client();
      for (int k = 0; k < kPerClient; ++k) {
        const size_t i = (c * 7 + k) % requests.size();
        auto res = client.Post("/", requests[i].dump(), "application/json");
        if (!res || res->status != 200) {
          ++failures;
          continue;
        }
        const json got = json::parse(res->body);
        const json& want = single[i];
        auto same = [](const json& a, const json& b) {
          if (a["sequence"] != b["sequence"] || a["labels"] != b["labels"]) return false;
          for (size_t s = 0; s < b["scores"].size(); ++s)
            if (std::abs(a["scores"][s].get<double>() - b["scores"][s].get<double>()) > 1e-6) return false;
          return true;
        };
        bool ok = got.is_array() == want.is_array();
        if (ok && want.is_array())
          for (size_t s = 0; s < want.size(); ++s) ok = ok && same(got[s], want[s]);
        else if (ok)
          ok = same(got, want);
        if (!ok) ++mismatches;
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(mismatches, 0);
  // Requests did share batches.
  const std::string m = t.client().Get("/metrics")->body;
  const double batches = metric(m, "lmpipe_batch_size_count"), requests_batched = metric(m, "lmpipe_batch_size_sum");
  EXPECT_EQ(requests_batched, requests.size() + kClients * kPerClient);
  EXPECT_LT(batches, requests_batched / 2) << "batches: " << batches;
}

TEST(ServerLimits, AFullQueueAnswers503WithRetryAfter) {
  server::ServerOptions options;
  options.batching.max_queue = 2;
  options.batching.max_batch_requests = 1;
  TestServer t(options);
  t.server->serve(test::echo_model(100ms));
  std::vector<std::future<int>> statuses;
  std::atomic<int> with_retry_after{0};
  for (int i = 0; i < 12; ++i)
    statuses.push_back(std::async(std::launch::async, [&, i] {
      auto r = t.post("/", json{{"inputs", i}});
      if (r && r->status == 503 && r->get_header_value("Retry-After") == "1" &&
          json::parse(r->body)["error"].get<std::string>().find("--max-queue") != std::string::npos)
        ++with_retry_after;
      return r ? r->status : -1;
    }));
  int ok = 0, busy = 0;
  for (auto& s : statuses) (s.get() == 200 ? ok : busy)++;
  EXPECT_GE(ok, 2);  // at most two queued (and one running)
  EXPECT_GT(busy, 0);
  EXPECT_EQ(busy, with_retry_after);
  EXPECT_EQ(ok + busy, 12);
  EXPECT_EQ(t.post("/", json{{"inputs", "after"}})->status, 200);
}

TEST(ServerLimits, AFailingCallDoesNotFailItsBatch) {
  server::ServerOptions options;
  options.batching.max_wait = 200ms;  // let them all join one batch
  TestServer t(options);
  t.server->serve(test::echo_model());
  auto good = std::async(std::launch::async, [&] { return t.post("/", json{{"inputs", "good"}}); });
  auto bad = std::async(std::launch::async, [&] { return t.post("/", json{{"inputs", "fail"}}); });
  auto g = good.get(), b = bad.get();
  EXPECT_EQ(g->status, 200);
  EXPECT_EQ(json::parse(g->body)["echo"], "good");
  EXPECT_EQ(b->status, 422);
  EXPECT_EQ(json::parse(b->body)["error"], "echo: asked to fail");
}

TEST(ServerShutdown, StopAnswersEveryRequestInFlight) {
  server::ServerOptions options;
  options.batching.max_batch_requests = 2;
  TestServer t(options);
  t.server->serve(test::echo_model(50ms));
  constexpr int kRequests = 16;
  std::vector<std::future<httplib::Result>> inflight;
  for (int i = 0; i < kRequests; ++i)
    inflight.push_back(std::async(std::launch::async, [&, i] { return t.post("/", json{{"inputs", i}}); }));
  // Wait until every request is in (queued or running), then stop.
  for (int tries = 0; tries < 200; ++tries) {
    const std::string m = t.client().Get("/metrics")->body;
    if (metric(m, "lmpipe_queue_depth") + 2 * metric(m, "lmpipe_batches_total") >= kRequests - 2) break;
    std::this_thread::sleep_for(5ms);
  }
  t.server->stop();
  for (int i = 0; i < kRequests; ++i) {
    auto r = inflight[i].get();
    ASSERT_TRUE(r) << "request " << i << " got no answer: " << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(json::parse(r->body)["echo"], i);
  }
  EXPECT_FALSE(t.client().Get("/health"));  // no longer accepting
}

TEST(ServerLimits, ASlowClientIsCutOffAfterTheReadTimeout) {
  server::ServerOptions options;
  options.read_timeout = 1s;
  TestServer t(options);
  t.server->serve(test::echo_model());
  // Half a request line, then nothing: the server closes the connection.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(t.server->port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string partial = "POST / HTTP/1.1\r\nHost: x\r\n";
  ASSERT_EQ(::send(fd, partial.data(), partial.size(), 0), static_cast<ssize_t>(partial.size()));
  timeval wait{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  const auto start = std::chrono::steady_clock::now();
  std::string answer;
  char buf[256];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) answer.append(buf, n);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ::close(fd);
  // Answered 400 and closed after about the read timeout, not held open.
  EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
  EXPECT_NE(answer.find("malformed HTTP request"), std::string::npos) << answer;
  EXPECT_LT(waited, 4.5);
  EXPECT_EQ(t.post("/", json{{"inputs", "still serving"}})->status, 200);
}

TEST(ServedModel, TaskFromTheModelsConfig) {
  EXPECT_EQ(server::infer_task(test::golden_model("tiny-bart-mnli")), "zero-shot-classification");
  EXPECT_EQ(server::infer_task(test::golden_model("tiny-deberta-v3-nli")), "zero-shot-classification");
  EXPECT_EQ(server::infer_task(test::golden_model("tiny-bert")), "fill-mask");
  EXPECT_EQ(server::infer_task(test::golden_model("tiny-gpt2-legacy")), "text-generation");
  EXPECT_EQ(server::infer_task(test::golden_model("tiny-t5")), "text2text-generation");
  EXPECT_EQ(server::infer_task(test::golden_model("tiny-sentence-bert")), "sentence-embeddings");
  EXPECT_EQ(server::max_input_tokens(test::golden_model("tiny-roberta-mnli")), 128u);  // 130 positions - 2
  EXPECT_EQ(server::max_input_tokens(test::golden_model("tiny-t5")), 512u);
}

}  // namespace

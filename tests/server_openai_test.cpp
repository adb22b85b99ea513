// The OpenAI routes of `lmpipe serve` over HTTP: /v1/embeddings and /v1/completions (with
// server-sent events), on fake models with known answers, and their 501 on a model that cannot.
#include <gtest/gtest.h>

#include <cmath>

#include "lmpipe/text_generation.h"
#include "lmpipe/tokenizer.h"
#include "server/served_model.h"
#include "server_test_util.h"
#include "test_util.h"

using namespace lmpipe;
using test::TestServer;

namespace {

// Embeds a text as the unit vector along (length, 1, 0, 0); counts one token per byte.
class FakeEmbedder : public Pipeline {
 public:
  json operator()(const json& inputs, const json& kwargs) const override {
    json out = json::array();
    for (const auto& text : inputs) {
      std::vector<float> v = {static_cast<float>(text.get<std::string>().size()), 1, 0, 0};
      if (kwargs.value("normalize_embeddings", false)) {
        float norm = std::sqrt(v[0] * v[0] + 1);
        for (float& x : v) x /= norm;
      }
      if (kwargs.contains("truncate_dim")) v.resize(kwargs["truncate_dim"].get<size_t>());
      out.push_back(v);
    }
    return out;
  }
  std::unique_ptr<Call> prepare(const json& inputs, const json& kwargs) const override {
    auto call = Pipeline::prepare(inputs, kwargs);
    for (const auto& text : inputs) call->tokens += text.get<std::string>().size();
    return call;
  }
};

server::ServedModel embedder() {
  server::ServedModel m;
  m.id = "fake/embedder";
  m.task = "sentence-embeddings";
  m.pipeline = std::make_unique<FakeEmbedder>();
  return m;
}

// "Generates" the prompt's words in reverse order, one streamed piece per word.
server::ServedModel generator() {
  server::ServedModel m = test::echo_model();
  m.id = "fake/generator";
  m.task = "text-generation";
  m.complete = [](const std::string& prompt, const json& kwargs, const server::TextCallback& on_text) {
    if (kwargs.contains("bogus")) throw Error("text-generation: unknown argument 'bogus'");
    std::vector<std::string> words;
    for (size_t at = 0; at < prompt.size();) {
      size_t space = prompt.find(' ', at);
      if (space == std::string::npos) space = prompt.size();
      words.push_back(prompt.substr(at, space - at));
      at = space + 1;
    }
    const size_t max = kwargs["max_new_tokens"].get<size_t>();
    server::Completion c;
    c.prompt_tokens = words.size();
    for (auto it = words.rbegin(); it != words.rend() && c.completion_tokens < max; ++it) {
      std::string piece = " " + *it;
      c.text += piece;
      ++c.completion_tokens;
      on_text(piece, false);
    }
    c.finish_reason = c.completion_tokens == max ? "length" : "stop";
    on_text("", true);
    return c;
  };
  return m;
}

TEST(ServerOpenAI, Embeddings) {
  TestServer t;
  t.server->serve(embedder());
  auto r = t.post("/v1/embeddings", json{{"input", {"abc", "hello"}}, {"model", "anything"}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "list");
  EXPECT_EQ(j["model"], "fake/embedder");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][1]["object"], "embedding");
  EXPECT_EQ(j["data"][1]["index"], 1);
  EXPECT_NEAR(j["data"][1]["embedding"][0].get<double>(), 5 / std::sqrt(26.0), 1e-6);  // normalized
  EXPECT_EQ(j["usage"], json({{"prompt_tokens", 8}, {"total_tokens", 8}}));

  auto one = json::parse(t.post("/v1/embeddings", json{{"input", "abc"}, {"dimensions", 2}})->body);
  ASSERT_EQ(one["data"].size(), 1u);
  EXPECT_EQ(one["data"][0]["embedding"].size(), 2u);

  // base64: the little-endian float32 bytes.
  auto b64 = json::parse(t.post("/v1/embeddings", json{{"input", "abc"}, {"encoding_format", "base64"}})->body);
  const std::string encoded = b64["data"][0]["embedding"].get<std::string>();
  EXPECT_EQ(encoded, "6NxyP5vooT4AAAAAAAAAAA==");  // float32 (3, 1, 0, 0) / sqrtf(10), little-endian
}

TEST(ServerOpenAI, EmbeddingErrorsUseOpenAIsShape) {
  TestServer t;
  t.server->serve(embedder());
  for (const auto& [body, says] : std::vector<std::pair<json, std::string>>{
           {json{{"model", "x"}}, "missing field \"input\""},
           {json{{"input", json::array()}}, "must not be empty"},
           {json{{"input", {1, 2, 3}}}, "not token ids"},
           {json{{"input", "x"}, {"dimensions", 0}}, "dimensions"},
           {json{{"input", "x"}, {"encoding_format", "hex"}}, "encoding_format"}}) {
    auto r = t.post("/v1/embeddings", body);
    EXPECT_EQ(r->status, 422) << body.dump();
    json e = json::parse(r->body)["error"];
    EXPECT_EQ(e["type"], "invalid_request_error");
    EXPECT_EQ(e["code"], 422);
    EXPECT_NE(e["message"].get<std::string>().find(says), std::string::npos) << e.dump();
  }
  EXPECT_EQ(t.post("/v1/embeddings", std::string("{nope"))->status, 400);
}

TEST(ServerOpenAI, RoutesAModelCannotServeAnswer501) {
  TestServer t;
  t.server->serve(server::load_served_model(test::golden_model("tiny-bart-mnli").string()));
  for (const char* route : {"/v1/embeddings", "/v1/completions"}) {
    auto r = t.post(route, json{{"input", "x"}, {"prompt", "x"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 501) << route;
    json e = json::parse(r->body)["error"];
    EXPECT_EQ(e["type"], "not_supported_error");
    EXPECT_NE(e["message"].get<std::string>().find("this server runs zero-shot-classification"), std::string::npos);
  }
}

TEST(ServerOpenAI, Completion) {
  TestServer t;
  t.server->serve(generator());
  auto r = t.post("/v1/completions", json{{"prompt", "one two three"}, {"max_tokens", 2}, {"model", "x"}});
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["model"], "fake/generator");
  EXPECT_EQ(j["choices"][0]["text"], " three two");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"], json({{"prompt_tokens", 3}, {"completion_tokens", 2}, {"total_tokens", 5}}));

  auto bad = t.post("/v1/completions", json{{"prompt", "x"}, {"bogus", 1}});
  EXPECT_EQ(bad->status, 422);
  EXPECT_EQ(json::parse(bad->body)["error"]["message"], "text-generation: unknown argument 'bogus'");
  EXPECT_EQ(t.post("/v1/completions", json{{"prompt", {"a", "b"}}})->status, 422);
  EXPECT_EQ(t.post("/v1/completions", json{{"prompt", "a"}, {"echo", true}})->status, 422);
}

TEST(ServerOpenAI, CompletionStreamsServerSentEvents) {
  TestServer t;
  t.server->serve(generator());
  auto r = t.post("/v1/completions", json{{"prompt", "a b c"}, {"stream", true}, {"max_tokens", 10}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/event-stream");
  std::vector<std::string> events;
  for (size_t at = 0; at < r->body.size();) {
    size_t end = r->body.find("\n\n", at);
    ASSERT_NE(end, std::string::npos) << r->body;
    ASSERT_EQ(r->body.compare(at, 6, "data: "), 0) << r->body;
    events.push_back(r->body.substr(at + 6, end - at - 6));
    at = end + 2;
  }
  ASSERT_EQ(events.size(), 5u) << r->body;  // three pieces, the final chunk, [DONE]
  std::string text;
  for (int i = 0; i < 3; ++i) {
    json chunk = json::parse(events[i]);
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
    text += chunk["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(text, " c b a");
  json last = json::parse(events[3]);
  EXPECT_EQ(last["choices"][0]["text"], "");
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(last["usage"]["completion_tokens"], 3);
  EXPECT_EQ(events[4], "[DONE]");

  // An error before any text is an ordinary error answer, not a stream.
  auto bad = t.post("/v1/completions", json{{"prompt", "x"}, {"stream", true}, {"bogus", 1}});
  EXPECT_EQ(bad->status, 422);
  EXPECT_EQ(bad->get_header_value("Content-Type"), "application/json");
}

TEST(ServerOpenAI, CompletionOfARealModelIsThePipelinesGreedyText) {
  const auto dir = test::golden_model("tiny-gpt2-legacy");
  const std::string prompt = "Hello world, this is";
  const json expected = TextGenerationPipeline(dir)(prompt, {{"max_new_tokens", 5}, {"return_full_text", false}});
  TestServer t;
  t.server->serve(server::load_served_model(dir.string()));
  auto r = t.post("/v1/completions", json{{"prompt", prompt}, {"max_tokens", 5}, {"temperature", 0}});
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  EXPECT_EQ(j["choices"][0]["text"], expected[0]["generated_text"]);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  const size_t prompt_tokens = Tokenizer::from_dir(dir).encode(prompt, EncodeOptions{}).ids.size();
  EXPECT_EQ(j["usage"], json({{"prompt_tokens", prompt_tokens}, {"completion_tokens", 5}, {"total_tokens", prompt_tokens + 5}}));

  auto s = t.post("/v1/completions", json{{"prompt", prompt}, {"max_tokens", 5}, {"temperature", 0}, {"stream", true}});
  ASSERT_EQ(s->status, 200) << s->body;
  std::string streamed;
  for (size_t at = 0; (at = s->body.find("data: {", at)) != std::string::npos; ++at) {
    const size_t end = s->body.find("\n\n", at);
    streamed += json::parse(s->body.substr(at + 6, end - at - 6))["choices"][0]["text"].get<std::string>();
  }
  EXPECT_EQ(streamed, expected[0]["generated_text"]);
}

}  // namespace

// The OpenAI routes: POST /v1/embeddings (sentence-embeddings models) and POST /v1/completions
// (text-generation models; "stream": true as server-sent events, shaped as llama.cpp's server
// sends them). Errors use OpenAI's {"error": {"message", "type", "code"}}, which OpenAI clients read.
#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "server/context.h"
#include "util/error.h"

namespace lmpipe::server {

namespace {

const char* openai_error_type(int status) {
  switch (status) {
    case 404: return "not_found_error";
    case 500: return "server_error";
    case 501: return "not_supported_error";
    case 503: return "unavailable_error";
    default: return "invalid_request_error";
  }
}

json openai_error_body(const HttpError& e) {
  return json{{"error", {{"message", e.message}, {"type", openai_error_type(e.status)}, {"code", e.status}}}};
}

void reply_openai_error(httplib::Response& res, const HttpError& e) {
  res.status = e.status;
  if (e.retry_after_seconds > 0) res.set_header("Retry-After", std::to_string(e.retry_after_seconds));
  reply_json(res, openai_error_body(e));
}

std::string base64(const std::string& bytes) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[v & 63] : '=';
  }
  return out;
}

json parse_openai_body(const httplib::Request& req) {
  json body = parse_json_body(req.body);
  if (!body.is_object()) throw HttpError{422, "the body must be a JSON object"};
  return body;
}

// --- /v1/embeddings ---

void embeddings(Context& context, const httplib::Request& req, httplib::Response& res) {
  const auto start = std::chrono::steady_clock::now();
  context.require_model();
  if (context.model.task != "sentence-embeddings")
    throw HttpError{501, "this server runs " + context.model.task + " (model \"" + context.model.id +
                             "\"); /v1/embeddings needs a sentence-embeddings model"};
  const json body = parse_openai_body(req);
  auto input = body.find("input");
  if (input == body.end()) throw HttpError{422, "missing field \"input\""};
  json texts = input->is_string() ? json::array({*input}) : *input;
  if (!texts.is_array()) throw HttpError{422, "field \"input\" must be a string or a list of strings"};
  if (texts.empty()) throw HttpError{422, "field \"input\" must not be empty"};
  for (const auto& t : texts)
    if (!t.is_string()) throw HttpError{422, "field \"input\": only text is served (a string or a list of strings), not token ids"};
  const std::string format = body.value("encoding_format", std::string("float"));
  if (format != "float" && format != "base64")
    throw HttpError{422, "field \"encoding_format\" must be \"float\" or \"base64\""};
  // OpenAI's embeddings are unit vectors (TEI and llama.cpp normalize them too).
  json kwargs{{"normalize_embeddings", true}};
  if (auto d = body.find("dimensions"); d != body.end() && !d->is_null()) {
    if (!d->is_number_unsigned() || d->get<uint64_t>() == 0)
      throw HttpError{422, "field \"dimensions\" must be a positive integer"};
    kwargs["truncate_dim"] = *d;
  }
  const Outcome outcome = context.compute(texts, kwargs);
  json data = json::array();
  for (size_t i = 0; i < outcome.value.size(); ++i) {
    json embedding = outcome.value[i];
    if (format == "base64") {
      std::vector<float> v = embedding.get<std::vector<float>>();
      std::string bytes(v.size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), v.data(), bytes.size());  // raw little-endian f32, as OpenAI sends them
      embedding = base64(bytes);
    }
    data.push_back({{"object", "embedding"}, {"embedding", std::move(embedding)}, {"index", i}});
  }
  const size_t tokens = outcome.tokens;
  reply_outcome(res, outcome,
                json{{"object", "list"},
                     {"data", std::move(data)},
                     {"model", context.model.id},
                     {"usage", {{"prompt_tokens", tokens}, {"total_tokens", tokens}}}},
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// --- /v1/completions ---

// Generated text handed from the batch worker to the connection's thread.
class TextChannel {
 public:
  struct Event {
    enum Kind { kText, kDone, kFailed } kind;
    std::string text;
  };

  void push(const std::string& text) { add({Event::kText, text}); }
  void finish(Completion result) {
    std::lock_guard lock(mutex_);
    result_ = std::move(result);
    events_.push_back({Event::kDone, ""});
    changed_.notify_all();
  }
  void fail(HttpError error) {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
    events_.push_back({Event::kFailed, ""});
    changed_.notify_all();
  }
  Event next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !events_.empty(); });
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }
  const Completion& result() const { return result_; }
  const HttpError& error() const { return *error_; }
  // The client left: generation stops at its next piece of text.
  void cancel() { cancelled_ = true; }
  bool cancelled() const { return cancelled_; }

 private:
  void add(Event e) {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(e));
    changed_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Event> events_;
  Completion result_;
  std::optional<HttpError> error_;
  std::atomic<bool> cancelled_{false};
};

struct Cancelled {};

// OpenAI's arguments as transformers' generate() names them.
json generation_kwargs(const json& body) {
  json kwargs = json::object();
  for (const auto& [key, value] : body.items()) {
    if (key == "prompt" || key == "model" || key == "user" || key == "stream") continue;
    if (key == "echo" || key == "best_of" || key == "suffix" || key == "logprobs" || key == "n") {
      const bool harmless = value.is_null() || value == false || (key != "echo" && value == 1);
      if (!harmless) throw HttpError{422, "field \"" + key + "\" is not supported"};
      continue;
    }
    if (key == "max_tokens") {
      kwargs["max_new_tokens"] = value;
    } else if (key == "temperature") {
      // OpenAI's temperature 0 is greedy decoding.
      if (!value.is_number()) throw HttpError{422, "field \"temperature\" must be a number"};
      if (value.get<double>() > 0) {
        kwargs["do_sample"] = true;
        kwargs["temperature"] = value;
      } else {
        kwargs["do_sample"] = false;
      }
    } else if (key == "stop") {
      if (!value.is_null()) kwargs["stop_strings"] = value.is_string() ? json::array({value}) : value;
    } else {
      kwargs[key] = value;  // top_p, seed, ... as the pipeline names them; it rejects what it does not know
    }
  }
  if (!kwargs.contains("max_new_tokens")) kwargs["max_new_tokens"] = 16;  // OpenAI's default max_tokens
  return kwargs;
}

json completion_chunk(const std::string& id, const Context& context, std::time_t created, const std::string& text,
                      const json& finish_reason) {
  return json{{"id", id},
              {"object", "text_completion"},
              {"created", created},
              {"model", context.model.id},
              {"choices", json::array({{{"text", text}, {"index", 0}, {"logprobs", nullptr}, {"finish_reason", finish_reason}}})}};
}

json usage(const Completion& c) {
  return json{{"prompt_tokens", c.prompt_tokens},
              {"completion_tokens", c.completion_tokens},
              {"total_tokens", c.prompt_tokens + c.completion_tokens}};
}

std::string sse(const json& event) { return "data: " + event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n"; }

void completions(Context& context, const httplib::Request& req, httplib::Response& res) {
  context.require_model();
  if (!context.model.complete)
    throw HttpError{501, "this server runs " + context.model.task + " (model \"" + context.model.id +
                             "\"); /v1/completions needs a text-generation model"};
  const json body = parse_openai_body(req);
  auto prompt = body.find("prompt");
  if (prompt == body.end()) throw HttpError{422, "missing field \"prompt\""};
  if (!prompt->is_string()) throw HttpError{422, "field \"prompt\" must be a string (one prompt per request)"};
  auto stream_field = body.find("stream");
  if (stream_field != body.end() && !stream_field->is_boolean() && !stream_field->is_null())
    throw HttpError{422, "field \"stream\" must be true or false"};
  const bool stream = stream_field != body.end() && stream_field->is_boolean() && stream_field->get<bool>();
  const json kwargs = generation_kwargs(body);

  static std::atomic<uint64_t> serial{0};
  const std::string id = "cmpl-" + std::to_string(std::time(nullptr)) + "-" + std::to_string(++serial);
  const std::time_t created = std::time(nullptr);
  auto channel = std::make_shared<TextChannel>();
  const std::string text_in = prompt->get<std::string>();
  const bool queued = context.batcher->submit_exclusive([&context, channel, text_in, kwargs] {
    InFlight counted(context.metrics);
    try {
      Completion c = context.model.complete(text_in, kwargs, [&](const std::string& text, bool) {
        if (channel->cancelled()) throw Cancelled{};
        if (!text.empty()) channel->push(text);
      });
      channel->finish(std::move(c));
    } catch (const Cancelled&) {
    } catch (const Error& e) {
      channel->fail({422, e.what()});
    } catch (const json::exception& e) {
      channel->fail({422, std::string("invalid arguments: ") + e.what()});
    } catch (const std::exception& e) {
      channel->fail({500, std::string("internal error: ") + e.what()});
    }
  });
  if (!queued)
    throw HttpError{503, "the server is busy: " + std::to_string(context.options.batching.max_queue) +
                             " requests are queued (--max-queue); retry shortly", 1};

  // The first event decides the answer: an error before any text is an ordinary error reply.
  TextChannel::Event first = channel->next();
  if (first.kind == TextChannel::Event::kFailed) throw channel->error();
  if (!stream) {
    std::string text;
    for (TextChannel::Event e = first; e.kind != TextChannel::Event::kDone; e = channel->next()) {
      if (e.kind == TextChannel::Event::kFailed) throw channel->error();
      text += e.text;
    }
    json out = completion_chunk(id, context, created, text, channel->result().finish_reason);
    out["usage"] = usage(channel->result());
    return reply_json(res, out);
  }
  // The whole stream is written in one provider call: httplib checks for shutdown between
  // calls, and a stream in flight must finish.
  res.set_chunked_content_provider(
      "text/event-stream",
      [&context, channel, first, id, created](size_t, httplib::DataSink& sink) {
        for (TextChannel::Event e = first;; e = channel->next()) {
          std::string out;
          if (e.kind == TextChannel::Event::kText) {
            out = sse(completion_chunk(id, context, created, e.text, nullptr));
          } else if (e.kind == TextChannel::Event::kDone) {
            json last = completion_chunk(id, context, created, "", channel->result().finish_reason);
            last["usage"] = usage(channel->result());
            out = sse(last) + "data: [DONE]\n\n";
          } else {
            out = sse(openai_error_body(channel->error()));  // and no [DONE]
          }
          if (!sink.write(out.data(), out.size())) {
            channel->cancel();
            return false;
          }
          if (e.kind != TextChannel::Event::kText) break;
        }
        sink.done();
        return true;
      },
      [channel](bool success) {
        if (!success) channel->cancel();
      });
}

template <typename Route>
httplib::Server::Handler guarded(Context& context, Route route) {
  return [&context, route](const httplib::Request& req, httplib::Response& res) {
    try {
      route(context, req, res);
    } catch (const HttpError& e) {
      reply_openai_error(res, e);
    }
  };
}

}  // namespace

void add_openai_routes(httplib::Server& http, Context& context) {
  http.Post("/v1/embeddings", guarded(context, embeddings));
  http.Post("/v1/completions", guarded(context, completions));
}

}  // namespace lmpipe::server

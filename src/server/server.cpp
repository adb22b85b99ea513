#include "server/server.h"

#include <omp.h>
#include <sys/socket.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include "lmpipe/version.h"
#include "server/context.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::server {

namespace {

using Clock = std::chrono::steady_clock;

// Set when a request's routing starts, read when its answer is logged (same thread).
thread_local std::optional<Clock::time_point> request_start;

// The route pattern a path answers to, for metrics (never the raw path: unbounded labels).
std::string route_of(const httplib::Request& req) {
  const std::string& p = req.path;
  if (p == "/" || p == "/health" || p == "/info" || p == "/metrics" || p == "/v1/embeddings" || p == "/v1/completions")
    return p;
  if (p.rfind("/models/", 0) == 0) return "/models/{id}";
  return "other";
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string default_message(const httplib::Request& req, int status, size_t max_body_bytes) {
  switch (status) {
    case 404:
      return "no route " + req.method + " " + req.path +
             " (routes: POST /, POST /models/<id>, POST /v1/embeddings, POST /v1/completions, GET /health, "
             "GET /info, GET /metrics)";
    case 413:
      if (req.get_header_value("Content-Type").rfind("application/x-www-form-urlencoded", 0) == 0)
        return "form-encoded request bodies are limited to 8192 bytes: send Content-Type: application/json";
      return "request body larger than " + std::to_string(max_body_bytes) + " bytes (--max-body-bytes)";
    case 400:
      return "malformed HTTP request";
    default:
      return "HTTP error " + std::to_string(status);
  }
}

}  // namespace

void Context::require_model() const {
  if (!ready.load(std::memory_order_acquire)) throw HttpError{503, "the model is loading; retry shortly", 5};
}

Outcome Context::compute(const json& inputs, const json& kwargs) {
  require_model();
  InFlight counted(metrics);
  std::unique_ptr<Pipeline::Call> call;
  try {
    // Tokenizing here runs on the connection's thread; its own OpenMP team would only compete
    // with the batch's forward passes for the cores.
    omp_set_num_threads(1);
    call = model.pipeline->prepare(inputs, kwargs);
  } catch (const Error& e) {
    throw HttpError{422, e.what()};
  } catch (const json::exception& e) {
    throw HttpError{422, std::string("invalid arguments: ") + e.what()};
  }
  auto future = batcher->submit(std::move(call));
  if (!future)
    throw HttpError{503, "the server is busy: " + std::to_string(options.batching.max_queue) +
                             " requests are queued (--max-queue); retry shortly", 1};
  Outcome outcome = future->get();
  if (outcome.error) {
    try {
      std::rethrow_exception(outcome.error);
    } catch (const Error& e) {
      throw HttpError{422, e.what()};
    } catch (const json::exception& e) {
      throw HttpError{422, std::string("invalid arguments: ") + e.what()};
    } catch (const std::exception& e) {
      throw HttpError{500, std::string("internal error: ") + e.what()};
    }
  }
  return outcome;
}

json parse_json_body(const std::string& body) {
  if (size_t bad = tok::find_invalid_utf8(body); bad != std::string::npos)
    throw HttpError{400, "request body is not valid UTF-8 (byte " + std::to_string(bad) + ")"};
  if (body.empty()) throw HttpError{400, "empty request body: send a JSON object"};
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    throw HttpError{400, std::string("invalid JSON: ") + e.what()};
  }
}

void reply_json(httplib::Response& res, const json& value) {
  // Text a tokenizer decoded may hold a partial character; never fail the answer for it.
  res.set_content(value.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

void reply_error(httplib::Response& res, const HttpError& error) {
  res.status = error.status;
  if (error.retry_after_seconds > 0) res.set_header("Retry-After", std::to_string(error.retry_after_seconds));
  reply_json(res, json{{"error", error.message}});
}

void reply_outcome(httplib::Response& res, const Outcome& outcome, const json& value, double total_seconds) {
  auto ms = [](double s) { return std::to_string(static_cast<long long>(s * 1000 + 0.5)); };
  res.set_header("x-total-time", ms(total_seconds));
  res.set_header("x-queue-time", ms(outcome.queue_seconds));
  res.set_header("x-inference-time", ms(outcome.inference_seconds));
  res.set_header("x-batch-size", std::to_string(outcome.batch_requests));
  reply_json(res, value);
}

struct Server::Impl {
  explicit Impl(ServerOptions o) : options(std::move(o)), context(options) {}

  ServerOptions options;
  Context context;
  httplib::Server http;
  int port = -1;
  int listen_fd = -1;
  std::thread listener;
  std::atomic<bool> listen_returned{false};
  std::mutex stop_mutex;
  std::condition_variable stopped_changed;
  bool stopped = false;

  void log(const httplib::Request& req, const httplib::Response& res);
  void add_routes();
};

void Server::Impl::log(const httplib::Request& req, const httplib::Response& res) {
  const double seconds = request_start ? std::chrono::duration<double>(Clock::now() - *request_start).count() : 0.0;
  request_start.reset();
  context.metrics.request_done(route_of(req), res.status, seconds);
  if (!options.log) return;
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.1fms", seconds * 1000);
  std::string line = utc_now() + " " + req.remote_addr + " " + req.method + " " + req.path + " " +
                     std::to_string(res.status) + " " + std::to_string(res.body.size()) + "B " + ms;
  if (res.has_header("x-batch-size"))
    line += " queue=" + res.get_header_value("x-queue-time") + "ms batch=" + res.get_header_value("x-batch-size");
  options.log(line);
}

void Server::Impl::add_routes() {
  http.Get("/health", [this](const httplib::Request&, httplib::Response& res) {
    if (!context.ready.load(std::memory_order_acquire)) return reply_error(res, {503, "the model is loading", 5});
    res.set_content("", "text/plain");
  });
  http.Get("/info", [this](const httplib::Request&, httplib::Response& res) {
    const bool ready = context.ready.load(std::memory_order_acquire);
    const BatcherOptions& b = options.batching;
    json info{{"model_id", ready ? json(context.model.id) : json()},
              {"task", ready ? json(context.model.task) : json()},
              {"model_dtype", ready ? json(context.model.dtype) : json()},
              {"max_input_length", ready && context.model.max_input_tokens ? json(context.model.max_input_tokens) : json()},
              {"max_batch_tokens", b.max_batch_tokens},
              {"max_batch_requests", b.max_batch_requests},
              {"max_queue", b.max_queue},
              {"max_body_bytes", options.max_body_bytes},
              {"ready", ready},
              {"version", version()}};
    reply_json(res, info);
  });
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(context.metrics.render(), "text/plain; version=0.0.4");
  });
  add_inference_routes(http, context);
  add_openai_routes(http, context);
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
  if (!impl_->options.log) impl_->options.log = [](const std::string& line) { std::cerr << line + "\n"; };
}

Server::~Server() { stop(); }

void Server::start() {
  Impl& s = *impl_;
  const ServerOptions& o = s.options;
  s.http.set_payload_max_length(o.max_body_bytes);
  s.http.set_read_timeout(o.read_timeout);
  s.http.set_write_timeout(o.write_timeout);
  s.http.set_keep_alive_timeout(o.keep_alive_timeout.count());
  s.http.set_keep_alive_max_count(1000);
  s.http.set_tcp_nodelay(true);
  const size_t threads = o.http_threads > 0 ? o.http_threads : o.batching.max_queue + 16;
  s.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.http.set_socket_options([&s](socket_t fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    s.listen_fd = fd;
  });
  s.http.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_start = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Counted and logged as the answer goes out (before its bytes: a client that has its answer
  // finds it in /metrics), streams at their start.
  s.http.set_post_routing_handler([&s](const httplib::Request& req, httplib::Response& res) { s.log(req, res); });
  s.http.set_error_handler(httplib::Server::HandlerWithResponse(
      [&s](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;  // a route's own error
        reply_error(res, {res.status, default_message(req, res.status, s.options.max_body_bytes)});
        return httplib::Server::HandlerResponse::Handled;
      }));
  s.http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr e) {
    std::string what = "internal error";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what += std::string(": ") + x.what();
    } catch (...) {
    }
    reply_error(res, {500, what});
  });
  s.add_routes();

  s.port = o.port == 0 ? s.http.bind_to_any_port(o.host) : (s.http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (s.port <= 0)
    throw Error("cannot listen on " + o.host + ":" + std::to_string(o.port) + " (address in use or not local?)");
  // cpp-httplib listens with a backlog of 5; clients connecting together beyond that would wait
  // for SYN retransmits (a second or more). Linux takes a second listen() as a new backlog.
  ::listen(s.listen_fd, SOMAXCONN);
  s.listener = std::thread([&s] {
    s.http.listen_after_bind();
    s.listen_returned = true;
  });
  while (!s.http.is_running() && !s.listen_returned) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

int Server::port() const { return impl_->port; }

void Server::serve(ServedModel model) {
  Context& c = impl_->context;
  c.model = std::move(model);
  c.batcher = std::make_unique<Batcher>(*c.model.pipeline, impl_->options.batching, c.metrics);
  c.ready.store(true, std::memory_order_release);
}

void Server::stop() {
  Impl& s = *impl_;
  std::lock_guard lock(s.stop_mutex);
  if (s.stopped) return;
  // httplib's stop closes the listening socket; the listener then joins every connection's
  // thread, each finishing the request it has read (keep-alive connections end after it).
  s.http.stop();
  if (s.listener.joinable()) s.listener.join();
  if (s.context.batcher) s.context.batcher->stop();
  s.stopped = true;
  s.stopped_changed.notify_all();
}

void Server::wait() {
  std::unique_lock lock(impl_->stop_mutex);
  impl_->stopped_changed.wait(lock, [&] { return impl_->stopped; });
}

}  // namespace lmpipe::server

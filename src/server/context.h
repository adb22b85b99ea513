#pragma once
// Internal to the server: what the route handlers share, and how they answer errors.
#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "server/batcher.h"
#include "server/metrics.h"
#include "server/served_model.h"
#include "server/server.h"

namespace lmpipe::server {

// A request that cannot be answered as asked: its status and the message the client sees.
struct HttpError {
  int status;
  std::string message;
  int retry_after_seconds = 0;  // > 0: sent as Retry-After
};

struct Context {
  explicit Context(const ServerOptions& o) : options(o) {}
  const ServerOptions& options;
  Metrics metrics;
  std::atomic<bool> ready{false};  // model and batcher are set
  ServedModel model;
  std::unique_ptr<Batcher> batcher;

  // Throws HttpError 503 while the model loads.
  void require_model() const;
  // Prepares the call on this thread, queues it and waits for its batch. Throws HttpError:
  // 422 for arguments the pipeline rejects, 503 when the queue is full, 500 for other failures.
  Outcome compute(const json& inputs, const json& kwargs);
};

// The body as JSON: HttpError 400 for invalid UTF-8 or JSON (naming the byte offset).
json parse_json_body(const std::string& body);
// {"error": message}; Retry-After when asked.
void reply_error(httplib::Response& res, const HttpError& error);
void reply_json(httplib::Response& res, const json& value);
// An outcome's value, with TEI's timing headers (x-total-time, x-queue-time, x-inference-time
// in ms, x-batch-size), `total_seconds` since the request arrived.
void reply_outcome(httplib::Response& res, const Outcome& outcome, const json& value, double total_seconds);

void add_inference_routes(httplib::Server& http, Context& context);
void add_openai_routes(httplib::Server& http, Context& context);

}  // namespace lmpipe::server

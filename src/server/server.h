#pragma once
// `lmpipe serve`: one model behind HTTP, with dynamic batching.
//
//   POST /, POST /models/<id>  the Hugging Face Inference API: {"inputs": ..., "parameters": {...}}
//                              answered with exactly what the pipeline returns
//   POST /v1/embeddings        OpenAI embeddings (sentence-embeddings models)
//   POST /v1/completions       OpenAI completions, "stream": true as server-sent events
//                              (text-generation models)
//   GET /health                503 until the model is loaded, then 200
//   GET /info                  model, task, dtype, limits, version
//   GET /metrics               Prometheus text
//
// Errors are {"error": "<what is wrong>"} ({"error": {"message", "type", "code"}} on the OpenAI
// routes, as OpenAI clients read them): 400 invalid JSON or UTF-8, 404 unknown route or model,
// 413 body over the limit, 422 wrong or missing fields (and arguments the pipeline rejects),
// 501 a route the model cannot serve, 503 (with Retry-After) while loading or when the queue
// is full, 500 anything else.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "server/batcher.h"
#include "server/served_model.h"

namespace lmpipe::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (Server::port() tells which)
  size_t max_body_bytes = 2'000'000;  // TEI's payload limit
  BatcherOptions batching;
  std::chrono::seconds read_timeout{10}, write_timeout{10};  // per read / write on a connection
  std::chrono::seconds keep_alive_timeout{5};                // an idle connection is closed after this
  size_t http_threads = 0;  // connections served at once; 0: batching.max_queue + 16
  // Receives one line per request; the default writes it to stderr.
  std::function<void(const std::string& line)> log;
};

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts answering on its own threads (/health says 503 until serve()).
  // Throws lmpipe::Error when the address cannot be bound.
  void start();
  int port() const;
  // Serves `model` from now on.
  void serve(ServedModel model);
  // Stops accepting connections, answers every request already received, and returns when all
  // are answered. Safe to call from any thread, more than once.
  void stop();
  // Blocks until stop() has completed.
  void wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmpipe::server

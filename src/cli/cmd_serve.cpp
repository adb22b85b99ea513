// `lmpipe serve --model M`: the model behind HTTP (src/server), until SIGINT or SIGTERM.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cli/command.h"
#include "cli/commands.h"
#include "server/server.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

int stop_pipe[2] = {-1, -1};  // written by the SIGTERM/SIGINT handler

struct ServeArgs {
  std::string model, task, dtype = "float32";
  std::string port = "8080", max_batch_tokens, max_batch_requests, max_queue, max_body_bytes;
  server::ServerOptions options;
};

int run_serve(ServeArgs& args) {
  // Usage errors (exit status 2) before anything is bound or loaded.
  check_environment();
  const LoadOptions load = parse_load_options(args.dtype);
  server::ServerOptions& o = args.options;
  o.port = static_cast<int>(parse_count(args.port, "--port", 0, 65535));
  auto count = [](const std::string& text, const std::string& option, size_t fallback, size_t max) {
    return text.empty() ? fallback : parse_count(text, option, 1, max);
  };
  o.batching.max_batch_tokens = count(args.max_batch_tokens, "--max-batch-tokens", o.batching.max_batch_tokens, 1 << 24);
  o.batching.max_batch_requests = count(args.max_batch_requests, "--max-batch-requests", o.batching.max_batch_requests, 4096);
  o.batching.max_queue = count(args.max_queue, "--max-queue", o.batching.max_queue, 65536);
  o.max_body_bytes = count(args.max_body_bytes, "--max-body-bytes", o.max_body_bytes, size_t(1) << 32);

  // SIGTERM/SIGINT only wake a thread that stops the server: the handler writes a byte to a pipe
  // (all a signal handler may safely do), whichever thread the signal lands on.
  if (::pipe(stop_pipe) != 0) throw Error("cannot create a pipe for signals");
  struct sigaction on_stop {};
  on_stop.sa_handler = [](int) { [[maybe_unused]] ssize_t n = ::write(stop_pipe[1], "s", 1); };
  on_stop.sa_flags = SA_RESTART;
  sigemptyset(&on_stop.sa_mask);
  sigaction(SIGINT, &on_stop, nullptr);
  sigaction(SIGTERM, &on_stop, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that left is a failed write, not an exit

  server::Server server(args.options);
  server.start();
  const std::string address = "http://" + args.options.host + ":" + std::to_string(server.port());
  std::cerr << "lmpipe serve: listening on " + address + ", loading " + args.model + "\n";

  enum State { kLoading, kServing, kFailed };
  std::atomic<State> state{kLoading};
  std::thread on_signal([&] {
    char byte = 0;
    while (::read(stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    if (state != kFailed) std::cerr << "lmpipe serve: stopping (finishing the requests in flight)\n";
    server.stop();
    // Loading cannot be interrupted, and nothing was answered but 503s: leave now.
    if (state == kLoading) std::_Exit(0);
  });
  try {
    server.serve(server::load_served_model(args.model, args.task, load));
  } catch (...) {
    state = kFailed;
    [[maybe_unused]] ssize_t n = ::write(stop_pipe[1], "f", 1);  // ends the signal thread (it stops the server)
    on_signal.join();
    throw;
  }
  state = kServing;
  std::cerr << "lmpipe serve: ready on " + address + "\n";
  server.wait();
  on_signal.join();
  std::cerr << "lmpipe serve: stopped\n";
  return kExitOk;
}

}  // namespace

Command register_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  const server::ServerOptions defaults;
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over HTTP (Hugging Face Inference API and OpenAI routes)");
  cmd->add_option("-m,--model", args->model, "Model directory or Hugging Face model id")->required();
  cmd->add_option("--task", args->task, "Pipeline task; default: from the model's config (NLI models: zero-shot-classification)");
  add_dtype(cmd, args->dtype);
  cmd->add_option("--host", args->options.host, "Address to listen on (loopback unless told otherwise)")->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0: any free port)")->capture_default_str();
  cmd->add_option("--max-batch-tokens", args->max_batch_tokens,
                  "Tokens of the requests run together in one batch (default " +
                      std::to_string(defaults.batching.max_batch_tokens) + ")");
  cmd->add_option("--max-batch-requests", args->max_batch_requests,
                  "Requests in one batch (default " + std::to_string(defaults.batching.max_batch_requests) + ")");
  cmd->add_option("--max-queue", args->max_queue,
                  "Requests waiting for a batch; more are answered 503 (default " +
                      std::to_string(defaults.batching.max_queue) + ")");
  cmd->add_option("--max-body-bytes", args->max_body_bytes,
                  "Largest request body; larger ones are answered 413 (default " + std::to_string(defaults.max_body_bytes) + ")");
  cmd->footer(
      "Routes: POST / and /models/<id> ({\"inputs\": ..., \"parameters\": {...}}, answered with what the\n"
      "pipeline returns), POST /v1/embeddings, POST /v1/completions, GET /health, /info, /metrics.\n"
      "One log line per request on stderr. SIGTERM or SIGINT: stop accepting, answer what is in\n"
      "flight, exit 0.");
  return {cmd, [args] { return run_serve(*args); }};
}

}  // namespace lmpipe::cli

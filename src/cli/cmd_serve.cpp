// `lmpipe serve --model M`: the model behind HTTP (src/server), until SIGINT or SIGTERM.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "server/server.h"

namespace lmpipe::cli {

namespace {

struct ServeArgs {
  std::string model, task;
  server::ServerOptions options;
};

void run_serve(ServeArgs& args) {
  // Signals go to one thread that waits for them, so none lands in the middle of a request.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // before any thread starts: all inherit it
  signal(SIGPIPE, SIG_IGN);                            // a client that left is a failed write, not an exit

  server::Server server(args.options);
  server.start();
  const std::string address = "http://" + args.options.host + ":" + std::to_string(server.port());
  std::cerr << "lmpipe serve: listening on " + address + ", loading " + args.model + "\n";

  enum State { kLoading, kServing, kFailed };
  std::atomic<State> state{kLoading};
  std::thread on_signal([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (state != kFailed) std::cerr << "lmpipe serve: stopping (finishing the requests in flight)\n";
    server.stop();
    // Loading cannot be interrupted, and nothing was answered but 503s: leave now.
    if (state == kLoading) std::_Exit(0);
  });
  try {
    server.serve(server::load_served_model(args.model, args.task));
  } catch (...) {
    state = kFailed;
    pthread_kill(on_signal.native_handle(), SIGTERM);  // ends the signal thread (it stops the server)
    on_signal.join();
    throw;
  }
  state = kServing;
  std::cerr << "lmpipe serve: ready on " + address + "\n";
  server.wait();
  on_signal.join();
  std::cerr << "lmpipe serve: stopped\n";
}

}  // namespace

void register_serve(CLI::App& app) {
  auto args = std::make_shared<ServeArgs>();
  server::ServerOptions& o = args->options;
  CLI::App* cmd = app.add_subcommand("serve", "Serve a model over HTTP (Hugging Face Inference API and OpenAI routes)");
  cmd->add_option("-m,--model", args->model, "model directory or Hub id")->required();
  cmd->add_option("--task", args->task, "pipeline task; default: from the model's config (NLI models: zero-shot-classification)");
  cmd->add_option("--host", o.host, "address to listen on (loopback by default)")->capture_default_str();
  cmd->add_option("--port", o.port, "port to listen on (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  cmd->add_option("--max-batch-tokens", o.batching.max_batch_tokens, "tokens per batch of requests run together")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-batch-requests", o.batching.max_batch_requests, "requests per batch")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-queue", o.batching.max_queue, "requests waiting for a batch; more are answered 503")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-bytes", o.max_body_bytes, "largest request body; larger ones are answered 413")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->callback([args] { run_serve(*args); });
}

}  // namespace lmpipe::cli

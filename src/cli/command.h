#pragma once
// The lmpipe command line: the conventions every subcommand follows, and the pieces that
// implement them (this header, terminal.h for stdout/stderr, stream.h for line-by-line input).
//
// A subcommand is one cmd_<name>.cpp, named after the transformers task. It adds its CLI11
// parser (options as transformers names them: --model/-m, labels, templates...) and returns a
// Command whose run() does, in this order:
//   1. Check everything that needs no model, once: out().require_open(), check_environment(),
//      option values (parse_count, parse_choice), texts and labels (require_utf8), the task's
//      arguments through the pipeline's own static check (as
//      ZeroShotClassificationPipeline::check_arguments), and the input (constructing a Stream
//      opens it: a closed or directory stdin, a missing --input, --input-format). Each problem
//      is a UsageError naming the option or argument: exit status 2, before any model is
//      resolved or the Hub contacted.
//   2. Resolve and load the model (load_pipeline: --model a directory or a Hub id).
//   3. With TEXT arguments: run them and print the JSON Python returns, through out(). Without:
//      Stream::run, which reads one record per line from stdin or --input and writes one JSON
//      line per record, never stopping at a bad one. The subcommand supplies two functions:
//      parse one Record's task fields into an item, and run a batch of items into JSON results
//      (stream.h).
// Exit status (run_command_line): 0 all done; 1 a runtime failure (model, network, disk, a
// write to stdout) or some stream records failed; 2 a usage error (unknown command or option,
// bad value, missing argument). A broken pipe (the reader of stdout went away) ends the
// command quietly with the status so far.
// stdout carries results only, as JSON with Python's key order; stderr carries messages
// ("lmpipe: error: ...", "lmpipe: warning: ...", levels from LMPIPE_LOG) and, on a terminal, the
// progress line. Texts that start with '-' go after "--".
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "lmpipe/json.h"
#include "lmpipe/load_options.h"

namespace lmpipe::cli {

enum ExitStatus : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// A command line that cannot run as given (exit status 2); the message names the option or
// argument at fault.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Command {
  CLI::App* parser;
  std::function<int()> run;  // once parsed; returns the exit status
};

// The value of a count option ("--batch-size"): a whole number from min to max, or UsageError
// ("--batch-size 0: expected a whole number from 1 to 4096").
size_t parse_count(const std::string& text, const std::string& option, size_t min, size_t max);

// One of `choices`, or UsageError listing them.
std::string parse_choice(const std::string& text, const std::string& option, const std::vector<std::string>& choices);

// Adds the positional TEXT... arguments, each kept verbatim: a plain CLI11 positional list would
// read a text like "[MASK] a [MASK]" as its "[a, b]" list syntax and split it.
CLI::Option* add_texts(CLI::App* command, std::vector<std::string>& texts, const std::string& description);

// Adds --dtype: the precision of the linear layers (float32, bfloat16, int8), chosen at load.
CLI::Option* add_dtype(CLI::App* command, std::string& dtype);
// The LoadOptions for a --dtype value, or UsageError.
LoadOptions parse_load_options(const std::string& dtype);
// The directory of --model: a directory as given, or a Hub id at `revision` (fetched into the
// cache when needed).
std::filesystem::path resolve_model_option(const std::string& model, const std::string& revision);
// Logs (info) that `command` loaded `model_dir`, and how long it took since `start`.
void log_loaded(const std::string& command, const std::filesystem::path& model_dir,
                std::chrono::steady_clock::time_point start);
// Step 2 of a command's run: resolves --model and constructs pipeline P(model_dir, options).
template <typename P>
std::unique_ptr<P> load_pipeline(const std::string& command, const std::string& model, const std::string& revision,
                                 const LoadOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path model_dir = resolve_model_option(model, revision);
  auto pipeline = std::make_unique<P>(model_dir, options);
  log_loaded(command, model_dir, start);
  return pipeline;
}
// Prints the results of TEXT arguments as Python returns them: one input's result on its own,
// several as a list.
void print_results(const json& results);
// UsageError for an environment a model cannot run with (LMPIPE_NUM_THREADS='abc').
void check_environment();

// UsageError unless `text` is valid UTF-8; `what` names it ("--label", "TEXT 2").
void require_utf8(const std::string& text, const std::string& what);

// "byte 0xFF at position 4 is not valid UTF-8: "bad \xFF"": for any bytes, a message that is
// itself valid UTF-8 (invalid bytes and control characters escaped as \xNN, long texts cut).
std::string describe_invalid_utf8(std::string_view text, size_t bad_position);
std::string escape_bytes(std::string_view text, size_t max_bytes = 80);

// "0.42 s": the time since `start`, for info messages.
std::string seconds_since(std::chrono::steady_clock::time_point start);

// Parses argv against `app` (whose subcommands are the commands' parsers), runs the command
// chosen, and returns the exit status. Also: `lmpipe help [COMMAND]`, and `lmpipe --version`
// (the command named "version").
int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv);

}  // namespace lmpipe::cli

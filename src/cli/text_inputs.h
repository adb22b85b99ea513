#pragma once
// The texts of the fill-mask, feature-extraction, next-sentence and embed subcommands: from the
// command line, or streamed from stdin in the manner of `lmpipe zero-shot` (whose loop this
// generalizes): one input per line, run in
// batches as lines arrive (a batch is flushed when full or when no more input is waiting, so an
// interactive session answers each line at once), one JSON output line per input line, progress
// on stderr when it is a terminal. A bad line or input prints {"input": ..., "error": ...} (and
// the message on stderr) and does not stop the others; the exit code is then 1.
#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "util/json.h"

namespace lmpipe::cli {

// The subcommand's positional texts, taken verbatim: a CLI11 positional list would split a text
// like "[MASK] a [MASK]" as its "[a, b]" list syntax. texts_argument() returns them after parsing
// and rejects unknown options (arguments starting with '-').
void add_texts_argument(CLI::App& cmd, const std::string& description);
std::vector<std::string> texts_argument(const CLI::App& cmd);

// One stdin line as a text: a JSON string, a JSON object with "text", or the raw line.
json text_of_line(const std::string& line);

// Reads stdin to the end. `parse` turns a line into an input (throws lmpipe::Error for a bad
// line); `run` maps a batch of inputs to one output each. Returns the process exit code.
int run_stdin_batches(size_t batch_size, const std::function<json(const std::string& line)>& parse,
                      const std::function<std::vector<json>(const std::vector<json>& inputs)>& run);

// Prints a result given on the command line: indented JSON, as `lmpipe zero-shot` does.
void print_result(const json& result);

}  // namespace lmpipe::cli

#include "cli/text_inputs.h"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "util/error.h"

namespace lmpipe::cli {

namespace {

// True when another line can be read without waiting, so a batch can grow without stalling an
// interactive session.
bool more_input_ready() {
  if (std::cin.rdbuf()->in_avail() > 0) return true;
  pollfd fd{STDIN_FILENO, POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0;
}

class Progress {
 public:
  Progress() : enabled_(::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}
  void add(size_t n) {
    done_ += n;
    if (!enabled_) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%zu inputs, %.2f inputs/s", done_, seconds > 0 ? done_ / seconds : 0.0);
  }
  ~Progress() {
    if (enabled_ && done_ > 0) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  size_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

json error_record(const json& input, const std::string& message) {
  std::cerr << "lmpipe: error: " << message << "\n";
  json record = json::object();
  if (!input.is_null()) record["input"] = input;
  record["error"] = message;
  return record;
}

}  // namespace

void add_texts_argument(CLI::App& cmd, const std::string& description) {
  cmd.allow_extras();
  cmd.footer("TEXT...: " + description);
}

std::vector<std::string> texts_argument(const CLI::App& cmd) {
  std::vector<std::string> texts = cmd.remaining();
  for (const auto& t : texts)
    if (t.size() > 1 && t[0] == '-') throw CLI::ExtrasError({t});
  return texts;
}

json text_of_line(const std::string& line) {
  if (!line.empty() && (line[0] == '{' || line[0] == '"')) {
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw Error(std::string("stdin: invalid JSON line: ") + e.what());
    }
    if (j.is_string()) return j;
    if (j.is_object() && j.contains("text") && j["text"].is_string()) return j["text"];
    throw Error("stdin: JSON line has no string field 'text'");
  }
  return line;
}

int run_stdin_batches(size_t batch_size, const std::function<json(const std::string& line)>& parse,
                      const std::function<std::vector<json>(const std::vector<json>& inputs)>& run) {
  Progress progress;
  int failures = 0;
  std::vector<json> batch;
  auto flush = [&] {
    if (batch.empty()) return;
    try {
      for (const json& out : run(batch)) std::cout << out.dump() << "\n";
    } catch (const Error&) {
      // One bad input must not lose the others: run them one by one.
      for (const json& input : batch) {
        try {
          std::cout << run({input}).front().dump() << "\n";
        } catch (const Error& e) {
          std::cout << error_record(input, e.what()).dump() << "\n";
          ++failures;
        }
      }
    }
    std::cout.flush();
    progress.add(batch.size());
    batch.clear();
  };
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    try {
      batch.push_back(parse(line));
    } catch (const Error& e) {
      flush();
      std::cout << error_record(json(), e.what()).dump() << "\n";
      std::cout.flush();
      ++failures;
      continue;
    }
    if (batch.size() >= batch_size || !more_input_ready()) flush();
  }
  flush();
  return failures == 0 ? 0 : 1;
}

void print_result(const json& result) { std::cout << result.dump(2) << "\n"; }

}  // namespace lmpipe::cli

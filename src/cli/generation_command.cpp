// The shared part of `lmpipe text-generation | summarization | translation | text2text-generation`.
#include "cli/generation_command.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>

#include "io/hub.h"
#include "util/error.h"

namespace lmpipe::cli {

namespace {

// One stdin line: a JSON string, a JSON object with "text", or the raw text.
std::string text_of_line(const std::string& line) {
  if (!line.empty() && (line[0] == '{' || line[0] == '"')) {
    json j;
    try {
      j = json::parse(line);
    } catch (const json::parse_error& e) {
      throw Error(std::string("stdin: invalid JSON line: ") + e.what());
    }
    if (j.is_string()) return j.get<std::string>();
    for (const char* key : {"text", "text_inputs", "inputs"})
      if (j.contains(key) && j[key].is_string()) return j[key].get<std::string>();
    throw Error("stdin: JSON line has no string field 'text'");
  }
  return line;
}

json build_kwargs(const GenerationArgs& a) {
  json k = json::object();
  auto set = [&](const char* name, const auto& value) {
    if (value) k[name] = *value;
  };
  set("max_new_tokens", a.max_new_tokens);
  set("min_new_tokens", a.min_new_tokens);
  set("max_length", a.max_length);
  set("min_length", a.min_length);
  set("num_beams", a.num_beams);
  set("num_return_sequences", a.num_return_sequences);
  set("top_k", a.top_k);
  set("no_repeat_ngram_size", a.no_repeat_ngram_size);
  set("seed", a.seed);
  set("temperature", a.temperature);
  set("top_p", a.top_p);
  set("min_p", a.min_p);
  set("repetition_penalty", a.repetition_penalty);
  set("length_penalty", a.length_penalty);
  set("return_full_text", a.return_full_text);
  if (a.do_sample) k["do_sample"] = true;
  if (!a.stop_strings.empty()) k["stop_strings"] = a.stop_strings;
  if (a.return_tensors) k["return_tensors"] = true;
  if (a.batch_size > 1) k["batch_size"] = a.batch_size;
  if (!a.kwargs_json.empty()) {
    json extra;
    try {
      extra = json::parse(a.kwargs_json);
    } catch (const json::parse_error& e) {
      throw Error(std::string("--kwargs: invalid JSON: ") + e.what());
    }
    if (!extra.is_object()) throw Error("--kwargs must be a JSON object");
    k.update(extra);
  }
  return k;
}

class Progress {
 public:
  Progress() : enabled_(::isatty(STDERR_FILENO)), start_(std::chrono::steady_clock::now()) {}
  void add(size_t n) {
    done_ += n;
    if (!enabled_) return;
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::fprintf(stderr, "\r%zu texts, %.2f texts/s", done_, seconds > 0 ? done_ / seconds : 0.0);
  }
  ~Progress() {
    if (enabled_ && done_ > 0) std::fprintf(stderr, "\n");
  }

 private:
  bool enabled_;
  size_t done_ = 0;
  std::chrono::steady_clock::time_point start_;
};

// Prints one text's generation as it comes.
void stream_one(const Pipeline& pipeline, const std::string& text, const json& kwargs, bool echo_input) {
  const TextCallback print = [](const std::string& chunk, bool end) {
    std::cout << chunk;
    if (end) std::cout << "\n";
    std::cout.flush();
  };
  if (const auto* p = dynamic_cast<const TextGenerationPipeline*>(&pipeline)) {
    if (echo_input) std::cout << text << std::flush;
    p->stream(text, kwargs, print);
  } else {
    dynamic_cast<const Text2TextGenerationPipeline&>(pipeline).stream(text, kwargs, print);
  }
}

int run_stdin(const Pipeline& pipeline, const json& kwargs, const GenerationArgs& args, bool echo_input) {
  Progress progress;
  int failures = 0;
  std::string line;
  std::vector<std::string> batch;
  auto fail = [&](const std::string& message) {
    std::cerr << "lmpipe: error: " << message << "\n";
    std::cout << json{{"error", message}}.dump() << "\n";
    ++failures;
  };
  auto flush = [&] {
    if (batch.empty()) return;
    try {
      if (args.stream) {
        for (const auto& text : batch) stream_one(pipeline, text, kwargs, echo_input);
      } else if (batch.size() == 1) {
        std::cout << pipeline(batch[0], kwargs).dump() << "\n";
      } else {
        // One line of output per input line, as when they run one by one.
        json results = pipeline(json(batch), kwargs);
        for (const auto& r : results) std::cout << (r.is_array() ? r : json::array({r})).dump() << "\n";
      }
    } catch (const Error& e) {
      if (batch.size() == 1 || args.stream) {
        fail(e.what());
      } else {  // one bad text must not lose the others
        for (const auto& text : batch) {
          try {
            std::cout << pipeline(text, kwargs).dump() << "\n";
          } catch (const Error& each) {
            fail(each.what());
          }
        }
      }
    }
    std::cout.flush();
    progress.add(batch.size());
    batch.clear();
  };
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    try {
      batch.push_back(text_of_line(line));
    } catch (const Error& e) {
      flush();
      fail(e.what());
      continue;
    }
    if (batch.size() >= args.batch_size) flush();
  }
  flush();
  return failures == 0 ? 0 : 1;
}

}  // namespace

void add_generation_options(CLI::App* cmd, GenerationArgs& a, const std::string& default_model) {
  a.model = default_model;
  cmd->add_option("-m,--model", a.model, "model directory or Hub id")->capture_default_str();
  cmd->add_option("--revision", a.revision, "Hub revision (branch, tag or commit)")->capture_default_str();
  cmd->add_option("--max-new-tokens", a.max_new_tokens, "tokens to generate at most");
  cmd->add_option("--min-new-tokens", a.min_new_tokens, "tokens to generate at least");
  cmd->add_option("--max-length", a.max_length, "total length at most (prompt or decoder start included)");
  cmd->add_option("--min-length", a.min_length, "total length at least");
  cmd->add_option("--num-beams", a.num_beams, "beam search with this many beams");
  cmd->add_option("--num-return-sequences", a.num_return_sequences, "sequences returned per input");
  cmd->add_flag("--do-sample", a.do_sample, "sample instead of greedy / beam search");
  cmd->add_option("--temperature", a.temperature, "sampling temperature");
  cmd->add_option("--top-k", a.top_k, "sample among the k most likely tokens (0: all)");
  cmd->add_option("--top-p", a.top_p, "sample within this probability mass");
  cmd->add_option("--min-p", a.min_p, "drop tokens below min_p times the most likely one");
  cmd->add_option("--seed", a.seed, "sampling seed (same seed, same output)");
  cmd->add_option("--repetition-penalty", a.repetition_penalty, "penalty for tokens already present");
  cmd->add_option("--no-repeat-ngram-size", a.no_repeat_ngram_size, "never repeat an n-gram of this size");
  cmd->add_option("--length-penalty", a.length_penalty, "beam search length penalty exponent");
  cmd->add_option("--stop", a.stop_strings, "stop once the text ends with this string (repeatable)");
  cmd->add_flag("--return-tensors", a.return_tensors, "return token ids instead of text");
  cmd->add_flag("--stream", a.stream, "print the text as it is generated instead of JSON");
  cmd->add_option("--batch-size", a.batch_size, "inputs generated together when reading stdin")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--kwargs", a.kwargs_json, "further pipeline / generate() arguments as a JSON object");
}

void run_generation(const GenerationArgs& args,
                    const std::function<std::unique_ptr<Pipeline>(const std::filesystem::path&)>& make, bool echo_input) {
  const json kwargs = build_kwargs(args);
  if (args.stream && args.return_tensors) throw Error("--stream prints text; it cannot be combined with --return-tensors");
  HubOptions hub;
  hub.revision = args.revision;
  const std::unique_ptr<Pipeline> pipeline = make(resolve_model(args.model, hub));
  if (args.texts.empty()) {
    const int rc = run_stdin(*pipeline, kwargs, args, echo_input);
    if (rc != 0) throw CLI::RuntimeError(rc);
    return;
  }
  if (args.stream) {
    for (const auto& text : args.texts) stream_one(*pipeline, text, kwargs, echo_input);
    return;
  }
  const json inputs = args.texts.size() == 1 ? json(args.texts[0]) : json(args.texts);
  std::cout << (*pipeline)(inputs, kwargs).dump(2) << "\n";
}

}  // namespace lmpipe::cli

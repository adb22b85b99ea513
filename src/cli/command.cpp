#include "cli/command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "cli/terminal.h"
#include "io/hub.h"
#include "kernels/kernels.h"
#include "tokenizers/unicode.h"
#include "util/error.h"
#include "util/log.h"

namespace lmpipe::cli {

namespace {

// "lmpipe", "lmpipe zero-shot", "lmpipe cache list": the command as the user typed it.
std::string command_path(const CLI::App* app) {
  std::string path;
  for (; app != nullptr; app = app->get_parent()) path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// "lmpipe: error: zero-shot: <message>" (no command name for the top level), and where to look.
std::string usage_message(const CLI::App* app, const std::string& message) {
  std::string path = command_path(app);
  std::string name = path.find(' ') == std::string::npos ? "" : path.substr(path.find(' ') + 1) + ": ";
  return "lmpipe: error: " + name + message + "\nTry '" + path + " --help'.";
}

std::vector<CLI::App*> subcommands(CLI::App* app) {
  return app->get_subcommands([](CLI::App*) { return true; });
}

CLI::App* find_subcommand(CLI::App* app, const std::string& name) {
  for (CLI::App* sub : subcommands(app))
    if (sub->check_name(name)) return sub;
  return nullptr;
}

std::string command_list(CLI::App* app) {
  std::string names;
  for (CLI::App* sub : subcommands(app)) names += (names.empty() ? "" : ", ") + sub->get_name();
  return names;
}

bool takes_value(const CLI::Option* option) { return option->get_items_expected_min() > 0; }

// Walks the words as CLI11 will parse them, to name what CLI11 reports badly or not at all: an
// unknown command, an unknown option (a text that starts with '-' is one, unless it comes after
// "--"), an option without its value or given twice. Returns the command the words select.
// `reached` follows the commands selected so far, for the message's help hint.
CLI::App* check_words(CLI::App* app, const std::vector<std::string>& words, size_t first, CLI::App*& reached) {
  reached = app;
  std::map<const CLI::Option*, int> seen;
  bool positional_seen = false;
  for (size_t i = first; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "--") break;
    if (word.size() > 1 && word[0] == '-') {
      const bool is_long = word[1] == '-';
      const std::string name = is_long ? word.substr(0, word.find('=')) : word.substr(0, 2);
      CLI::Option* option = app->get_option_no_throw(name);
      const bool attached = is_long ? word.find('=') != std::string::npos : word.size() > 2;
      if (option == nullptr || (attached && !takes_value(option))) {
        const bool takes_texts = subcommands(app).empty();
        std::string hint = takes_texts && (word.find(' ') != std::string::npos || !is_long)
                               ? " (a text that starts with '-' goes after '--': " + command_path(app) +
                                     " [OPTIONS] -- '" + word + "')"
                               : "";
        throw UsageError("unknown option '" + word + "'" + hint);
      }
      if (option == app->get_help_ptr()) return app;  // CLI11 shows this command's help
      if (takes_value(option) && !attached) {
        if (i + 1 >= words.size()) throw UsageError("option " + name + " needs a value");
        ++i;
      }
      if (option->get_items_expected_max() == 1 && ++seen[option] > 1)
        throw UsageError("option " + option->get_name() + " is given more than once");
      continue;
    }
    if (!positional_seen && !subcommands(app).empty()) {
      CLI::App* sub = find_subcommand(app, word);
      if (sub == nullptr) throw UsageError("unknown command '" + word + "' (commands: " + command_list(app) + ")");
      return check_words(sub, words, i + 1, reached);
    }
    positional_seen = true;
  }
  if (!subcommands(app).empty()) throw UsageError("a command is required (" + command_list(app) + ")");
  return app;
}

void print_help(const CLI::App* app) {
  const CLI::App* parent = app->get_parent();
  out().write(app->help(parent ? command_path(parent) : ""));
  out().flush();
}

// The message for an exception that reached the top: lmpipe::Error says it all; a filesystem
// error is reworded as "<path>: <cause>".
std::string describe(const std::exception& e) {
  if (auto* fs_error = dynamic_cast<const std::filesystem::filesystem_error*>(&e)) {
    std::string path = fs_error->path1().string();
    return (path.empty() ? "" : path + ": ") + fs_error->code().message();
  }
  return e.what();
}

}  // namespace

CLI::Option* add_texts(CLI::App* command, std::vector<std::string>& texts, const std::string& description) {
  // CLI11 splits "[...]" only for options that take extra arguments. This one instead expects
  // more texts than anyone gives (no count check under TakeAll), so CLI11 still hands it every
  // positional, those after "--" included.
  constexpr int kMany = CLI::detail::expected_max_vector_size;
  return command->add_option("texts", texts, description)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)  // first: it would reset expected's maximum
      ->expected(kMany - 1, kMany)
      ->allow_extra_args(false)
      ->type_name("TEXT");
}

size_t parse_count(const std::string& text, const std::string& option, size_t min, size_t max) {
  const std::string expected = "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (text.empty() || text.size() > 19 || text.find_first_not_of("0123456789") != std::string::npos) {
    bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    throw UsageError(option + " " + text + ": " + (digits ? "too large; " : "") + expected);
  }
  size_t value = std::stoull(text);
  if (value < min || value > max) throw UsageError(option + " " + text + ": " + expected);
  return value;
}

std::string parse_choice(const std::string& text, const std::string& option, const std::vector<std::string>& choices) {
  if (std::find(choices.begin(), choices.end(), text) != choices.end()) return text;
  std::string list;
  for (const auto& c : choices) list += (list.empty() ? "" : ", ") + c;
  throw UsageError(option + " " + text + ": expected one of " + list);
}

CLI::Option* add_dtype(CLI::App* command, std::string& dtype) {
  return command
      ->add_option("--dtype", dtype, "Precision of the linear layers: float32 (exact), bfloat16 or int8")
      ->capture_default_str();
}

LoadOptions parse_load_options(const std::string& dtype) {
  LoadOptions options;
  options.dtype = parse_weight_dtype(parse_choice(dtype, "--dtype", {"float32", "bfloat16", "int8"}));
  return options;
}

std::filesystem::path resolve_model_option(const std::string& model, const std::string& revision) {
  HubOptions hub;
  hub.revision = revision;
  return resolve_model(model, hub);
}

void log_loaded(const std::string& command, const std::filesystem::path& model_dir,
                std::chrono::steady_clock::time_point start) {
  log_info(command + ": loaded " + model_dir.string() + " in " + seconds_since(start));
}

void print_results(const json& results) {
  out().write((results.size() == 1 ? results[0] : results).dump(2) + "\n");
}

std::string seconds_since(std::chrono::steady_clock::time_point start) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return buf;
}

void check_environment() {
  try {
    log_debug(std::to_string(kernels::num_threads()) + " threads");
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

void require_utf8(const std::string& text, const std::string& what) {
  if (size_t bad = tok::find_invalid_utf8(text); bad != std::string::npos)
    throw UsageError(what + ": " + describe_invalid_utf8(text, bad));
}

std::string escape_bytes(std::string_view text, size_t max_bytes) {
  std::string out = "\"";
  size_t i = 0;
  for (; i < text.size() && i < max_bytes;) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t invalid = tok::find_invalid_utf8(text.substr(i, tok::utf8_sequence_length(c)));
    if (c >= 0x80 && invalid == std::string_view::npos && i + tok::utf8_sequence_length(c) <= text.size()) {
      out.append(text.substr(i, tok::utf8_sequence_length(c)));
      i += tok::utf8_sequence_length(c);
    } else if (c < 0x20 || c == 0x7f || c >= 0x80) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      out += buf;
      ++i;
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
    }
  }
  return out + (i < text.size() ? "...\"" : "\"");
}

std::string describe_invalid_utf8(std::string_view text, size_t bad) {
  char byte[8];
  std::snprintf(byte, sizeof byte, "0x%02X", static_cast<unsigned char>(text[bad]));
  // Quote the text around the bad byte, from a character boundary.
  constexpr size_t kBefore = 30, kShown = 70;
  size_t start = bad > kBefore ? bad - kBefore : 0;
  while (start > 0 && start < bad && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return "not valid UTF-8: byte " + std::string(byte) + " at position " + std::to_string(bad) + " in " +
         (start > 0 ? "..." : "") + escape_bytes(text.substr(start), kShown) + " (lmpipe reads UTF-8 text)";
}

int run_command_line(CLI::App& app, const std::vector<Command>& commands, int argc, char** argv) {
  std::vector<std::string> words(argv + 1, argv + argc);
  CLI::App* selected = &app;
  try {
    if (words.empty()) {
      terminal().message(app.help() + "\nlmpipe: error: a command is required");
      return kExitUsage;
    }
    if (words[0] == "--version") words[0] = "version";
    if (words[0] == "help") {
      for (size_t i = 1; i < words.size(); ++i) {
        CLI::App* sub = find_subcommand(selected, words[i]);
        if (sub == nullptr)
          throw UsageError("unknown command '" + words[i] + "' (commands: " + command_list(selected) + ")");
        selected = sub;
      }
      print_help(selected);
      return kExitOk;
    }
    selected = check_words(&app, words, 0, selected);
    std::vector<const char*> args{argv[0]};
    for (const auto& w : words) args.push_back(w.c_str());
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp&) {
    try {
      print_help(selected);
      return kExitOk;
    } catch (const std::exception& e) {
      terminal().message("lmpipe: error: " + describe(e));
      return kExitFailure;
    }
  } catch (const CLI::ParseError& e) {
    terminal().message(usage_message(selected, e.what()));
    return kExitUsage;
  } catch (const UsageError& e) {
    terminal().message(usage_message(selected, e.what()));
    return kExitUsage;
  } catch (const std::exception& e) {
    terminal().message("lmpipe: error: " + describe(e));
    return kExitFailure;
  }

  for (const Command& command : commands) {
    if (command.parser != selected) continue;
    try {
      int status = command.run();
      out().flush();
      return status;
    } catch (const UsageError& e) {
      terminal().message(usage_message(selected, e.what()));
      return kExitUsage;
    } catch (const BrokenPipe&) {
      return kExitOk;
    } catch (const std::exception& e) {
      terminal().message("lmpipe: error: " + describe(e));
      return kExitFailure;
    }
  }
  terminal().message("lmpipe: error: " + command_path(selected) + " has nothing to run");
  return kExitFailure;
}

}  // namespace lmpipe::cli

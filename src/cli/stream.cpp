#include "cli/stream.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

#include "cli/command.h"
#include "cli/terminal.h"
#include "tokenizers/unicode.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

namespace lmpipe::cli {

namespace {

constexpr size_t kMaxBatchSize = 4096;
constexpr auto kRedrawInterval = std::chrono::milliseconds(250);

using Clock = std::chrono::steady_clock;

// Lines of a file descriptor, read with read(2) so that a read error is seen and so that
// ready() can tell whether another line is there without waiting.
class LineReader {
 public:
  LineReader(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

  // The next line, without "\n" or "\r\n"; false at the end. Throws lmpipe::Error on a read error.
  bool next(std::string& line) {
    for (;;) {
      size_t newline = buffer_.find('\n', pos_);
      if (newline != std::string::npos) {
        line.assign(buffer_, pos_, newline - pos_);
        pos_ = newline + 1;
        break;
      }
      if (eof_) {
        if (pos_ >= buffer_.size()) return false;
        line.assign(buffer_, pos_);
        pos_ = buffer_.size();
        break;
      }
      buffer_.erase(0, pos_);
      pos_ = 0;
      fill();
    }
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
  }

  size_t line_number() const { return line_number_; }

  // Whether next() would return without waiting for input.
  bool ready() {
    if (eof_ || buffer_.find('\n', pos_) != std::string::npos) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

 private:
  void fill() {
    char chunk[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error("cannot read " + name_ + ": " + std::strerror(errno));
      if (n == 0) eof_ = true;
      buffer_.append(chunk, static_cast<size_t>(n));
      return;
    }
  }

  int fd_;
  std::string name_;
  std::string buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
  size_t line_number_ = 0;
};

struct Counts {
  size_t lines = 0, done = 0, failed = 0, skipped = 0;
  size_t processed() const { return done + failed + skipped; }
};

std::string plural(size_t n, const std::string& noun) {
  std::string digits = std::to_string(n), grouped;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped + " " + noun + (n == 1 ? "" : "s");
}

std::string rate(size_t lines, double seconds) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f lines/s", seconds > 0 ? double(lines) / seconds : 0.0);
  return buf;
}

// The progress line on a terminal's stderr, and the summary at the end.
class Progress {
 public:
  Progress(std::string command, bool shown) : command_(std::move(command)), shown_(shown), last_(Clock::now()) {}

  void update(const Counts& c, double compute_seconds) {
    if (!shown_ || Clock::now() - last_ < kRedrawInterval) return;
    last_ = Clock::now();
    std::string text = "lmpipe " + command_ + ": " + plural(c.processed(), "line") + ", " +
                       rate(c.processed(), compute_seconds);
    if (c.failed) text += ", " + std::to_string(c.failed) + " failed";
    terminal().progress(text);
  }

  void finish(const Counts& c, double compute_seconds) {
    if (shown_) {
      std::string text = "lmpipe " + command_ + ": " + plural(c.processed(), "line") + ": " +
                         std::to_string(c.done) + " done, " + std::to_string(c.failed) + " failed";
      if (c.skipped) text += ", " + std::to_string(c.skipped) + " empty";
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.2f", compute_seconds);
      terminal().message(text + "; " + seconds + " s computing, " + rate(c.processed(), compute_seconds));
    } else if (c.failed && log_enabled(LogLevel::Error)) {
      terminal().message("lmpipe " + command_ + ": " + std::to_string(c.failed) + " of " + plural(c.processed(), "line") +
                         " failed");
    }
  }

 private:
  std::string command_;
  bool shown_;
  Clock::time_point last_;
};

std::string dump_line(const json& record) {
  // The replace handler is a last guard: every string here was checked to be UTF-8.
  return record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

// The task's result with the record's other fields first; a result that is not an object
// (a list, as fill-mask returns) goes under "output".
json with_fields(const json& fields, json result) {
  if (fields.empty()) return result;
  json out = json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it)
    if (!result.is_object() || !result.contains(it.key())) json_append_unique(out, it.key(), it.value());
  if (!result.is_object()) {
    out["output"] = std::move(result);
    return out;
  }
  for (auto it = result.begin(); it != result.end(); ++it) json_append_unique(out, it.key(), std::move(it.value()));
  return out;
}

json error_record(const json& fields, size_t line, const std::string& message) {
  json out = json::object();
  for (auto it = fields.begin(); it != fields.end(); ++it)
    if (it.key() != "line" && it.key() != "error") json_append_unique(out, it.key(), it.value());
  out["line"] = line;
  out["error"] = message;
  return out;
}

// nlohmann's messages start with "[json.exception.parse_error.101] ".
std::string json_message(const std::exception& e) {
  std::string m = e.what();
  size_t close = m.rfind("] ", 40);
  return m.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? m.substr(close + 2) : m;
}

}  // namespace

void StreamOptions::add_to(CLI::App* command, size_t default_batch_size) {
  batch_size = std::to_string(default_batch_size);
  command->add_option("-i,--input", input, "Read the records from FILE when no TEXT is given ('-': standard input)")
      ->capture_default_str();
  command->add_option("--input-format", input_format,
                      "text: one text per line, as given; jsonl: one JSON object per line ({\"text\": ...}; other "
                      "fields are copied to the output). Default: jsonl for a *.jsonl --input, else text");
  command->add_option("--batch-size", batch_size, "Records run together when streaming (1 to 4096)")
      ->capture_default_str();
}

Record::Record(size_t line, std::string text) : line_(line), text_(std::move(text)) {}

Record::Record(size_t line, json fields) : line_(line), fields_(std::move(fields)) {}

std::string Record::text(const std::vector<std::string>& keys) {
  if (!fields_.is_object()) return text_;
  for (const auto& key : keys) {
    auto it = fields_.find(key);
    if (it == fields_.end()) continue;
    read_.insert(key);
    if (!it->is_string()) throw Error("field '" + key + "' must be a string, not " + it->type_name());
    return it->get<std::string>();
  }
  throw Error("no '" + keys.at(0) + "' field (a JSONL record is an object such as {\"" + keys.at(0) + "\": \"...\"})");
}

const json* Record::field(const std::string& key) {
  if (!fields_.is_object()) return nullptr;
  auto it = fields_.find(key);
  if (it == fields_.end()) return nullptr;
  read_.insert(key);
  return it->is_null() ? nullptr : &*it;  // null is Python's None: not given
}

json Record::passthrough() const {
  json out = json::object();
  if (!fields_.is_object()) return out;
  for (auto it = fields_.begin(); it != fields_.end(); ++it)
    if (!read_.count(it.key())) json_append_unique(out, it.key(), it.value());
  return out;
}

Stream::Stream(std::string command, const StreamOptions& options) : command_(std::move(command)) {
  batch_size_ = parse_count(options.batch_size, "--batch-size", 1, kMaxBatchSize);
  std::optional<InputFormat> format;
  if (!options.input_format.empty())
    format = parse_choice(options.input_format, "--input-format", {"text", "jsonl"}) == "jsonl" ? InputFormat::Jsonl
                                                                                                : InputFormat::Text;
  struct stat st {};
  if (options.input.empty() || options.input == "-") {
    if (stdin_was_closed())
      throw UsageError("standard input is closed: give the texts as arguments, or pipe them in (one per line)");
    if (::fstat(STDIN_FILENO, &st) == 0 && S_ISDIR(st.st_mode))
      throw UsageError("standard input is a directory: give the texts as arguments, or redirect a file (one text per line)");
    fd_ = STDIN_FILENO;
    input_name_ = "standard input";
    input_is_terminal_ = ::isatty(STDIN_FILENO) != 0;
  } else {
    fd_ = ::open(options.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw UsageError("--input " + options.input + ": " + std::strerror(errno));
    owns_fd_ = true;
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) throw UsageError("--input " + options.input + ": is a directory");
    input_name_ = options.input;
    if (!format && options.input.size() > 6 && options.input.ends_with(".jsonl")) format = InputFormat::Jsonl;
  }
  format_ = format.value_or(InputFormat::Text);
}

Stream::~Stream() {
  if (owns_fd_) ::close(fd_);
}

int Stream::run_batches(PendingBatch& batch) {
  LineReader reader(fd_, input_name_);
  if (input_is_terminal_ && log_enabled(LogLevel::Warning)) {
    terminal().message("lmpipe " + command_ + ": reading " +
                       (format_ == InputFormat::Jsonl ? "JSON records" : "texts") +
                       " from the terminal, one per line; end with Ctrl-D (or give the texts as arguments)");
  }
  const std::string where = fd_ == STDIN_FILENO ? "line " : input_name_ + ", line ";
  Progress progress(command_, terminal().is_terminal() && !input_is_terminal_ && log_enabled(LogLevel::Warning));
  Counts counts;
  double compute_seconds = 0;

  // Records in input order: a batch item, or an error found before running.
  struct Slot {
    size_t line = 0;
    json fields = json::object();
    bool is_item = false;
    std::string error;
  };
  std::vector<Slot> slots;

  auto write_error = [&](size_t line, const json& fields, const std::string& message) {
    out().write(dump_line(error_record(fields, line, message)));
    ++counts.failed;
    if (log_enabled(LogLevel::Error)) terminal().message("lmpipe: error: " + where + std::to_string(line) + ": " + message);
  };
  auto flush = [&] {
    std::vector<std::optional<json>> results(batch.size());
    std::vector<std::string> errors(batch.size());
    if (batch.size() > 0) {
      auto start = Clock::now();
      try {
        std::vector<json> all = batch.run_all();
        if (all.size() != batch.size()) throw Error("internal error: a batch gave the wrong number of results");
        for (size_t i = 0; i < all.size(); ++i) results[i] = std::move(all[i]);
      } catch (const std::exception&) {
        // One bad item must not fail the others: find it by running them one at a time.
        for (size_t i = 0; i < batch.size(); ++i) {
          try {
            results[i] = batch.run_one(i);
          } catch (const std::exception& e) {
            errors[i] = e.what();
          }
        }
      }
      compute_seconds += std::chrono::duration<double>(Clock::now() - start).count();
      log_debug(command_ + ": " + std::to_string(batch.size()) + " records run");
    }
    size_t item = 0;
    for (const Slot& slot : slots) {
      if (!slot.is_item) {
        write_error(slot.line, slot.fields, slot.error);
      } else if (results[item]) {
        out().write(dump_line(with_fields(slot.fields, std::move(*results[item++]))));
        ++counts.done;
      } else {
        write_error(slot.line, slot.fields, errors[item++]);
      }
    }
    slots.clear();
    batch.clear();
    out().flush();
    progress.update(counts, compute_seconds);
  };

  std::string line;
  try {
    while (reader.next(line)) {
      const size_t number = reader.line_number();
      ++counts.lines;
      if (number == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 byte-order mark
      if (number == 1 && (line.rfind("\xFF\xFE", 0) == 0 || line.rfind("\xFE\xFF", 0) == 0))
        throw Error(input_name_ + " is UTF-16 (it starts with a UTF-16 byte-order mark); lmpipe reads UTF-8: "
                    "convert it first, e.g. iconv -f UTF-16 -t UTF-8");
      const bool blank = format_ == InputFormat::Jsonl ? line.find_first_not_of(" \t\f\v") == std::string::npos
                                                       : line.empty();
      if (blank) {
        ++counts.skipped;
      } else {
        Slot slot;
        slot.line = number;
        try {
          if (size_t bad = tok::find_invalid_utf8(line); bad != std::string::npos)
            throw Error(describe_invalid_utf8(line, bad));
          std::optional<Record> record;
          if (format_ == InputFormat::Text) {
            if (size_t nul = line.find('\0'); nul != std::string::npos)
              throw Error("a NUL byte at position " + std::to_string(nul) + " (is the input UTF-16 or binary?)");
            record.emplace(number, line);
          } else {
            json value;
            try {
              value = parse_json(line);
            } catch (const json::exception& e) {
              throw Error("invalid JSON: " + json_message(e));
            }
            if (value.is_string()) {
              record.emplace(number, value.get<std::string>());
            } else if (value.is_object()) {
              record.emplace(number, std::move(value));
            } else {
              throw Error(std::string("a JSONL record must be an object such as {\"text\": \"...\"} (or a JSON string), not ") +
                          value.type_name());
            }
          }
          try {
            batch.add(*record);
            slot.is_item = true;
          } catch (const std::exception& e) {
            slot.error = e.what();
          }
          slot.fields = record->passthrough();
        } catch (const std::exception& e) {
          slot.error = e.what();
        }
        slots.push_back(std::move(slot));
      }
      if (!slots.empty() && (batch.size() >= batch_size_ || !reader.ready())) flush();
    }
    flush();
  } catch (const BrokenPipe&) {
    terminal().clear_progress();
    return counts.failed ? kExitFailure : kExitOk;
  } catch (const std::exception&) {
    // A read error: the records read so far still get their results (a write error is
    // reported as it is).
    try {
      flush();
    } catch (const std::exception&) {
    }
    terminal().clear_progress();
    throw;
  }
  progress.finish(counts, compute_seconds);
  return counts.failed ? kExitFailure : kExitOk;
}

}  // namespace lmpipe::cli

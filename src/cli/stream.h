#pragma once
// Streams: one record per input line in, one JSON line per record out, for every subcommand
// that takes its texts from stdin or --input.
//
// Input: --input FILE (default "-", stdin); --input-format text|jsonl (default text, or jsonl for
// a *.jsonl file). text: each line is one text, exactly as given (a UTF-8 byte-order mark at the
// start of the input and the line ending are dropped). jsonl: each line is a JSON object whose
// task fields the subcommand reads ("text", and e.g. "candidate_labels"); every other field
// ("id", ...) is copied to the output record; a line that is a JSON string is a text. Empty
// lines are skipped (counted, no record).
// Output: per record, the task's JSON result, the record's other fields first; for a bad record
// (invalid UTF-8, invalid JSON, a bad field, a failed run) an error record
// {<other fields>, "line": N, "error": "..."} (bytes escaped, always valid JSON), with the same
// message on stderr; processing goes on. Records are batched (--batch-size) but a batch is cut
// short rather than wait for more input, so results of interactive input come at once. Exit
// status: 0 when every record succeeded, 1 when some failed.
// Progress: when stderr is a terminal (and stdin is not), a line counting every input line with
// the rate over compute time (waiting for input excluded), redrawn at most 4 times a second,
// cleared before anything else is printed, and a summary at the end. Elsewhere a summary only
// when records failed.
#include <CLI/CLI.hpp>
#include <cstddef>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "lmpipe/json.h"

namespace lmpipe::cli {

enum class InputFormat { Text, Jsonl };

// The options every streaming subcommand takes, as given (checked when a Stream opens).
struct StreamOptions {
  std::string input = "-";
  std::string input_format;
  std::string batch_size;
  // Adds --input, --input-format and --batch-size (default `default_batch_size`).
  void add_to(CLI::App* command, size_t default_batch_size);
};

// One input line as the subcommand's parse function sees it.
class Record {
 public:
  Record(size_t line, std::string text);  // text format
  Record(size_t line, json fields);       // jsonl: an object
  size_t line() const { return line_; }
  // The text: the line (text format), or the first of `keys` in the object, which must be a
  // string. Throws lmpipe::Error when none is present.
  std::string text(const std::vector<std::string>& keys = {"text"});
  // A field the task reads (not copied to the output); nullptr when absent or in text format.
  const json* field(const std::string& key);
  // The fields no task read, in input order.
  json passthrough() const;

 private:
  size_t line_;
  std::string text_;
  json fields_;
  std::set<std::string> read_;
};

// What a subcommand supplies to stream: parse one record's task fields into an Item (throw
// lmpipe::Error to reject the record), and run a batch of items into one JSON result per item,
// in order (throw when any fails: the stream then runs the batch's items one at a time).
template <typename Item>
struct StreamTask {
  std::function<Item(Record&)> parse;
  std::function<std::vector<json>(const std::vector<Item>&)> run;
};

// The type-erased batch a Stream drives; StreamTask's adapter below implements it.
class PendingBatch {
 public:
  virtual ~PendingBatch() = default;
  virtual void add(Record& record) = 0;  // parses; throws to reject the record
  virtual size_t size() const = 0;
  virtual std::vector<json> run_all() = 0;
  virtual json run_one(size_t index) = 0;
  virtual void clear() = 0;
};

class Stream {
 public:
  // Checks the options and opens the input (throws UsageError): before any model loads.
  // `command` names the subcommand in messages ("zero-shot").
  Stream(std::string command, const StreamOptions& options);
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  InputFormat format() const { return format_; }

  // Reads and runs every record; returns the exit status (0, or 1 when a record failed).
  template <typename Item>
  int run(const StreamTask<Item>& task);

 private:
  int run_batches(PendingBatch& batch);

  std::string command_;
  std::string input_name_;  // "standard input" or the file
  int fd_ = -1;
  bool owns_fd_ = false;
  bool input_is_terminal_ = false;
  InputFormat format_ = InputFormat::Text;
  size_t batch_size_ = 1;
};

template <typename Item>
class TaskBatch : public PendingBatch {
 public:
  explicit TaskBatch(const StreamTask<Item>& task) : task_(task) {}
  void add(Record& record) override { items_.push_back(task_.parse(record)); }
  size_t size() const override { return items_.size(); }
  std::vector<json> run_all() override { return task_.run(items_); }
  json run_one(size_t index) override { return task_.run({items_[index]}).at(0); }
  void clear() override { items_.clear(); }

 private:
  const StreamTask<Item>& task_;
  std::vector<Item> items_;
};

template <typename Item>
int Stream::run(const StreamTask<Item>& task) {
  TaskBatch<Item> batch(task);
  return run_batches(batch);
}

}  // namespace lmpipe::cli

#pragma once
// Helpers shared by the model tests: golden batches and values compared with a tolerance, model
// directories with an edited config.json, and error messages.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "models/model.h"
#include "test_util.h"
#include "util/error.h"
#include "util/json.h"

namespace lmpipe::test {

// A (nested) JSON array of numbers, flattened in order.
inline std::vector<double> flatten(const json& j) {
  std::vector<double> out;
  if (!j.is_array()) return {j.get<double>()};
  for (const auto& x : j) {
    auto inner = flatten(x);
    out.insert(out.end(), inner.begin(), inner.end());
  }
  return out;
}

// Every value within `tolerance` of the golden's (same count, absolute difference).
inline void expect_all_near(const std::vector<double>& got, const json& want, double tolerance, const std::string& where) {
  const std::vector<double> w = flatten(want);
  ASSERT_EQ(got.size(), w.size()) << where;
  double worst = 0;
  for (size_t i = 0; i < w.size(); ++i) worst = std::max(worst, std::abs(got[i] - w[i]));
  EXPECT_LE(worst, tolerance) << where << ": max abs difference " << worst;
}

inline json golden_expected(const std::string& model) { return read_json_file(golden_model(model) / "expected.json"); }
inline json golden_config(const std::string& model) { return read_json_file(golden_model(model) / "config.json"); }

// A padded batch from a golden's input_ids, and attention_mask / token_type_ids when given.
inline Batch golden_batch(const json& j) {
  Batch batch;
  batch.batch = static_cast<int64_t>(j.at("input_ids").size());
  batch.seq_len = static_cast<int64_t>(j.at("input_ids").at(0).size());
  for (const auto& row : j.at("input_ids"))
    for (int id : row) batch.input_ids.push_back(id);
  if (j.contains("attention_mask"))
    for (const auto& row : j.at("attention_mask"))
      for (int m : row) batch.attention_mask.push_back(m);
  if (j.contains("token_type_ids"))
    for (const auto& row : j.at("token_type_ids"))
      for (int t : row) batch.token_type_ids.push_back(t);
  return batch;
}

// The golden's padded batch of (premise, hypothesis) pairs.
inline Batch golden_pair_batch(const std::string& model) { return golden_batch(golden_expected(model).at("pair_logits")); }

// Row `r` of a padded batch without its padding (and without a mask: all ones).
inline Batch unpadded_row(const Batch& batch, int64_t r) {
  Batch one;
  one.batch = 1;
  for (int64_t t = 0; t < batch.seq_len; ++t)
    if (batch.attention_mask[r * batch.seq_len + t]) one.input_ids.push_back(batch.input_ids[r * batch.seq_len + t]);
  one.seq_len = static_cast<int64_t>(one.input_ids.size());
  return one;
}

// A directory under the temp directory, named `name`, holding `file` with `text` and links to
// every other entry of `from`.
inline std::filesystem::path linked_dir_with(const std::filesystem::path& from, const std::string& file,
                                             const std::string& text, const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const auto& entry : std::filesystem::directory_iterator(from))
    if (entry.path().filename() != file)
      std::filesystem::create_symlink(std::filesystem::canonical(entry.path()), dir / entry.path().filename());
  std::ofstream(dir / file) << text;
  return dir;
}

// A model directory (under the temp directory, named `name`) whose config.json is `config` and
// whose other files link to `model`'s.
inline std::filesystem::path model_with_config(const std::string& model, const json& config, const std::string& name) {
  return linked_dir_with(golden_model(model), "config.json", config.dump(2), "lmpipe_models_test_" + name);
}

// The lmpipe::Error message `f` throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace lmpipe::test

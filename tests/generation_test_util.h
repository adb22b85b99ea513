#pragma once
// Helpers of the generation tests: golden models loaded once, generate() on a golden's input ids.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "generation/generate.h"
#include "models/generative.h"
#include "model_test_util.h"
#include "test_util.h"
#include "util/json.h"

namespace lmpipe::test {

// Loaded once per test binary.
inline const GenerativeModel& generative_model(const std::string& name) {
  static std::map<std::string, std::unique_ptr<GenerativeModel>> models;
  auto& model = models[name];
  if (!model) model = load_generative_model(golden_model(name));
  return *model;
}

inline std::vector<int32_t> ids_of(const json& ids) {
  std::vector<int32_t> out;
  for (const auto& id : ids) out.push_back(id.get<int32_t>());
  return out;
}

// generate() on one input (a prompt or an encoder input), with the model's generation config and
// `kwargs` as call arguments; returns the first returned sequence.
inline std::vector<int32_t> generate_ids(const std::string& model_name, const std::vector<int32_t>& input,
                                         const json& kwargs, generation::GenerateOutput* full = nullptr) {
  generation::GenerateRequest request;
  request.inputs.batch = 1;
  request.inputs.seq_len = static_cast<int64_t>(input.size());
  request.inputs.input_ids = input;
  request.model_config = GenerationConfig::load(golden_model(model_name));
  request.kwargs = GenerationConfig::from_json(kwargs, "kwargs", true);
  generation::GenerateOutput out = generation::generate(generative_model(model_name), request);
  if (full) *full = out;
  return std::vector<int32_t>(out.row(0), out.row(0) + out.length);
}

}  // namespace lmpipe::test

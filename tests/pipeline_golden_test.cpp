// Pipeline calls with the options and edge cases users reach through transformers.pipeline()
// (tools/goldens/make_pipeline_goldens.py, transformers 5.17): zero-shot on inputs longer than the
// model (truncated only_first), ten labels on XLM-R, one label, a comma-separated label string with
// its own template, multi_label on a batch; fill-mask with duplicate and single-string targets and
// several masks; feature-extraction truncation; text-generation return_full_text / return_tensors /
// batches / returned beams, repetition_penalty, min_new_tokens, stop_sequence; sentence-transformers'
// encode options (batch_size, prompt, prompt_name, normalize_embeddings, truncate_dim). Output JSON
// as Python returns it: keys, strings, integers and order exact, scores within 1e-5, vectors 1e-4.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>

#include "lmpipe/pipeline.h"
#include "model_test_util.h"
#include "util/json.h"

using namespace lmpipe;

namespace {

void expect_json_near(const json& got, const json& want, double tolerance, const std::string& where) {
  if (want.is_number_float()) {
    ASSERT_TRUE(got.is_number()) << where << ": " << got.dump();
    EXPECT_LE(std::abs(got.get<double>() - want.get<double>()), tolerance) << where;
  } else if (want.is_array()) {
    ASSERT_TRUE(got.is_array()) << where << ": " << got.dump().substr(0, 200);
    ASSERT_EQ(got.size(), want.size()) << where;
    for (size_t i = 0; i < want.size(); ++i) expect_json_near(got[i], want[i], tolerance, where + "[" + std::to_string(i) + "]");
  } else if (want.is_object()) {
    ASSERT_TRUE(got.is_object()) << where << ": " << got.dump().substr(0, 200);
    ASSERT_EQ(got.size(), want.size()) << where << ": " << got.dump().substr(0, 200);
    for (const auto& [key, value] : want.items()) {
      ASSERT_TRUE(got.contains(key)) << where << ": no key " << key;
      expect_json_near(got[key], value, tolerance, where + "." + key);
    }
  } else {
    EXPECT_EQ(got, want) << where;
  }
}

// feature-extraction's goldens keep the token count and the first and last token's vectors.
json first_and_last(const json& features) {
  const json& tokens = features.at(0);
  return {{"tokens", tokens.size()}, {"first", tokens.front()}, {"last", tokens.back()}};
}

}  // namespace

TEST(PipelineGoldens, CallsMatchTransformers) {
  const json golden = read_json_file(test::fixtures() / "goldens/pipeline_goldens.json");
  ASSERT_EQ(golden["cases"].size(), 48u);
  std::map<std::string, std::unique_ptr<Pipeline>> pipelines;
  for (const json& c : golden["cases"]) {
    const std::string task = c["task"], model = c["model"];
    const std::string where = task + " " + model + " " + c["kwargs"].dump();
    auto& p = pipelines[task + "|" + model];
    if (!p) p = pipeline(task, test::golden_model(model).string());
    json got = (*p)(c["inputs"], c["kwargs"]);
    if (task == "feature-extraction") got = first_and_last(got);
    const bool vectors = task == "feature-extraction" || task == "sentence-embeddings";
    expect_json_near(got, c["output"], vectors ? 1e-4 : 1e-5, where);
  }
}

// Generation cases beyond the main goldens (early_stopping variants, returned beams, min_new_tokens,
// bad / suppressed tokens, several eos ids, left-padded batches, stop strings), from
// tools/goldens/make_generation_goldens.py (transformers 5.17), kept in
// tests/fixtures/goldens/generation_extra.json.
#include <gtest/gtest.h>

#include "generation_test_util.h"
#include "lmpipe/tokenizer.h"

using namespace lmpipe;

TEST(GenerationExtraGoldens, SequencesMatchTransformers) {
  const json golden = read_json_file(test::fixtures() / "goldens/generation_extra.json");
  ASSERT_EQ(golden["cases"].size(), 25u);
  for (const auto& c : golden["cases"]) {
    const std::string model = c["model"];
    generation::GenerateRequest request;
    request.inputs = test::golden_batch(c);
    request.model_config = GenerationConfig::load(test::golden_model(model));
    request.kwargs = GenerationConfig::from_json(c["kwargs"], "kwargs", true);
    const Tokenizer tokenizer = Tokenizer::from_dir(test::golden_model(model));
    request.token_text = [&](int32_t id) {
      EncodeOptions plain;
      plain.add_special_tokens = false;
      std::vector<int32_t> ids = tokenizer.encode("abcdef", plain).ids;
      const std::string prefix = tokenizer.decode(ids, false, false);
      ids.push_back(id);
      return tokenizer.decode(ids, false, false).substr(prefix.size());
    };
    const generation::GenerateOutput out = generation::generate(test::generative_model(model), request);
    json rows = json::array();
    for (int64_t r = 0; r < out.rows; ++r) rows.push_back(std::vector<int32_t>(out.row(r), out.row(r) + out.length));
    EXPECT_EQ(rows, c["sequences"]) << model << " " << c["kwargs"].dump();
    if (!c.contains("sequences_scores")) continue;
    for (size_t i = 0; i < out.sequences_scores.size(); ++i) {
      EXPECT_TRUE(test::close(out.sequences_scores[i], c["sequences_scores"][i].get<double>()))
          << model << " " << c["kwargs"].dump() << " score " << i;
    }
  }
}

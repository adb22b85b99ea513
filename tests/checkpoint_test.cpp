#include <gtest/gtest.h>

#include "io/checkpoint.h"
#include "test_util.h"

using namespace lmpipe;

TEST(Checkpoint, OpensPlainSafetensors) {
  Checkpoint ckpt = Checkpoint::open(test::golden_model("tiny-bart-mnli"));
  EXPECT_GT(ckpt.size(), 10u);
  Tensor w = ckpt.load("model.shared.weight");
  EXPECT_EQ(w.shape(), (Shape{50265, 16}));
}

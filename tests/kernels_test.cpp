#include <gtest/gtest.h>

#include <vector>

#include "kernels/kernels.h"

using namespace lmpipe;

TEST(Kernels, LinearMatchesHandComputed) {
  // x (1,2) · W(3,2)^T + b
  std::vector<float> x = {1, 2}, W = {1, 0, 0, 1, 1, 1}, b = {0.5f, 0, -1}, y(3);
  kernels::linear(x.data(), W.data(), b.data(), y.data(), 1, 2, 3);
  EXPECT_FLOAT_EQ(y[0], 1.5f);
  EXPECT_FLOAT_EQ(y[1], 2.0f);
  EXPECT_FLOAT_EQ(y[2], 2.0f);
}

// The scalar kernel table: thin row/head adapters over ref::.
#include "kernels/kernel_table.h"
#include "kernels/reference.h"

namespace lmpipe::kernels {
namespace {

void layer_norm_row(const float* x, const float* gamma, const float* beta, float* y, int64_t C, float eps) {
  ref::layer_norm(x, gamma, beta, y, 1, C, eps);
}
void rms_norm_row(const float* x, const float* gamma, float* y, int64_t C, float eps) {
  ref::rms_norm(x, gamma, y, 1, C, eps);
}
void softmax_row(float* x, int64_t N) { ref::softmax_rows(x, 1, N); }

void attention_head(const AttentionArgs& a, int64_t h, float* /*scratch*/) {
  AttentionArgs one = a;
  one.q += h * a.D;
  one.k += h * a.D;
  one.v += h * a.D;
  one.out += h * a.D;
  if (a.score_bias) one.score_bias += h * a.Tq * a.Tk;
  one.H = 1;
  ref::attention(one);
}

}  // namespace

const KernelTable kScalarKernels = {
    layer_norm_row, rms_norm_row, softmax_row, ref::gelu, ref::gelu_tanh, ref::relu, ref::tanh_inplace,
    ref::add_inplace, ref::mul_inplace, attention_head, ref::matmul, gemm::reference_tile_f32,
    gemm::reference_tile_f32, 4,
};

}  // namespace lmpipe::kernels

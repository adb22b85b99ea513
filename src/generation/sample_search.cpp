// Port of transformers v5 GenerationMixin._sample (greedy search and multinomial sampling).
#include <string>

#include "generation/search.h"
#include "util/error.h"

namespace lmpipe::generation {

GenerateOutput sample_search(Search& s) {
  const int64_t per_input = s.num_return_sequences, rows = s.batch * per_input, L = s.input_length;
  const int64_t V = s.vocab, max_length = s.max_length;
  // The session first: it refuses lengths whose caches cannot fit.
  std::unique_ptr<DecoderSession> session = s.model->start(*s.inputs, per_input, max_length);
  // input_ids (rows, max_length): each input repeated per_input times.
  std::vector<int32_t> ids(static_cast<size_t>(rows * max_length), 0);
  for (int64_t r = 0; r < rows; ++r)
    std::copy_n(s.input_ids.begin() + (r / per_input) * L, L, ids.begin() + r * max_length);
  if (s.on_tokens) s.on_tokens(std::vector<int32_t>(ids.begin(), ids.begin() + L));

  std::vector<float> scores(static_cast<size_t>(rows * V)), probs(static_cast<size_t>(V));
  std::vector<int32_t> step(static_cast<size_t>(rows * L));
  for (int64_t r = 0; r < rows; ++r) std::copy_n(ids.begin() + r * max_length, L, step.begin() + r * L);
  session->forward(step.data(), L, scores.data());

  const bool pad_finished = s.stopping->has_eos();
  std::vector<char> unfinished(static_cast<size_t>(rows), 1);
  std::vector<int32_t> next(static_cast<size_t>(rows));
  int64_t length = L;
  for (;;) {
    const TokenRows view{ids.data(), rows, length, max_length};
    apply_processors(s.processors, view, scores.data(), V);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row_scores = scores.data() + r * V;
      int64_t token;
      if (s.do_sample) {
        softmax(row_scores, probs.data(), V);
        token = s.sampler->multinomial(probs.data(), V);
      } else {
        token = argmax(row_scores, V);
      }
      if (pad_finished && !unfinished[r]) token = *s.pad_token_id;
      next[r] = static_cast<int32_t>(token);
      ids[r * max_length + length] = next[r];
    }
    ++length;
    if (s.on_tokens) s.on_tokens(next);
    bool any_unfinished = false;
    for (int64_t r = 0; r < rows; ++r) {
      if (unfinished[r] && s.stopping->done(ids.data() + r * max_length, length)) unfinished[r] = 0;
      any_unfinished |= unfinished[r] != 0;
    }
    if (!any_unfinished) break;
    session->forward(next.data(), 1, scores.data());
  }

  GenerateOutput out;
  out.rows = rows;
  out.length = length;
  out.input_length = L;
  out.sequences.resize(static_cast<size_t>(rows * length));
  for (int64_t r = 0; r < rows; ++r) std::copy_n(ids.begin() + r * max_length, length, out.sequences.begin() + r * length);
  return out;
}

}  // namespace lmpipe::generation

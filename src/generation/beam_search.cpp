// Port of transformers v5 GenerationMixin._beam_search and its helpers (_get_top_k_continuations,
// _get_running_beams_for_next_iteration, _update_finished_beams, _check_early_stop_heuristic,
// _beam_search_has_unfinished_sequences). The tensor arithmetic is kept in fp32, -1e9 markers
// included, so that scores and orderings come out as transformers computes them; ties keep the
// lower index first.
#include <algorithm>
#include <cmath>

#include "generation/search.h"

namespace lmpipe::generation {

namespace {

constexpr float kBig = 1.0e9f;  // transformers' "very large negative value" marker

// torch.topk(values, k) over n values, sorted descending, ties by lower index. One pass keeping
// the best k in order (k is a few times num_beams; n is beams x vocabulary).
std::vector<int64_t> top_k_indices(const float* values, int64_t n, int64_t k) {
  std::vector<int64_t> best;
  best.reserve(static_cast<size_t>(k) + 1);
  for (int64_t i = 0; i < n; ++i) {
    const float v = values[i];
    // An equal value never displaces an earlier index.
    if (static_cast<int64_t>(best.size()) == k && !(v > values[best.back()])) continue;
    auto at = std::upper_bound(best.begin(), best.end(), v, [&](float x, int64_t j) { return x > values[j]; });
    best.insert(at, i);
    if (static_cast<int64_t>(best.size()) > k) best.pop_back();
  }
  return best;
}

// Per input: `slots` sequences of max_length ids with their score, beam indices and state.
struct Beams {
  int64_t slots = 0, max_length = 0, steps = 0;  // steps = max_length - input_length
  std::vector<int32_t> sequences;                // (batch, slots, max_length)
  std::vector<float> scores;                     // (batch, slots)
  std::vector<int32_t> beam_indices;             // (batch, slots, steps), -1 before a step is taken
  std::vector<char> finished;                    // (batch, slots)

  Beams(int64_t batch, int64_t slots_, int64_t max_length_, int64_t steps_, int32_t fill)
      : slots(slots_), max_length(max_length_), steps(steps_),
        sequences(static_cast<size_t>(batch * slots_ * max_length_), fill),
        scores(static_cast<size_t>(batch * slots_)),
        beam_indices(static_cast<size_t>(batch * slots_ * steps_), -1),
        finished(static_cast<size_t>(batch * slots_), 0) {}
  int32_t* seq(int64_t b, int64_t i) { return sequences.data() + (b * slots + i) * max_length; }
  int32_t* indices(int64_t b, int64_t i) { return beam_indices.data() + (b * slots + i) * steps; }
  float& score(int64_t b, int64_t i) { return scores[b * slots + i]; }
  char& done(int64_t b, int64_t i) { return finished[b * slots + i]; }
  // Slot i of input b becomes slot j of input from_b of `from`.
  void take(int64_t b, int64_t i, Beams& from, int64_t from_b, int64_t j) {
    std::copy_n(from.seq(from_b, j), max_length, seq(b, i));
    std::copy_n(from.indices(from_b, j), steps, indices(b, i));
    score(b, i) = from.score(from_b, j);
    done(b, i) = from.done(from_b, j);
  }
};

}  // namespace

GenerateOutput beam_search(Search& s) {
  using EarlyStopping = GenerationConfig::EarlyStopping;
  const int64_t B = s.batch, beams = s.num_beams, V = s.vocab, L = s.input_length, max_length = s.max_length;
  const int64_t steps = max_length - L, rows = B * beams;
  const int64_t n_eos = static_cast<int64_t>(s.eos_token_id.size());
  const int64_t keep = std::max<int64_t>(2, 1 + n_eos) * beams;  // beams_to_keep
  // output_fill_value: `pad or eos[0]` on 0-d tensors, so a pad of 0 (T5) yields eos.
  const int32_t fill = s.pad_token_id && *s.pad_token_id != 0 ? static_cast<int32_t>(*s.pad_token_id)
                       : n_eos > 0                           ? static_cast<int32_t>(s.eos_token_id[0])
                       : s.pad_token_id                      ? 0
                                                             : -1;

  // The session first: it refuses lengths whose caches cannot fit.
  std::unique_ptr<DecoderSession> session = s.model->start(*s.inputs, beams, max_length);
  Beams running(B, beams, max_length, steps, fill), finished(B, beams, max_length, steps, fill);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < beams; ++i) {
      std::copy_n(s.input_ids.begin() + b * L, L, running.seq(b, i));
      std::copy_n(s.input_ids.begin() + b * L, L, finished.seq(b, i));
      running.score(b, i) = i == 0 ? 0.f : -kBig;  // step 1 expands beam 0 only
      finished.score(b, i) = -kBig;
    }
  std::vector<char> heuristic_unsatisfied(static_cast<size_t>(B), 1);

  std::vector<float> log_probs(static_cast<size_t>(rows * V));
  std::vector<int32_t> step_ids(static_cast<size_t>(rows * L));
  for (int64_t r = 0; r < rows; ++r) std::copy_n(running.seq(r / beams, r % beams), L, step_ids.begin() + r * L);
  session->forward(step_ids.data(), L, log_probs.data());

  Beams candidates(B, keep, max_length, steps, fill), previous(1, beams, max_length, steps, fill);
  std::vector<float> candidate_scores(static_cast<size_t>(B * keep));
  std::vector<char> hits(static_cast<size_t>(B * keep));
  std::vector<float> merged(static_cast<size_t>(beams + keep));
  std::vector<int32_t> parents(static_cast<size_t>(rows)), last(static_cast<size_t>(rows));
  int64_t cur_len = L;
  for (;;) {
    // b. log_softmax, processors on the running sequences, plus each beam's running score.
    for (int64_t r = 0; r < rows; ++r) log_softmax_inplace(log_probs.data() + r * V, V);
    const TokenRows view{running.sequences.data(), rows, cur_len, max_length};
    apply_processors(s.processors, view, log_probs.data(), V);
    for (int64_t r = 0; r < rows; ++r) {
      const float running_score = running.score(r / beams, r % beams);
      float* row = log_probs.data() + r * V;
      for (int64_t v = 0; v < V; ++v) row[v] += running_score;
    }

    for (int64_t b = 0; b < B; ++b) {
      const float* flat = log_probs.data() + b * beams * V;  // (beams · vocab)
      // c. _get_top_k_continuations
      const std::vector<int64_t> top = s.do_sample ? s.sampler->sample_without_replacement(flat, beams * V, keep)
                                                   : top_k_indices(flat, beams * V, keep);
      for (int64_t k = 0; k < keep; ++k) {
        const int64_t parent = top[k] / V;
        candidates.take(b, k, running, b, parent);
        candidates.seq(b, k)[cur_len] = static_cast<int32_t>(top[k] % V);
        candidates.indices(b, k)[cur_len - L] = static_cast<int32_t>(parent + b * beams);
        candidate_scores[b * keep + k] = flat[top[k]];
        // d. stopping criteria on each candidate
        hits[b * keep + k] = s.stopping->done(candidates.seq(b, k), cur_len + 1);
      }
      // e. _get_running_beams_for_next_iteration: finished candidates cannot continue.
      for (int64_t k = 0; k < keep; ++k)
        candidates.score(b, k) = candidate_scores[b * keep + k] + (hits[b * keep + k] ? -kBig : 0.f);
      const std::vector<int64_t> next = top_k_indices(&candidates.scores[b * keep], keep, beams);
      for (int64_t i = 0; i < beams; ++i) running.take(b, i, candidates, b, next[i]);

      // f. _update_finished_beams: only the first `beams` candidates may finish.
      bool all_finished = true;
      for (int64_t i = 0; i < beams; ++i) all_finished &= finished.done(b, i) != 0;
      const float normalizer = static_cast<float>(std::pow(static_cast<double>(cur_len + 1 - L), s.length_penalty));
      for (int64_t i = 0; i < beams; ++i) merged[i] = finished.score(b, i);
      for (int64_t k = 0; k < keep; ++k) {
        const bool just_finished = hits[b * keep + k] && k < beams;
        float score = candidate_scores[b * keep + k] / normalizer;
        if (all_finished && s.early_stopping == EarlyStopping::WhenDone) score += -kBig;
        if (!heuristic_unsatisfied[b]) score += -kBig;
        if (!just_finished) score += -kBig;
        merged[beams + k] = score;
        candidates.score(b, k) = score;
        candidates.done(b, k) = just_finished;
      }
      const std::vector<int64_t> best = top_k_indices(merged.data(), beams + keep, beams);
      // The merge reads old slots while writing new ones: stage this input's finished slots.
      for (int64_t i = 0; i < beams; ++i) previous.take(0, i, finished, b, i);
      for (int64_t i = 0; i < beams; ++i) {
        if (best[i] < beams) finished.take(b, i, previous, 0, best[i]);
        else finished.take(b, i, candidates, b, best[i] - beams);
      }
    }

    // g. the cache follows each running beam's parent.
    for (int64_t r = 0; r < rows; ++r) {
      parents[r] = running.indices(r / beams, r % beams)[cur_len - L];
      last[r] = running.seq(r / beams, r % beams)[cur_len];
    }
    ++cur_len;
    bool improvement_possible = false, all_sent_finished = true, all_hit = true;
    for (int64_t b = 0; b < B; ++b) {
      // _check_early_stop_heuristic
      const int64_t hypothetical = s.early_stopping == EarlyStopping::Never && s.length_penalty > 0.0
                                       ? max_length - L
                                       : cur_len - L;
      const float best_running = running.score(b, 0) /
                                 static_cast<float>(std::pow(static_cast<double>(hypothetical), s.length_penalty));
      float worst = finished.score(b, 0);
      for (int64_t i = 1; i < beams; ++i) worst = std::min(worst, finished.score(b, i));
      bool can_improve = false;
      for (int64_t i = 0; i < beams; ++i) can_improve |= best_running > (finished.done(b, i) ? worst : -kBig);
      heuristic_unsatisfied[b] = heuristic_unsatisfied[b] && can_improve;
      improvement_possible |= heuristic_unsatisfied[b] != 0;
      for (int64_t i = 0; i < beams; ++i) all_sent_finished &= finished.done(b, i) != 0;
      for (int64_t k = 0; k < keep; ++k) all_hit &= hits[b * keep + k] != 0;
    }
    // _beam_search_has_unfinished_sequences
    const bool open_beam = !(all_sent_finished && s.early_stopping == EarlyStopping::WhenDone);
    if (!(improvement_possible && open_beam && !all_hit)) break;
    session->reorder(parents);
    session->forward(last.data(), 1, log_probs.data());
  }

  // 5. The best num_return_sequences of each input, cropped to the longest generated length.
  const int64_t returned = s.num_return_sequences;
  int64_t generated = 0;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < returned; ++i)
      generated = std::max<int64_t>(generated, std::count_if(finished.indices(b, i), finished.indices(b, i) + steps,
                                                             [](int32_t x) { return x != -1; }));
  GenerateOutput out;
  out.rows = B * returned;
  out.length = L + generated;
  out.input_length = L;
  out.sequences.resize(static_cast<size_t>(out.rows * out.length));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t i = 0; i < returned; ++i) {
      std::copy_n(finished.seq(b, i), out.length, out.sequences.begin() + (b * returned + i) * out.length);
      out.sequences_scores.push_back(finished.score(b, i));
    }
  return out;
}

}  // namespace lmpipe::generation

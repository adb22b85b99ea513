// Port of transformers v5 GenerationMixin.generate (generation/utils.py): _prepare_generation_config,
// _prepare_special_tokens, _prepare_attention_mask_for_generation, _prepare_generated_length,
// _validate_generated_length, _get_logits_processor, _get_stopping_criteria, then the decoding loop.
#include "generation/generate.h"

#include <algorithm>
#include <random>
#include <string>

#include "generation/search.h"
#include "models/layers.h"
#include "util/error.h"

namespace lmpipe::generation {

namespace {

std::string str(int64_t x) { return std::to_string(x); }

bool contains(const std::vector<int64_t>& ids, int64_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

// _get_logits_processor: the fixed processors in transformers' order, then the sampling warpers.
LogitsProcessorList build_processors(const GenerationConfig& g, const std::vector<int64_t>& eos, int64_t input_length,
                                     int64_t max_length, int64_t min_length, int64_t vocab) {
  LogitsProcessorList list;
  if (*g.repetition_penalty != 1.0) list.push_back(std::make_unique<RepetitionPenalty>(*g.repetition_penalty));
  if (*g.no_repeat_ngram_size > 0) list.push_back(std::make_unique<NoRepeatNGram>(*g.no_repeat_ngram_size));
  if (g.bad_words_ids) list.push_back(std::make_unique<NoBadWords>(*g.bad_words_ids, eos, vocab));
  if (!eos.empty() && min_length > 0) list.push_back(std::make_unique<MinLength>(min_length, eos));
  if (!eos.empty() && g.min_new_tokens && *g.min_new_tokens > 0)
    list.push_back(std::make_unique<MinNewTokens>(input_length, *g.min_new_tokens, eos));
  if (g.forced_bos_token_id) list.push_back(std::make_unique<ForcedBOS>(*g.forced_bos_token_id));
  if (g.forced_eos_token_id) list.push_back(std::make_unique<ForcedEOS>(max_length, *g.forced_eos_token_id));
  if (g.suppress_tokens) list.push_back(std::make_unique<SuppressTokens>(*g.suppress_tokens));
  if (g.begin_suppress_tokens) {
    const int64_t begin_index = input_length > 1 || !g.forced_bos_token_id ? input_length : input_length + 1;
    list.push_back(std::make_unique<SuppressTokensAtBegin>(*g.begin_suppress_tokens, begin_index));
  }
  if (*g.do_sample) {
    const int64_t min_keep = *g.num_beams > 1 ? (eos.empty() ? 2 : static_cast<int64_t>(eos.size()) + 1) : 1;
    if (*g.temperature != 1.0) list.push_back(std::make_unique<Temperature>(*g.temperature));
    if (*g.top_k != 0) list.push_back(std::make_unique<TopK>(*g.top_k, min_keep));
    if (*g.top_p < 1.0) list.push_back(std::make_unique<TopP>(*g.top_p, min_keep));
    if (g.min_p) list.push_back(std::make_unique<MinP>(*g.min_p, min_keep));
  }
  return list;
}

}  // namespace

GenerationConfig merge_config(const GenerateRequest& request, bool* has_default_max_length) {
  if (has_default_max_length)
    *has_default_max_length = !request.kwargs.max_length && !(request.passed && request.passed->max_length) &&
                              !request.model_config.max_length;
  GenerationConfig g = request.passed ? *request.passed : GenerationConfig();
  g.fill_unset(request.model_config);
  g.fill_unset(GenerationConfig::defaults());
  g.update(request.kwargs);
  return g;
}

GenerateOutput generate(const GenerativeModel& model, const GenerateRequest& request) {
  bool has_default_max_length = false;
  const GenerationConfig g = merge_config(request, &has_default_max_length);
  const bool encoder_decoder = model.is_encoder_decoder();
  const int64_t vocab = model.vocab_size();

  // _prepare_special_tokens
  const std::vector<int64_t> eos = g.eos_token_id.value_or(std::vector<int64_t>{});
  std::optional<int64_t> pad = g.pad_token_id;
  if (!pad && !eos.empty()) pad = eos[0];
  std::optional<int64_t> decoder_start = g.decoder_start_token_id;
  if (encoder_decoder && !decoder_start) decoder_start = g.bos_token_id;
  if (encoder_decoder && !decoder_start)
    throw Error("`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation.");
  for (const auto& [name, id] : {std::pair{"pad_token_id", pad}, {"bos_token_id", g.bos_token_id},
                                 {"decoder_start_token_id", decoder_start}, {"forced_bos_token_id", g.forced_bos_token_id}})
    if (id && *id >= vocab) throw Error(std::string(name) + " " + str(*id) + " is outside the vocabulary (size " + str(vocab) + ")");

  // The inputs: a decoder-only model without a prompt starts from bos, as transformers does.
  Batch inputs = request.inputs;
  if (inputs.batch <= 0) throw Error("generate: no inputs");
  if (inputs.seq_len == 0) {
    if (encoder_decoder) throw Error("generate: the input is empty (the encoder needs at least one token)");
    if (!g.bos_token_id) throw Error("generate: the prompt is empty and the model has no bos_token_id to start from");
    inputs.seq_len = 1;
    inputs.input_ids.assign(static_cast<size_t>(inputs.batch), static_cast<int32_t>(*g.bos_token_id));
    inputs.attention_mask.clear();
  }
  nn::check_batch(inputs, "generate");
  for (int32_t id : inputs.input_ids)
    if (id < 0 || id >= vocab) throw Error("generate: input id " + str(id) + " is outside the vocabulary (size " + str(vocab) + ")");
  // _prepare_attention_mask_for_generation: padding is inferred only when pad is not an eos id.
  if (!encoder_decoder && inputs.attention_mask.empty() && pad && !contains(eos, *pad) &&
      std::find(inputs.input_ids.begin(), inputs.input_ids.end(), *pad) != inputs.input_ids.end()) {
    inputs.attention_mask.resize(inputs.input_ids.size());
    for (size_t i = 0; i < inputs.input_ids.size(); ++i) inputs.attention_mask[i] = inputs.input_ids[i] != *pad;
  }

  Search s;
  s.model = &model;
  s.inputs = &inputs;
  s.batch = inputs.batch;
  s.vocab = vocab;
  if (encoder_decoder) {
    s.input_length = 1;
    s.input_ids.assign(static_cast<size_t>(inputs.batch), static_cast<int32_t>(*decoder_start));
  } else {
    s.input_length = inputs.seq_len;
    s.input_ids = inputs.input_ids;
  }
  const int64_t L = s.input_length;

  // _prepare_generated_length
  int64_t max_length = *g.max_length, min_length = *g.min_length;
  if (g.max_new_tokens) {
    max_length = *g.max_new_tokens + L;
  } else if (has_default_max_length) {
    max_length += L;
    if (model.max_position_embeddings()) max_length = std::min(max_length, *model.max_position_embeddings());
  }
  if (g.min_new_tokens) min_length = *g.min_new_tokens + L;
  // _validate_generated_length
  if (L >= max_length)
    throw Error(std::string("Input length of ") + (encoder_decoder ? "decoder_input_ids" : "input_ids") + " is " + str(L) +
                ", but `max_length` is set to " + str(max_length) +
                ". This can lead to unexpected behavior. You should consider increasing `max_length` or, better yet, "
                "setting `max_new_tokens`.");
  s.max_length = max_length;

  // Mode and its arguments (GenerationConfig.validate, _validate_generation_mode).
  s.num_beams = *g.num_beams;
  s.num_return_sequences = *g.num_return_sequences;
  s.do_sample = *g.do_sample;
  s.early_stopping = *g.early_stopping;
  s.length_penalty = *g.length_penalty;
  if (s.num_beams == 1 && !s.do_sample && s.num_return_sequences > 1)
    throw Error("Greedy methods without beam search do not support `num_return_sequences` different than 1 (got " +
                str(s.num_return_sequences) + ").");
  if (s.num_beams > 1 && s.num_return_sequences > s.num_beams)
    throw Error("`num_return_sequences` (" + str(s.num_return_sequences) + ") has to be smaller or equal to `num_beams` (" +
                str(s.num_beams) + ").");
  if (s.num_beams > 1 && request.on_tokens)
    throw Error("`streamer` cannot be used with beam search (yet!). Make sure that `num_beams` is set to 1.");
  if (request.on_tokens && inputs.batch * (s.num_beams > 1 ? 1 : s.num_return_sequences) > 1)
    throw Error("streaming supports a single input and a single returned sequence");

  // The decoder reads positions up to max_length - 2 (the last token is never fed back).
  if (model.max_position_embeddings() && max_length - 1 > *model.max_position_embeddings())
    throw Error("generate: " + str(max_length - L) + " new tokens after " + str(L) + " input ids need " +
                str(max_length - 1) + " positions, past the model's " + str(*model.max_position_embeddings()) +
                " (max_position_embeddings / n_positions in config.json); ask for fewer with max_new_tokens");

  s.pad_token_id = pad;
  s.eos_token_id = eos;
  s.processors = build_processors(g, eos, L, max_length, min_length, vocab);
  if (g.stop_strings) {
    if (!request.token_text)
      throw Error("There are one or more stop strings, but no tokenizer to match them against the generated tokens.");
    s.stop_strings = std::make_unique<StopStrings>(*g.stop_strings, request.token_text);
  }
  s.stopping = std::make_unique<StoppingCriteria>(max_length, eos, s.stop_strings.get());
  s.sampler = std::make_unique<Sampler>(g.seed ? *g.seed : std::random_device{}());
  s.on_tokens = request.on_tokens;
  return s.num_beams > 1 ? beam_search(s) : sample_search(s);
}

}  // namespace lmpipe::generation

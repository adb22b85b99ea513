// RobertaProcessing, BertProcessing, ByteLevel, Sequence and the factory (HF tokenizers'
// processors/roberta.rs, bert.rs, sequence.rs, pre_tokenizers/byte_level.rs process_offsets).
#include "tokenizers/post_processor.h"

#include <algorithm>

#include "tokenizers/encoding_ops.h"
#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

std::pair<std::string, int32_t> token_and_id(const json& j, const std::string& key, const std::string& where) {
  const json& v = json_field(j, key, where);
  if (!v.is_array() || v.size() != 2 || !v[0].is_string() || !v[1].is_number_integer())
    throw Error(where + "." + key + ": expected [token, id]");
  return {v[0].get<std::string>(), v[1].get<int32_t>()};
}

// RobertaProcessing (<s> A </s></s> B </s>, all type ids 0) and BertProcessing
// ([CLS] A [SEP] B [SEP], pair type ids 1).
class ClsSepProcessing : public PostProcessor {
 public:
  ClsSepProcessing(const json& j, const std::string& where, bool roberta) : roberta_(roberta) {
    sep_ = token_and_id(j, "sep", where);
    cls_ = token_and_id(j, "cls", where);
    if (roberta) {
      trim_offsets_ = json_get_or<bool>(j, "trim_offsets", true);
      add_prefix_space_ = json_get_or<bool>(j, "add_prefix_space", true);
    }
  }

  size_t added_tokens(bool is_pair) const override { return is_pair ? (roberta_ ? 4 : 3) : 2; }

  std::vector<Encoding> process_encodings(std::vector<Encoding> encodings, bool add_special_tokens) const override {
    if (trim_offsets_)
      for (auto& e : encodings) trim_byte_level_offsets(e, add_prefix_space_);
    if (!add_special_tokens) return encodings;
    std::vector<Encoding> out;
    for (size_t i = 0; i < encodings.size(); ++i) {
      Encoding& e = encodings[i];
      int32_t type = (i == 0 || roberta_) ? 0 : 1;
      if (i == 0 || roberta_) {
        const auto& head = i == 0 ? cls_ : sep_;
        out.push_back(special_tokens_encoding({head.second}, {head.first}, 0));
      }
      std::fill(e.type_ids.begin(), e.type_ids.end(), type);
      out.push_back(std::move(e));
      out.push_back(special_tokens_encoding({sep_.second}, {sep_.first}, type));
    }
    return out;
  }

 private:
  bool roberta_;
  bool trim_offsets_ = false, add_prefix_space_ = false;
  std::pair<std::string, int32_t> sep_, cls_;
};

class ByteLevelProcessing : public PostProcessor {
 public:
  explicit ByteLevelProcessing(const json& j)
      : trim_offsets_(json_get_or<bool>(j, "trim_offsets", true)),
        add_prefix_space_(json_get_or<bool>(j, "add_prefix_space", true)) {}
  size_t added_tokens(bool) const override { return 0; }
  std::vector<Encoding> process_encodings(std::vector<Encoding> encodings, bool) const override {
    if (trim_offsets_)
      for (auto& e : encodings) trim_byte_level_offsets(e, add_prefix_space_);
    return encodings;
  }

 private:
  bool trim_offsets_, add_prefix_space_;
};

class SequenceProcessing : public PostProcessor {
 public:
  explicit SequenceProcessing(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  size_t added_tokens(bool is_pair) const override {
    size_t n = 0;
    for (const auto& s : steps_) n += s->added_tokens(is_pair);
    return n;
  }
  std::vector<Encoding> process_encodings(std::vector<Encoding> encodings, bool add_special_tokens) const override {
    for (const auto& s : steps_) encodings = s->process_encodings(std::move(encodings), add_special_tokens);
    return encodings;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

}  // namespace

Encoding special_tokens_encoding(const std::vector<int32_t>& ids, const std::vector<std::string>& tokens, int32_t type_id) {
  Encoding e;
  size_t n = ids.size();
  e.ids = ids;
  e.tokens = tokens;
  e.type_ids.assign(n, type_id);
  e.offsets.assign(n, {0, 0});
  e.special_tokens_mask.assign(n, 1);
  e.attention_mask.assign(n, 1);
  e.sequence_ids.assign(n, -1);
  return e;
}

void trim_byte_level_offsets(Encoding& e, bool add_prefix_space) {
  static const char32_t kSpace = 0x120;  // 'Ġ', the byte-level stand-in for ' '
  for (size_t i = 0; i < e.size(); ++i) {
    const std::string& token = e.tokens[i];
    auto& off = e.offsets[i];
    // Spacey characters counted from each end in place (no per-token buffer).
    auto spacey = [](char32_t c) { return c == kSpace || is_whitespace(c); };
    size_t leading = 0, trailing = 0;
    for (size_t k = 0; k < token.size(); ++leading) {
      size_t len;
      if (!spacey(decode_utf8(token, k, len))) break;
      k += len;
    }
    for (size_t k = token.size(); k > 0; ++trailing) {
      size_t p = k - 1;
      while (p > 0 && (static_cast<unsigned char>(token[p]) & 0xC0) == 0x80) --p;
      size_t len;
      if (!spacey(decode_utf8(token, p, len))) break;
      k = p;
    }
    if (leading == 0 && trailing == 0) continue;
    if (leading > 0) {
      bool is_first = i == 0 || off.first == 0;
      if (is_first && add_prefix_space && leading == 1) leading = 0;
      off.first = std::min(off.first + leading, off.second);
    }
    if (trailing > 0 && off.second >= trailing) off.second = std::max(off.second - trailing, off.first);
  }
}

Encoding post_process(const PostProcessor* p, Encoding a, Encoding* b, bool add_special_tokens) {
  std::fill(a.sequence_ids.begin(), a.sequence_ids.end(), 0);
  std::vector<Encoding> list;
  list.push_back(std::move(a));
  if (b) {
    std::fill(b->sequence_ids.begin(), b->sequence_ids.end(), 1);
    list.push_back(std::move(*b));
  }
  if (p) list = p->process_encodings(std::move(list), add_special_tokens);
  return merge_encodings(std::move(list));
}

std::unique_ptr<PostProcessor> post_processor_from_json(const json& j, const std::string& where) {
  if (j.is_null()) return nullptr;
  std::string type = json_get<std::string>(j, "type", where);
  if (type == "TemplateProcessing") return make_template_processing(j, where);
  if (type == "RobertaProcessing") return std::make_unique<ClsSepProcessing>(j, where, true);
  if (type == "BertProcessing") return std::make_unique<ClsSepProcessing>(j, where, false);
  if (type == "ByteLevel") return std::make_unique<ByteLevelProcessing>(j);
  if (type == "Sequence") {
    const json& list = json_field(j, "processors", where);
    if (!list.is_array()) throw Error(where + ".processors: expected an array");
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (size_t i = 0; i < list.size(); ++i) {
      auto step = post_processor_from_json(list[i], where + ".processors[" + std::to_string(i) + "]");
      if (step) steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceProcessing>(std::move(steps));
  }
  throw Error(where + ".type '" + type + "' is not supported");
}

}  // namespace lmpipe::tok

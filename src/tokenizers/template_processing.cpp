// TemplateProcessing (HF tokenizers' processors/template.rs): "$A"/"$B" sequences and special
// tokens laid out by the single/pair templates, each piece with its type id.
#include <map>

#include "tokenizers/encoding_ops.h"
#include "tokenizers/post_processor.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

struct Piece {
  bool is_sequence;
  std::string id;  // "A"/"B" or the special token's name
  int32_t type_id;
};

struct SpecialToken {
  std::vector<int32_t> ids;
  std::vector<std::string> tokens;
};

class TemplateProcessing : public PostProcessor {
 public:
  TemplateProcessing(const json& j, const std::string& where) {
    const json& specials = json_get_or<json>(j, "special_tokens", json::object());
    for (auto it = specials.begin(); it != specials.end(); ++it) {
      std::string w = where + ".special_tokens." + it.key();
      SpecialToken t;
      t.ids = json_get<std::vector<int32_t>>(*it, "ids", w);
      t.tokens = json_get<std::vector<std::string>>(*it, "tokens", w);
      if (t.ids.size() != t.tokens.size()) throw Error(w + ": ids and tokens differ in length");
      special_[it.key()] = std::move(t);
    }
    single_ = parse(json_field(j, "single", where), where + ".single");
    pair_ = parse(json_field(j, "pair", where), where + ".pair");
  }

  size_t added_tokens(bool is_pair) const override {
    size_t n = 0;
    for (const auto& p : is_pair ? pair_ : single_)
      if (!p.is_sequence) n += special_.at(p.id).ids.size();
    return n;
  }

  std::vector<Encoding> process_encodings(std::vector<Encoding> encodings, bool add_special_tokens) const override {
    const auto& pieces = encodings.size() == 2 ? pair_ : single_;
    // A sequence's last use in the template takes it by move; earlier ones (if any) copy.
    size_t uses[2] = {0, 0};
    for (const auto& p : pieces)
      if (p.is_sequence) ++uses[p.id == "A" ? 0 : 1];
    std::vector<Encoding> out;
    for (const auto& p : pieces) {
      if (p.is_sequence) {
        size_t i = p.id == "A" ? 0 : 1;
        if (i >= encodings.size()) continue;
        Encoding e = --uses[i] == 0 ? std::move(encodings[i]) : encodings[i];
        std::fill(e.type_ids.begin(), e.type_ids.end(), p.type_id);
        std::fill(e.sequence_ids.begin(), e.sequence_ids.end(), static_cast<int32_t>(i));
        out.push_back(std::move(e));
      } else if (add_special_tokens) {
        const SpecialToken& t = special_.at(p.id);
        out.push_back(special_tokens_encoding(t.ids, t.tokens, p.type_id));
      }
    }
    return {merge_encodings(std::move(out))};
  }

 private:
  std::vector<Piece> parse(const json& list, const std::string& where) const {
    if (!list.is_array()) throw Error(where + ": expected an array");
    std::vector<Piece> out;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string w = where + "[" + std::to_string(i) + "]";
      const json& item = list[i];
      if (item.contains("Sequence")) {
        const json& s = item["Sequence"];
        std::string id = json_get<std::string>(s, "id", w + ".Sequence");
        if (id != "A" && id != "B") throw Error(w + ".Sequence.id '" + id + "' is not supported");
        out.push_back({true, id, json_get_or<int32_t>(s, "type_id", 0)});
      } else if (item.contains("SpecialToken")) {
        const json& s = item["SpecialToken"];
        std::string id = json_get<std::string>(s, "id", w + ".SpecialToken");
        if (!special_.count(id)) throw Error(w + ".SpecialToken: '" + id + "' is missing from special_tokens");
        out.push_back({false, id, json_get_or<int32_t>(s, "type_id", 0)});
      } else {
        throw Error(w + ": expected a Sequence or a SpecialToken");
      }
    }
    return out;
  }

  std::map<std::string, SpecialToken> special_;
  std::vector<Piece> single_, pair_;
};

}  // namespace

std::unique_ptr<PostProcessor> make_template_processing(const json& j, const std::string& where) {
  return std::make_unique<TemplateProcessing>(j, where);
}

}  // namespace lmpipe::tok

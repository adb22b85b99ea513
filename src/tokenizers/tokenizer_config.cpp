// Mirrors transformers' PreTrainedTokenizerBase.__init__ settings and the model_input_names of
// the tokenizer classes (tokenization_*.py).
#include "tokenizers/tokenizer_config.h"

#include <algorithm>
#include <set>

#include "util/error.h"

namespace lmpipe::tok {

namespace {

// Tokenizer classes whose model_input_names are ["input_ids", "attention_mask"]; every other
// class keeps the base class's ["input_ids", "token_type_ids", "attention_mask"].
bool class_without_token_type_ids(std::string cls) {
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  static const std::set<std::string> names = {
      "GPT2Tokenizer", "RobertaTokenizer", "BartTokenizer", "DistilBertTokenizer", "T5Tokenizer",
      "XLMRobertaTokenizer", "CamembertTokenizer", "LongformerTokenizer", "LEDTokenizer", "MBartTokenizer",
      "MBart50Tokenizer", "PegasusTokenizer", "MarianTokenizer", "M2M100Tokenizer", "NllbTokenizer",
      "BlenderbotTokenizer", "BlenderbotSmallTokenizer", "MPNetTokenizer", "BigBirdTokenizer", "ReformerTokenizer",
      "LlamaTokenizer", "CodeLlamaTokenizer", "GemmaTokenizer", "GPTNeoXTokenizer", "BloomTokenizer",
      "CodeGenTokenizer", "WhisperTokenizer", "CLIPTokenizer", "Qwen2Tokenizer", "DebertaTokenizer",
      "GPTSw3Tokenizer", "PLBartTokenizer", "XGLMTokenizer", "FSMTTokenizer", "OpenAIGPTTokenizer",
      "CTRLTokenizer", "TransfoXLTokenizer", "BertGenerationTokenizer", "ProphetNetTokenizer", "UdopTokenizer"};
  return names.count(cls) > 0;
}

}  // namespace

std::optional<std::string> config_token(const json& config, const std::string& key) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) return (*it)["content"].get<std::string>();
  return std::nullopt;
}

TokenizerSettings settings_from_config(const json& config, const std::string& where) {
  TokenizerSettings s;
  if (!config.is_object()) throw Error(where + ": expected a JSON object");
  auto mml = config.find("model_max_length");
  if (mml != config.end() && mml->is_number()) {
    double v = mml->get<double>();
    if (v > 0 && v < static_cast<double>(TokenizerSettings::kVeryLargeLength)) s.model_max_length = static_cast<size_t>(v);
  }
  s.pad_token = config_token(config, "pad_token");
  std::string side = json_get_or<std::string>(config, "padding_side", "right");
  if (side == "left") s.padding_side = PaddingSide::Left;
  else if (side != "right") throw Error(where + ": padding_side '" + side + "' is not supported");
  auto names = config.find("model_input_names");
  if (names != config.end() && names->is_array()) {
    s.returns_token_type_ids = std::find(names->begin(), names->end(), json("token_type_ids")) != names->end();
  } else {
    s.returns_token_type_ids = !class_without_token_type_ids(json_get_or<std::string>(config, "tokenizer_class", ""));
  }
  s.clean_up_tokenization_spaces = json_get_or<bool>(config, "clean_up_tokenization_spaces", false);
  s.mask_token = config_token(config, "mask_token");
  return s;
}

std::optional<std::string> default_special_token(const std::string& key, const std::string& tokenizer_class,
                                                 const std::string& model_type) {
  static const std::set<std::string> bert_like_classes = {
      "BertTokenizer", "DistilBertTokenizer", "ElectraTokenizer", "DebertaV2Tokenizer", "AlbertTokenizer",
      "MobileBertTokenizer", "SqueezeBertTokenizer", "FunnelTokenizer", "LayoutLMTokenizer", "ConvBertTokenizer"};
  static const std::set<std::string> roberta_like_classes = {
      "RobertaTokenizer", "XLMRobertaTokenizer", "CamembertTokenizer", "BartTokenizer", "LongformerTokenizer",
      "MPNetTokenizer", "DebertaTokenizer"};
  static const std::set<std::string> bert_like_types = {"bert", "distilbert", "electra", "deberta-v2", "albert",
                                                        "mobilebert", "squeezebert", "funnel", "layoutlm", "convbert"};
  static const std::set<std::string> roberta_like_types = {"roberta", "xlm-roberta", "camembert", "bart",
                                                           "longformer", "mpnet", "deberta"};
  if (key != "mask_token" && key != "pad_token") return std::nullopt;
  std::string cls = tokenizer_class;
  if (cls.size() > 4 && cls.compare(cls.size() - 4, 4, "Fast") == 0) cls.resize(cls.size() - 4);
  const bool bert_like = cls.empty() ? bert_like_types.count(model_type) > 0 : bert_like_classes.count(cls) > 0;
  const bool roberta_like = cls.empty() ? roberta_like_types.count(model_type) > 0 : roberta_like_classes.count(cls) > 0;
  if (bert_like) return key == "mask_token" ? "[MASK]" : "[PAD]";
  if (roberta_like) return key == "mask_token" ? "<mask>" : "<pad>";
  return std::nullopt;
}

std::string clean_up_tokenization(std::string text) {
  static const std::pair<const char*, const char*> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"},
      {" n't", "n't"}, {" 'm", "'m"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules) {
    std::string f(from), t(to), out;
    out.reserve(text.size());
    size_t pos = 0;
    for (size_t hit = text.find(f); hit != std::string::npos; hit = text.find(f, pos)) {
      out.append(text, pos, hit - pos);
      out += t;
      pos = hit + f.size();
    }
    out.append(text, pos, std::string::npos);
    text = std::move(out);
  }
  return text;
}

}  // namespace lmpipe::tok

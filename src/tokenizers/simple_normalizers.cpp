// Replace, Strip and Prepend (HF tokenizers' normalizers/replace.rs, strip.rs, prepend.rs).
#include "tokenizers/normalizer.h"
#include "tokenizers/pattern.h"

namespace lmpipe::tok {

namespace {

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(const json& j, const std::string& where)
      : pattern_(json_field(j, "pattern", where), where + ".pattern"), content_(json_get<std::string>(j, "content", where)) {}
  void normalize(NormalizedString& s) const override { s.replace(pattern_.find_matches(s.get()), content_); }

 private:
  Pattern pattern_;
  std::string content_;
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void normalize(NormalizedString& s) const override { s.strip(left_, right_); }

 private:
  bool left_, right_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prepend) : prepend_(std::move(prepend)) {}
  void normalize(NormalizedString& s) const override { s.prepend(prepend_); }

 private:
  std::string prepend_;
};

}  // namespace

std::unique_ptr<Normalizer> make_replace_normalizer(const json& j, const std::string& where) {
  return std::make_unique<ReplaceNormalizer>(j, where);
}

std::unique_ptr<Normalizer> make_strip_normalizer(const json& j, const std::string&) {
  return std::make_unique<StripNormalizer>(json_get_or<bool>(j, "strip_left", true), json_get_or<bool>(j, "strip_right", true));
}

std::unique_ptr<Normalizer> make_prepend_normalizer(const json& j, const std::string& where) {
  return std::make_unique<PrependNormalizer>(json_get<std::string>(j, "prepend", where));
}

}  // namespace lmpipe::tok

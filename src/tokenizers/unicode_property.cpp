#include "tokenizers/unicode_property.h"

#include <oniguruma.h>

#include <mutex>
#include <string>

#include "util/error.h"

namespace lmpipe::tok {

void init_oniguruma() {
  static std::once_flag once;
  std::call_once(once, [] {
    OnigEncoding encodings[] = {ONIG_ENCODING_UTF8};
    onig_initialize(encodings, 1);
  });
}

UnicodeProperty::UnicodeProperty(std::string_view name) {
  init_oniguruma();
  std::string n(name);
  auto* p = reinterpret_cast<OnigUChar*>(n.data());
  int ctype = ONIGENC_PROPERTY_NAME_TO_CTYPE(ONIG_ENCODING_UTF8, p, p + n.size());
  if (ctype < 0) throw Error("Unicode property '" + n + "' is unknown to Oniguruma");
  ctype_ = static_cast<unsigned int>(ctype);
  bmp_.assign(0x10000 / 64, 0);
  for (char32_t c = 0; c < 0x10000; ++c)
    if (ONIGENC_IS_CODE_CTYPE(ONIG_ENCODING_UTF8, c, ctype_)) bmp_[c >> 6] |= uint64_t{1} << (c & 63);
}

bool UnicodeProperty::contains_astral(char32_t c) const { return ONIGENC_IS_CODE_CTYPE(ONIG_ENCODING_UTF8, c, ctype_); }

}  // namespace lmpipe::tok

#include "tokenizers/regex.h"

#include <oniguruma.h>

#include "tokenizers/gpt2_split.h"
#include "tokenizers/unicode_property.h"
#include "util/error.h"

namespace lmpipe::tok {

struct Regex::Impl {
  regex_t* re = nullptr;
  bool gpt2 = false;  // GPT-2's split pattern, matched by gpt2_match_end instead
};

namespace {

struct RegionDeleter {
  void operator()(OnigRegion* r) const { onig_region_free(r, 1); }
};

}  // namespace

Regex::Regex(const std::string& pattern, const std::string& where) : impl_(std::make_unique<Impl>()) {
  init_oniguruma();
  if (pattern == kGpt2SplitPattern) {
    impl_->gpt2 = true;
    return;
  }
  OnigErrorInfo info;
  const auto* p = reinterpret_cast<const OnigUChar*>(pattern.data());
  int rc = onig_new(&impl_->re, p, p + pattern.size(), ONIG_OPTION_NONE, ONIG_ENCODING_UTF8, ONIG_SYNTAX_RUBY, &info);
  if (rc != ONIG_NORMAL) {
    OnigUChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
    onig_error_code_to_str(msg, rc, &info);
    throw Error(where + ": invalid regex '" + pattern + "': " + reinterpret_cast<char*>(msg));
  }
}

Regex::~Regex() {
  if (impl_ && impl_->re) onig_free(impl_->re);
}

bool Regex::search(std::string_view s, size_t from, size_t& start, size_t& end) const {
  if (impl_->gpt2) {
    if (from >= s.size()) return false;
    start = from;
    end = gpt2_match_end(s, from);
    return true;
  }
  // One region per thread, reused across searches.
  thread_local std::unique_ptr<OnigRegion, RegionDeleter> region(onig_region_new());
  const auto* base = reinterpret_cast<const OnigUChar*>(s.data());
  int r = onig_search(impl_->re, base, base + s.size(), base + from, base + s.size(), region.get(), ONIG_OPTION_NONE);
  if (r < 0) return false;
  start = static_cast<size_t>(region->beg[0]);
  end = static_cast<size_t>(region->end[0]);
  return true;
}

std::vector<PatternPiece> Regex::find_matches(std::string_view s) const {
  if (s.empty()) return {{0, 0, false}};
  std::vector<PatternPiece> out;
  size_t prev = 0;
  for_each_match(s, [&](size_t start, size_t end) {
    if (prev != start) out.push_back({prev, start, false});
    out.push_back({start, end, true});
    prev = end;
  });
  if (prev != s.size()) out.push_back({prev, s.size(), false});
  return out;
}

}  // namespace lmpipe::tok

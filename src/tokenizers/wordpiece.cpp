// Port of HF tokenizers' models/wordpiece/mod.rs (WordPiece::tokenize) and
// models/wordlevel/mod.rs (WordLevel::tokenize).
#include "tokenizers/wordpiece.h"

#include <algorithm>

#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

}  // namespace

Vocabulary::Vocabulary(const std::vector<std::pair<std::string, uint32_t>>& vocab) {
  ids_.reserve(vocab.size());
  uint32_t max_id = 0;
  for (const auto& entry : vocab) max_id = std::max(max_id, entry.second);
  tokens_.resize(vocab.empty() ? 0 : size_t{max_id} + 1);
  has_id_.assign(tokens_.size(), false);
  for (const auto& [token, id] : vocab) {
    ids_.insert(token, id);
    max_token_bytes_ = std::max(max_token_bytes_, token.size());
    tokens_[id] = token;
    has_id_[id] = true;
  }
}

std::optional<std::string> Vocabulary::token(uint32_t id) const {
  if (id >= tokens_.size() || !has_id_[id]) return std::nullopt;
  return tokens_[id];
}

WordPiece::WordPiece(const std::vector<std::pair<std::string, uint32_t>>& vocab, WordPieceOptions options)
    : vocab_(vocab), opt_(std::move(options)) {}

std::optional<uint32_t> WordPiece::token_to_id(std::string_view token) const {
  const uint32_t* id = vocab_.find(token);
  return id ? std::optional<uint32_t>(*id) : std::nullopt;
}

Token WordPiece::unk(size_t len) const {
  const uint32_t* id = vocab_.find(opt_.unk_token);
  if (!id) throw Error("WordPiece: unk_token '" + opt_.unk_token + "' is not in the vocabulary");
  return Token{*id, opt_.unk_token, 0, len};
}

void WordPiece::tokenize(std::string_view piece, std::vector<Token>& out) const {
  if (count_chars(piece) > opt_.max_input_chars_per_word) {
    out.push_back(unk(piece.size()));
    return;
  }
  const size_t first = out.size();
  thread_local std::string buf;
  const std::string& prefix = opt_.continuing_subword_prefix;
  size_t start = 0;
  while (start < piece.size()) {
    // No vocabulary entry is longer than max_token_bytes, so longer candidates are skipped
    // (the greedy result is unchanged).
    size_t end = std::min(piece.size(), start + vocab_.max_token_bytes());
    while (end > start && end < piece.size() && is_continuation(static_cast<unsigned char>(piece[end]))) --end;
    const uint32_t* found = nullptr;
    while (start < end) {
      std::string_view sub = piece.substr(start, end - start);
      if (start > 0) {
        buf.assign(prefix);
        buf.append(sub);
        sub = buf;
      }
      if ((found = vocab_.find(sub))) {
        out.push_back(Token{*found, std::string(sub), start, end});
        break;
      }
      // Drop the last character.
      do --end;
      while (end > start && is_continuation(static_cast<unsigned char>(piece[end])));
    }
    if (!found) {
      out.resize(first);
      out.push_back(unk(piece.size()));
      return;
    }
    start = end;
  }
}

WordLevel::WordLevel(const std::vector<std::pair<std::string, uint32_t>>& vocab, std::string unk_token)
    : vocab_(vocab), unk_token_(std::move(unk_token)) {}

std::optional<uint32_t> WordLevel::token_to_id(std::string_view token) const {
  const uint32_t* id = vocab_.find(token);
  return id ? std::optional<uint32_t>(*id) : std::nullopt;
}

void WordLevel::tokenize(std::string_view piece, std::vector<Token>& out) const {
  if (const uint32_t* id = vocab_.find(piece)) return out.push_back(Token{*id, std::string(piece), 0, piece.size()});
  if (const uint32_t* unk = vocab_.find(unk_token_)) return out.push_back(Token{*unk, unk_token_, 0, piece.size()});
  throw Error("WordLevel: unk_token '" + unk_token_ + "' is not in the vocabulary");
}

}  // namespace lmpipe::tok

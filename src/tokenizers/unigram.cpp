// Port of HF tokenizers' models/unigram/model.rs (Unigram::encode_optimized, Model::tokenize):
// best path by dynamic programming over byte positions; a character no piece starts with is
// unknown and costs min_score - 10 (kUnkPenalty); consecutive unknowns are fused into one token.
#include "tokenizers/unigram.h"

#include <cstdio>
#include <limits>

#include "tokenizers/unicode.h"
#include "util/error.h"

namespace lmpipe::tok {

namespace {

constexpr double kUnkPenalty = 10.0;

}  // namespace

Unigram::Unigram(std::vector<std::pair<std::string, double>> pieces, std::optional<uint32_t> unk_id,
                 bool byte_fallback, const std::string& where)
    : pieces_(std::move(pieces)), unk_id_(unk_id), byte_fallback_(byte_fallback) {
  if (unk_id_) {
    if (pieces_.empty()) throw Error(where + ": the vocabulary is empty but unk_id is set");
    if (*unk_id_ >= pieces_.size())
      throw Error(where + ": unk_id " + std::to_string(*unk_id_) + " is not below the vocabulary size " + std::to_string(pieces_.size()));
  }
  ids_.reserve(pieces_.size());
  node_id_.push_back(-1);
  min_score_ = std::numeric_limits<double>::infinity();
  for (size_t id = 0; id < pieces_.size(); ++id) {
    const auto& [piece, score] = pieces_[id];
    ids_.insert(piece, static_cast<uint32_t>(id));
    if (score < min_score_) min_score_ = score;
    uint64_t node = 0;
    for (unsigned char b : piece) {
      uint64_t key = (node << 8) | b;
      if (const uint64_t* child = edges_.find(key)) {
        node = *child;
      } else {
        uint64_t fresh = node_id_.size();
        node_id_.push_back(-1);
        edges_.insert(key, fresh);
        node = fresh;
      }
    }
  }
  root_children_.assign(256, 0);
  for (int b = 0; b < 256; ++b)
    if (const uint64_t* child = edges_.find(static_cast<uint64_t>(b))) root_children_[b] = *child;
  // A duplicated piece resolves to its last id, as the token -> id map does.
  for (size_t id = 0; id < pieces_.size(); ++id) {
    uint64_t node = 0;
    for (unsigned char b : pieces_[id].first) node = *edges_.find((node << 8) | b);
    if (!pieces_[id].first.empty()) node_id_[node] = *ids_.find(pieces_[id].first);
  }
}

std::optional<std::string> Unigram::id_to_token(uint32_t id) const {
  if (id >= pieces_.size()) return std::nullopt;
  return pieces_[id].first;
}

template <typename F>
void Unigram::for_each_prefix(std::string_view text, F&& f) const {
  if (text.empty()) return;
  uint64_t node = root_children_[static_cast<unsigned char>(text[0])];
  if (node == 0) return;
  if (node_id_[node] >= 0) f(1, static_cast<uint32_t>(node_id_[node]));
  for (size_t i = 1; i < text.size(); ++i) {
    const uint64_t* child = edges_.find((node << 8) | static_cast<unsigned char>(text[i]));
    if (!child) return;
    node = *child;
    if (node_id_[node] >= 0) f(i + 1, static_cast<uint32_t>(node_id_[node]));
  }
}

void Unigram::tokenize(std::string_view text, std::vector<Token>& tokens) const {
  if (text.empty()) return;
  if (cache_.get(text, tokens)) return;
  const size_t first = tokens.size();

  struct Node {
    uint32_t id = 0;
    double score = 0;
    int64_t starts_at = -1;
  };
  thread_local std::vector<Node> best;
  best.assign(text.size() + 1, Node{});
  const double unk_score = min_score_ - kUnkPenalty;
  for (size_t start = 0; start < text.size();) {
    const double here = best[start].score;
    const size_t mblen = std::min(utf8_sequence_length(static_cast<unsigned char>(text[start])), text.size() - start);
    bool has_single_node = false;
    for_each_prefix(text.substr(start), [&](size_t len, uint32_t id) {
      Node& target = best[start + len];
      double candidate = pieces_[id].second + here;
      if (target.starts_at < 0 || candidate > target.score) target = Node{id, candidate, static_cast<int64_t>(start)};
      if (len == mblen) has_single_node = true;
    });
    if (!has_single_node) {
      Node& target = best[start + mblen];
      double candidate = unk_score + here;
      if (target.starts_at < 0 || candidate > target.score) {
        if (!unk_id_) throw Error("Unigram: the text has an unknown character but the model has no unk_id");
        target = Node{*unk_id_, candidate, static_cast<int64_t>(start)};
      }
    }
    start += mblen;
  }

  // Walk back from the end; runs of unknown pieces become one piece.
  thread_local std::vector<std::pair<size_t, size_t>> spans;
  spans.clear();
  size_t end = text.size();
  size_t unk_end = 0;
  bool in_unk = false;
  while (end > 0) {
    const Node& node = best[end];
    size_t start = static_cast<size_t>(node.starts_at);
    if (unk_id_ && node.id == *unk_id_) {
      if (!in_unk) unk_end = end;
      in_unk = true;
    } else {
      if (in_unk) spans.emplace_back(end, unk_end);
      in_unk = false;
      spans.emplace_back(start, end);
    }
    end = start;
  }
  if (in_unk) spans.emplace_back(0, unk_end);

  for (auto it = spans.rbegin(); it != spans.rend(); ++it) {
    auto [start, stop] = *it;
    std::string_view s = text.substr(start, stop - start);
    if (const uint32_t* id = ids_.find(s)) {
      tokens.push_back(Token{*id, std::string(s), start, stop});
      continue;
    }
    if (byte_fallback_) {
      size_t before = tokens.size();
      bool all = true;
      for (unsigned char b : s) {
        char code[8];
        std::snprintf(code, sizeof code, "<0x%02X>", b);
        const uint32_t* id = ids_.find(code);
        if (!id) {
          all = false;
          break;
        }
        tokens.push_back(Token{*id, code, start, stop});
      }
      if (all) continue;
      tokens.resize(before);
    }
    if (!unk_id_) throw Error("Unigram: the text has an unknown piece but the model has no unk_id");
    tokens.push_back(Token{*unk_id_, std::string(s), start, stop});
  }
  cache_.put(text, std::span<const Token>(tokens).subspan(first));
}

}  // namespace lmpipe::tok

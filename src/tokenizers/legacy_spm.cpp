// SentencePiece .model files (protobuf ModelProto), read without libprotobuf: only the fields the
// converters use (pieces, trainer_spec.model_type/unk_id/byte_fallback, normalizer_spec).
#include "tokenizers/legacy.h"

#include <cstring>

#include "util/error.h"
#include "util/mapped_file.h"

namespace lmpipe::tok {

namespace {

class Reader {
 public:
  Reader(std::string_view data, const std::string& where) : data_(data), where_(where) {}
  bool done() const { return pos_ >= data_.size(); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) fail("truncated varint");
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint too long");
  }
  std::string_view bytes() {
    uint64_t n = varint();
    if (n > data_.size() - pos_) fail("truncated field");
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  uint32_t fixed32() {
    if (data_.size() - pos_ < 4) fail("truncated fixed32");
    uint32_t v;
    std::memcpy(&v, data_.data() + pos_, 4);  // little-endian on every supported host
    pos_ += 4;
    return v;
  }
  void skip(int wire_type) {
    switch (wire_type) {
      case 0: varint(); break;
      case 1:
        if (data_.size() - pos_ < 8) fail("truncated fixed64");
        pos_ += 8;
        break;
      case 2: bytes(); break;
      case 5: fixed32(); break;
      default: fail("unsupported wire type " + std::to_string(wire_type));
    }
  }
  [[noreturn]] void fail(const std::string& what) const { throw Error(where_ + ": invalid SentencePiece model (" + what + ")"); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
  const std::string& where_;
};

SpmModel::Piece parse_piece(std::string_view data, const std::string& where) {
  SpmModel::Piece p;
  Reader r(data, where);
  while (!r.done()) {
    uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (field == 1 && wire == 2) p.piece = std::string(r.bytes());
    else if (field == 2 && wire == 5) {
      uint32_t bits = r.fixed32();
      std::memcpy(&p.score, &bits, 4);
    } else if (field == 3 && wire == 0) p.type = static_cast<int>(r.varint());
    else r.skip(wire);
  }
  return p;
}

}  // namespace

SpmModel read_spm_model(const std::filesystem::path& path) {
  const std::string where = path.string();
  std::string data = read_text_file(path);
  SpmModel m;
  Reader r(data, where);
  while (!r.done()) {
    uint64_t key = r.varint();
    int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
    if (field == 1 && wire == 2) {
      m.pieces.push_back(parse_piece(r.bytes(), where));
    } else if (field == 2 && wire == 2) {  // TrainerSpec
      Reader t(r.bytes(), where);
      while (!t.done()) {
        uint64_t k = t.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 3 && w == 0) m.model_type = static_cast<int>(t.varint());
        else if (f == 40 && w == 0) m.unk_id = static_cast<int>(t.varint());
        else if (f == 35 && w == 0) m.byte_fallback = t.varint() != 0;
        else t.skip(w);
      }
    } else if (field == 3 && wire == 2) {  // NormalizerSpec
      Reader n(r.bytes(), where);
      while (!n.done()) {
        uint64_t k = n.varint();
        int f = static_cast<int>(k >> 3), w = static_cast<int>(k & 7);
        if (f == 2 && w == 2) m.precompiled_charsmap = std::string(n.bytes());
        else if (f == 3 && w == 0) m.add_dummy_prefix = n.varint() != 0;
        else if (f == 4 && w == 0) m.remove_extra_whitespaces = n.varint() != 0;
        else n.skip(w);
      }
    } else {
      r.skip(wire);
    }
  }
  if (m.pieces.empty()) throw Error(where + ": invalid SentencePiece model (no pieces)");
  return m;
}

std::string base64_encode(std::string_view bytes) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace lmpipe::tok

#pragma once
// Builders for the io tests: a scratch directory, hand-made safetensors files, stored zip
// archives and torch.save-style pickles, so each test can write exactly the bad input it checks.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <string>
#include <utility>
#include <vector>

#include "util/error.h"

namespace lmpipe::test {

// A fresh directory under the system temp dir, removed with the test.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("lmpipe_io_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline std::string le_bytes(uint64_t v, int n) {
  std::string s;
  for (int k = 0; k < n; ++k) s += static_cast<char>((v >> (8 * k)) & 0xff);
  return s;
}

// 8-byte header length (the real one unless overridden), the header, then the data section.
inline std::string safetensors_bytes(const std::string& header, const std::string& data, int64_t header_size = -1) {
  return le_bytes(header_size < 0 ? header.size() : static_cast<uint64_t>(header_size), 8) + header + data;
}

inline std::string f32_bytes(const std::vector<float>& values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(s.data(), values.data(), s.size());
  return s;
}

// A zip archive of stored entries (CRCs left zero: lmpipe does not check them). With `zip64`,
// sizes, offsets and counts go through the zip64 extra field and end records.
inline std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& entries, bool zip64 = false) {
  const uint64_t sat32 = zip64 ? 0xffffffffu : 0, sat16 = zip64 ? 0xffff : 0;
  auto pick = [&](uint64_t v, uint64_t saturated) { return zip64 ? saturated : v; };
  std::string out, central;
  for (const auto& [name, data] : entries) {
    const uint64_t offset = out.size();
    const std::string extra = zip64 ? le_bytes(1, 2) + le_bytes(24, 2) + le_bytes(data.size(), 8) +
                                          le_bytes(data.size(), 8) + le_bytes(offset, 8)
                                    : "";
    out += le_bytes(0x04034b50, 4) + le_bytes(45, 2) + le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(0, 4) +
           le_bytes(0, 4) + le_bytes(pick(data.size(), sat32), 4) + le_bytes(pick(data.size(), sat32), 4) +
           le_bytes(name.size(), 2) + le_bytes(extra.size(), 2) + name + extra + data;
    central += le_bytes(0x02014b50, 4) + le_bytes(45, 2) + le_bytes(45, 2) + le_bytes(0, 2) + le_bytes(0, 2) +
               le_bytes(0, 4) + le_bytes(0, 4) + le_bytes(pick(data.size(), sat32), 4) +
               le_bytes(pick(data.size(), sat32), 4) + le_bytes(name.size(), 2) + le_bytes(extra.size(), 2) +
               le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(0, 4) + le_bytes(pick(offset, sat32), 4) +
               name + extra;
  }
  const uint64_t cd_offset = out.size();
  out += central;
  if (zip64) {
    const uint64_t record = out.size();
    out += le_bytes(0x06064b50, 4) + le_bytes(44, 8) + le_bytes(45, 2) + le_bytes(45, 2) + le_bytes(0, 4) +
           le_bytes(0, 4) + le_bytes(entries.size(), 8) + le_bytes(entries.size(), 8) + le_bytes(central.size(), 8) +
           le_bytes(cd_offset, 8);
    out += le_bytes(0x07064b50, 4) + le_bytes(0, 4) + le_bytes(record, 8) + le_bytes(1, 4);
  }
  out += le_bytes(0x06054b50, 4) + le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(pick(entries.size(), sat16), 2) +
         le_bytes(pick(entries.size(), sat16), 2) + le_bytes(pick(central.size(), sat32), 4) +
         le_bytes(pick(cd_offset, sat32), 4) + le_bytes(0, 2);
  return out;
}

// Protocol-2 pickle opcodes, as torch.save emits them.
struct Pickle {
  std::string s = "\x80\x02";
  Pickle& op(char c) { s += c; return *this; }
  Pickle& str(const std::string& v) { s += 'X' + le_bytes(v.size(), 4) + v; return *this; }
  Pickle& integer(int32_t v) { s += 'J' + le_bytes(static_cast<uint32_t>(v), 4); return *this; }
  Pickle& global(const std::string& module, const std::string& name) { s += 'c' + module + '\n' + name + '\n'; return *this; }
  Pickle& ints(const std::vector<int32_t>& vs) {
    op('(');
    for (int32_t v : vs) integer(v);
    return op('t');
  }
};

struct PickledTensor {
  std::string name, storage_type, key;
  int32_t storage_numel, offset;
  std::vector<int32_t> size, stride;
};

// A state dict {name: _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())}.
inline std::string state_dict_pickle(const std::vector<PickledTensor>& tensors) {
  Pickle p;
  p.op('}').op('(');
  for (const auto& t : tensors) {
    p.str(t.name).global("torch._utils", "_rebuild_tensor_v2").op('(');
    p.op('(').str("storage").global("torch", t.storage_type).str(t.key).str("cpu").integer(t.storage_numel).op('t').op('Q');
    p.integer(t.offset).ints(t.size).ints(t.stride).op('\x89');
    p.global("collections", "OrderedDict").op(')').op('R').op('t').op('R');
  }
  p.op('u').op('.');
  return p.s;
}

// Runs `f`, expecting an lmpipe::Error whose message contains every one of `parts`.
template <typename F>
void expect_error(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected an lmpipe::Error mentioning '" << (parts.empty() ? "" : parts[0]) << "'";
  } catch (const Error& e) {
    for (const auto& part : parts)
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << "message: " << e.what() << "\nmissing: " << part;
  }
}

}  // namespace lmpipe::test

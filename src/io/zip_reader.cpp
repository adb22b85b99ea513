#include "io/zip_reader.h"

#include <cstring>

#include "util/error.h"

namespace lmpipe {

namespace {

constexpr uint32_t kEndOfCentralDir = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64EndOfCentralDir = 0x06064b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint32_t kSaturated32 = 0xffffffffu;

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return rd16(p) | (static_cast<uint32_t>(rd16(p + 2)) << 16); }
uint64_t rd64(const uint8_t* p) { return rd32(p) | (static_cast<uint64_t>(rd32(p + 4)) << 32); }

struct CentralEntry {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint64_t compressed = 0, size = 0, local_offset = 0;
};

// Replaces saturated 32-bit fields with their values from the zip64 extra field.
void apply_zip64_extra(const uint8_t* extra, uint32_t len, CentralEntry& e, const std::string& at) {
  while (len >= 4) {
    const uint16_t id = rd16(extra), size = rd16(extra + 2);
    if (size > len - 4) throw Error(at + ": extra field runs past its header");
    if (id == kZip64ExtraId) {
      const uint8_t* q = extra + 4;
      uint32_t left = size;
      for (uint64_t* field : {&e.size, &e.compressed, &e.local_offset}) {
        if (*field != kSaturated32) continue;
        if (left < 8) throw Error(at + ": zip64 extra field is too short");
        *field = rd64(q);
        q += 8;
        left -= 8;
      }
    }
    extra += 4 + size;
    len -= 4 + size;
  }
}

}  // namespace

ZipArchive ZipArchive::open(std::shared_ptr<MappedFile> file) {
  ZipArchive zip;
  zip.file_ = std::move(file);
  const uint8_t* base = zip.file_->data();
  const uint64_t n = zip.file_->size();
  const std::string where = zip.file_->path().string();

  // The end-of-central-directory record is the last 22 bytes plus a comment of up to 64 KiB.
  if (n < 22) throw Error(where + ": too small to be a zip archive (truncated?)");
  uint64_t eocd = n;
  const uint64_t lowest = n - 22 > 0xffff ? n - 22 - 0xffff : 0;
  for (uint64_t p = n - 22 + 1; p-- > lowest;) {
    if (rd32(base + p) == kEndOfCentralDir) {
      eocd = p;
      break;
    }
  }
  if (eocd == n) throw Error(where + ": not a zip archive, or truncated (no end-of-central-directory record)");

  uint64_t count = rd16(base + eocd + 10), cd_size = rd32(base + eocd + 12), cd_offset = rd32(base + eocd + 16);
  if (count == 0xffff || cd_size == kSaturated32 || cd_offset == kSaturated32) {
    if (eocd < 20 || rd32(base + eocd - 20) != kZip64Locator)
      throw Error(where + ": zip64 end-of-central-directory locator missing");
    const uint64_t e64 = rd64(base + eocd - 20 + 8);
    if (e64 > eocd - 20 || eocd - 20 - e64 < 56 || rd32(base + e64) != kZip64EndOfCentralDir)
      throw Error(where + ": zip64 end-of-central-directory record is missing or corrupt");
    count = rd64(base + e64 + 32);
    cd_size = rd64(base + e64 + 40);
    cd_offset = rd64(base + e64 + 48);
  }
  if (cd_offset > eocd || cd_size > eocd - cd_offset)
    throw Error(where + ": central directory lies outside the file (truncated or corrupt)");

  uint64_t p = cd_offset;
  const uint64_t end = cd_offset + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    if (end - p < 46 || rd32(base + p) != kCentralHeader)
      throw Error(where + ": central directory entry " + std::to_string(i) + " is truncated or corrupt");
    const uint8_t* h = base + p;
    const uint32_t name_len = rd16(h + 28), extra_len = rd16(h + 30), comment_len = rd16(h + 32);
    if (end - p - 46 < static_cast<uint64_t>(name_len) + extra_len + comment_len)
      throw Error(where + ": central directory entry " + std::to_string(i) + " is truncated");
    CentralEntry e;
    e.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
    e.flags = rd16(h + 8);
    e.method = rd16(h + 10);
    e.compressed = rd32(h + 20);
    e.size = rd32(h + 24);
    e.local_offset = rd32(h + 42);
    const std::string at = where + ": zip entry '" + e.name + "'";
    apply_zip64_extra(h + 46 + name_len, extra_len, e, at);
    p += 46 + static_cast<uint64_t>(name_len) + extra_len + comment_len;

    if (e.flags & 1) throw Error(at + " is encrypted");
    if (e.method != 0)
      throw Error(at + " is compressed (method " + std::to_string(e.method) + "); only stored entries are supported");
    if (e.compressed != e.size) throw Error(at + ": stored entry has different compressed and plain sizes");
    if (e.local_offset > n || n - e.local_offset < 30 || rd32(base + e.local_offset) != kLocalHeader)
      throw Error(at + ": local header is missing (truncated or corrupt file)");
    const uint8_t* local = base + e.local_offset;
    const uint64_t data_offset = e.local_offset + 30 + rd16(local + 26) + rd16(local + 28);
    if (data_offset > n || n - data_offset < e.size)
      throw Error(at + " (" + std::to_string(e.size) + " bytes) runs past the end of the file (truncated?)");
    if (!zip.entries_.emplace(e.name, Entry{base + data_offset, e.size}).second) throw Error(at + " appears twice");
  }
  return zip;
}

const ZipArchive::Entry* ZipArchive::find(const std::string& name) const {
  auto it = entries_.find(name);
  return it == entries_.end() ? nullptr : &it->second;
}

}  // namespace lmpipe

#pragma once
// A read-only view of a zip archive's stored (uncompressed) entries over a memory-mapped file,
// as PyTorch's torch.save writes them (PKWARE APPNOTE 6.3: end of central directory, zip64,
// central directory, local headers). Entry data is used in place, without copies.
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "util/mapped_file.h"

namespace lmpipe {

class ZipArchive {
 public:
  struct Entry {
    const uint8_t* data = nullptr;  // inside file()
    uint64_t size = 0;
  };

  // Maps and indexes the archive. Throws lmpipe::Error naming the file when it is not a zip,
  // is truncated, or has an entry that is compressed, encrypted or out of the file's bounds.
  static ZipArchive open(std::shared_ptr<MappedFile> file);

  const std::map<std::string, Entry>& entries() const { return entries_; }
  // nullptr when absent.
  const Entry* find(const std::string& name) const;
  const std::shared_ptr<MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<MappedFile> file_;
  std::map<std::string, Entry> entries_;
};

}  // namespace lmpipe

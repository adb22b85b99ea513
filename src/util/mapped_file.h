#pragma once
// Read-only memory mapping of a whole file. Weights are used in place from the page cache.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace lmpipe {

class MappedFile {
 public:
  // Throws lmpipe::Error naming the path when the file is missing or unreadable.
  static std::shared_ptr<MappedFile> open(const std::filesystem::path& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  MappedFile() = default;
  std::filesystem::path path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Whole file as a string; throws lmpipe::Error naming the path.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace lmpipe

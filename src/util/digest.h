#pragma once
// Content digests used to check downloads: the Hub names LFS files by their sha256 and regular
// git files by their git blob sha1 (sha1 over "blob <size>\0" + content).
#include <filesystem>
#include <string>
#include <string_view>

namespace lmpipe {

// Lower-case hex digests. The file versions stream the file; they throw lmpipe::Error naming
// the file when it cannot be read.
std::string sha256_hex(std::string_view data);
std::string sha256_file_hex(const std::filesystem::path& file);
std::string git_blob_sha1_file_hex(const std::filesystem::path& file);

}  // namespace lmpipe

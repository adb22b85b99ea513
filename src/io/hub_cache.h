#pragma once
// The on-disk cache layout of Python's huggingface_hub (file_download.py), so models downloaded
// by either side are reused by the other:
//   <cache>/models--org--name/refs/<revision>           the commit hash, no newline
//   <cache>/models--org--name/blobs/<etag>              file contents (etag: git sha1 or sha256)
//   <cache>/models--org--name/blobs/<etag>.incomplete   a partial download, resumed with Range
//   <cache>/models--org--name/snapshots/<commit>/<file> -> ../../blobs/<etag> (relative symlink)
//   <cache>/.locks/models--org--name/<etag>.lock        held while a blob is downloaded
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace lmpipe::hub {

// $HF_HUB_CACHE, else $HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub, else
// $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub (as huggingface_hub.constants).
std::filesystem::path default_cache_dir();

// "org/name" -> "models--org--name".
std::string repo_folder_name(const std::string& repo_id);
// A full 40-hex-digit commit hash.
bool is_commit_hash(const std::string& revision);

class RepoCache {
 public:
  RepoCache(std::filesystem::path cache_dir, std::string repo_id);

  const std::filesystem::path& cache_dir() const { return cache_dir_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& repo_id() const { return repo_id_; }

  std::filesystem::path blob(const std::string& etag) const { return dir_ / "blobs" / etag; }
  std::filesystem::path incomplete(const std::string& etag) const;
  std::filesystem::path snapshot(const std::string& commit) const { return dir_ / "snapshots" / commit; }
  std::filesystem::path lock_file(const std::string& etag) const;

  // The commit a revision names, from the cache alone: a commit hash as is, else refs/<revision>;
  // none when that file is absent. Throws lmpipe::Error when it cannot be read.
  std::optional<std::string> cached_commit(const std::string& revision) const;
  // Records refs/<revision> = commit (atomically); nothing to do when revision is the commit.
  void write_ref(const std::string& revision, const std::string& commit) const;
  // Makes snapshots/<commit>/<file> a relative symlink to blobs/<etag>, atomically replacing
  // whatever was there. Returns the snapshot path of the file.
  std::filesystem::path link(const std::string& commit, const std::string& file, const std::string& etag) const;

 private:
  std::filesystem::path cache_dir_;
  std::string repo_id_;
  std::filesystem::path dir_;
};

// An exclusive flock(2) on a lock file (the same files Python's filelock uses), released on
// destruction.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Writes `content` to `path` through a temporary file and a rename, so readers never see a
// half-written file.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

struct CachedModel {
  std::string repo_id;
  std::filesystem::path dir;
  std::vector<std::pair<std::string, std::string>> refs;  // revision -> commit
  std::vector<std::string> snapshots;                      // commits with a snapshot folder
  std::uintmax_t size_on_disk = 0;                         // complete blobs
  std::uintmax_t incomplete_bytes = 0;                     // partial downloads
  std::vector<std::string> problems;  // what could not be read ("<path>: Permission denied")
};

// The models in a cache directory, sorted by repo id. Throws lmpipe::Error when the directory
// does not exist, is not a directory or cannot be listed; a model folder that cannot be read in
// full is listed with its problems.
std::vector<CachedModel> scan_cache(const std::filesystem::path& cache_dir);

}  // namespace lmpipe::hub

#include "io/hub_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "util/error.h"

namespace fs = std::filesystem;

namespace lmpipe::hub {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

fs::path expand_user(const std::string& p) {
  if (p.size() >= 1 && p[0] == '~' && (p.size() == 1 || p[1] == '/')) {
    std::string home = env("HOME");
    if (!home.empty()) return fs::path(home) / p.substr(p.size() > 1 ? 2 : 1);
  }
  return fs::path(p);
}

std::string unique_suffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::ostringstream s;
  s << std::hex << rng();
  return s.str();
}

}  // namespace

fs::path default_cache_dir() {
  if (auto v = env("HF_HUB_CACHE"); !v.empty()) return expand_user(v);
  if (auto v = env("HUGGINGFACE_HUB_CACHE"); !v.empty()) return expand_user(v);
  if (auto v = env("HF_HOME"); !v.empty()) return expand_user(v) / "hub";
  if (auto v = env("XDG_CACHE_HOME"); !v.empty()) return expand_user(v) / "huggingface" / "hub";
  return expand_user("~/.cache") / "huggingface" / "hub";
}

std::string repo_folder_name(const std::string& repo_id) {
  std::string name = "models";
  std::istringstream parts(repo_id);
  for (std::string part; std::getline(parts, part, '/');) name += "--" + part;
  return name;
}

bool is_commit_hash(const std::string& revision) {
  return revision.size() == 40 &&
         std::all_of(revision.begin(), revision.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

RepoCache::RepoCache(fs::path cache_dir, std::string repo_id)
    : cache_dir_(std::move(cache_dir)), repo_id_(std::move(repo_id)), dir_(cache_dir_ / repo_folder_name(repo_id_)) {}

fs::path RepoCache::incomplete(const std::string& etag) const {
  fs::path p = blob(etag);
  p += ".incomplete";
  return p;
}

fs::path RepoCache::lock_file(const std::string& etag) const {
  return cache_dir_ / ".locks" / repo_folder_name(repo_id_) / (etag + ".lock");
}

std::optional<std::string> RepoCache::cached_commit(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(dir_ / "refs" / revision);
  std::string commit;
  if (!in || !std::getline(in, commit)) return std::nullopt;
  while (!commit.empty() && (commit.back() == '\r' || commit.back() == ' ')) commit.pop_back();
  if (!is_commit_hash(commit)) return std::nullopt;
  return commit;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;
  if (cached_commit(revision) == commit) return;  // leaves a read-only cache alone when up to date
  write_file_atomically(dir_ / "refs" / revision, commit);
}

fs::path RepoCache::link(const std::string& commit, const std::string& file, const std::string& etag) const {
  fs::path pointer = snapshot(commit) / fs::path(file);
  std::error_code ec;
  fs::create_directories(pointer.parent_path(), ec);
  if (ec) throw Error(pointer.parent_path().string() + ": cannot create directory: " + ec.message());
  fs::path target = blob(etag).lexically_relative(pointer.parent_path());
  fs::path tmp = pointer;
  tmp += ".tmp-" + unique_suffix();
  fs::create_symlink(target, tmp, ec);
  if (ec) throw Error(tmp.string() + ": cannot create symlink: " + ec.message());
  fs::rename(tmp, pointer, ec);
  if (ec) {
    fs::remove(tmp);
    throw Error(pointer.string() + ": cannot create symlink: " + ec.message());
  }
  return pointer;
}

FileLock::FileLock(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error(path.string() + ": cannot open lock file");
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno != EINTR) {
      ::close(fd_);
      throw Error(path.string() + ": cannot lock");
    }
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

void write_file_atomically(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error(path.parent_path().string() + ": cannot create directory: " + ec.message());
  fs::path tmp = path;
  tmp += ".tmp-" + unique_suffix();
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out.flush()) {
      out.close();
      fs::remove(tmp, ec);
      throw Error(path.string() + ": cannot write");
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error(path.string() + ": cannot write: " + ec.message());
  }
}

std::vector<CachedModel> scan_cache(const fs::path& cache_dir) {
  std::vector<CachedModel> models;
  std::error_code ec;
  if (!fs::is_directory(cache_dir, ec)) return models;
  for (const auto& entry : fs::directory_iterator(cache_dir, ec)) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.rfind("models--", 0) != 0) continue;
    CachedModel m;
    m.dir = entry.path();
    m.repo_id = name.substr(8);
    for (size_t pos; (pos = m.repo_id.find("--")) != std::string::npos;) m.repo_id.replace(pos, 2, "/");
    RepoCache repo(cache_dir, m.repo_id);
    fs::path refs = m.dir / "refs";
    if (fs::is_directory(refs, ec)) {
      for (const auto& r : fs::recursive_directory_iterator(refs, ec)) {
        if (!r.is_regular_file()) continue;
        std::string revision = r.path().lexically_relative(refs).generic_string();
        if (auto commit = repo.cached_commit(revision)) m.refs.emplace_back(revision, *commit);
      }
    }
    if (fs::is_directory(m.dir / "snapshots", ec)) {
      for (const auto& s : fs::directory_iterator(m.dir / "snapshots", ec)) {
        if (s.is_directory()) m.snapshots.push_back(s.path().filename().string());
      }
    }
    if (fs::is_directory(m.dir / "blobs", ec)) {
      for (const auto& b : fs::directory_iterator(m.dir / "blobs", ec)) {
        if (!b.is_regular_file()) continue;
        auto size = b.file_size(ec);
        if (ec) continue;
        (b.path().extension() == ".incomplete" ? m.incomplete_bytes : m.size_on_disk) += size;
      }
    }
    std::sort(m.refs.begin(), m.refs.end());
    std::sort(m.snapshots.begin(), m.snapshots.end());
    models.push_back(std::move(m));
  }
  std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.repo_id < b.repo_id; });
  return models;
}

}  // namespace lmpipe::hub

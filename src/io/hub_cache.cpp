#include "io/hub_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
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
  const fs::path ref = dir_ / "refs" / revision;
  std::error_code ec;
  if (!fs::exists(ref, ec)) {
    if (ec) throw Error(ref.string() + ": " + ec.message());
    return std::nullopt;
  }
  std::ifstream in(ref);
  if (!in) throw Error(ref.string() + ": cannot read: " + std::strerror(errno));
  std::string commit;
  if (!std::getline(in, commit)) return std::nullopt;
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
  std::error_code ec;
  fs::file_status status = fs::status(cache_dir, ec);
  if (!fs::exists(status)) {
    throw Error("no Hugging Face cache at " + cache_dir.string() + ": " +
                (ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such directory") +
                " (HF_HUB_CACHE or HF_HOME choose where it is; a download creates it)");
  }
  if (!fs::is_directory(status)) throw Error("Hugging Face cache " + cache_dir.string() + ": not a directory");
  fs::directory_iterator entries(cache_dir, ec);
  if (ec) throw Error("Hugging Face cache " + cache_dir.string() + ": cannot list it: " + ec.message());

  std::vector<CachedModel> models;
  for (const auto& entry : entries) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec) || name.rfind("models--", 0) != 0) continue;
    CachedModel m;
    m.dir = entry.path();
    for (size_t i = 8; i < name.size(); ++i) {  // "models--org--name" -> "org/name"
      bool separator = name.compare(i, 2, "--") == 0;
      m.repo_id += separator ? '/' : name[i];
      i += separator;
    }
    RepoCache repo(cache_dir, m.repo_id);
    // Each folder of the model, listed with what cannot be read recorded, not skipped silently.
    auto list = [&m](const fs::path& dir, bool recursive, auto&& visit) {
      std::error_code err;
      if (!fs::exists(dir, err)) {
        if (err) m.problems.push_back(dir.string() + ": " + err.message());
        return;
      }
      fs::recursive_directory_iterator it(dir, err), end;
      while (!err && it != end) {
        if (!recursive) it.disable_recursion_pending();
        visit(*it);
        it.increment(err);
      }
      if (err) m.problems.push_back(dir.string() + ": " + err.message());
    };
    const fs::path refs = m.dir / "refs";
    list(refs, true, [&](const fs::directory_entry& r) {  // recursive: a branch name may hold '/'
      std::error_code err;
      if (!r.is_regular_file(err)) return;
      std::string revision = r.path().lexically_relative(refs).generic_string();
      try {
        if (auto commit = repo.cached_commit(revision)) m.refs.emplace_back(revision, *commit);
      } catch (const Error& e) {
        m.problems.push_back(e.what());
      }
    });
    list(m.dir / "snapshots", false, [&](const fs::directory_entry& snapshot) {
      std::error_code err;
      if (snapshot.is_directory(err)) m.snapshots.push_back(snapshot.path().filename().string());
    });
    list(m.dir / "blobs", false, [&](const fs::directory_entry& b) {
      std::error_code err;
      if (!b.is_regular_file(err)) return;
      auto size = b.file_size(err);
      if (err) {
        m.problems.push_back(b.path().string() + ": " + err.message());
        return;
      }
      (b.path().extension() == ".incomplete" ? m.incomplete_bytes : m.size_on_disk) += size;
    });
    std::sort(m.refs.begin(), m.refs.end());
    std::sort(m.snapshots.begin(), m.snapshots.end());
    models.push_back(std::move(m));
  }
  std::sort(models.begin(), models.end(), [](const auto& a, const auto& b) { return a.repo_id < b.repo_id; });
  return models;
}

}  // namespace lmpipe::hub

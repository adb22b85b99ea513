#include "io/hub_download.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <thread>

#include "util/digest.h"
#include "util/human_bytes.h"
#include "util/error.h"

namespace fs = std::filesystem;

namespace lmpipe::hub {
namespace {

constexpr int kMaxRedirects = 10;
constexpr int kMaxResumes = 5;  // retries of a cut transfer, as huggingface_hub's http_get

bool is_hex(const std::string& s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// A one-line progress bar on stderr: redrawn in place on a terminal; on a pipe or file only a
// start and an end line, and only for large files.
class Progress {
 public:
  Progress(bool wanted, const std::string& name, std::optional<uint64_t> total, uint64_t done)
      : name_(name), total_(total), done_(done) {
    tty_ = isatty(STDERR_FILENO) != 0;
    uint64_t size = total.value_or(0);
    enabled_ = wanted && (tty_ ? size > (1u << 20) : size > 10'000'000);
    if (enabled_ && !tty_) std::fprintf(stderr, "Downloading %s (%s)\n", name_.c_str(), human_bytes(double(size)).c_str());
  }
  void add(size_t n) {
    done_ += n;
    if (!enabled_ || !tty_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw();
  }
  void finish() {
    if (!enabled_) return;
    if (tty_) {
      draw();
      std::fputc('\n', stderr);
    } else {
      std::fprintf(stderr, "Downloaded %s\n", name_.c_str());
    }
  }

 private:
  void draw() {
    double total = double(total_.value_or(done_));
    int pct = total > 0 ? std::min(100, int(100.0 * double(done_) / total)) : 100;
    int filled = pct * 30 / 100;
    std::fprintf(stderr, "\r%-32.32s [%.*s%*s] %3d%% %s / %s", name_.c_str(), filled,
                 "##############################", 30 - filled, "", pct, human_bytes(double(done_)).c_str(),
                 human_bytes(total).c_str());
    std::fflush(stderr);
  }

  std::string name_;
  std::optional<uint64_t> total_;
  uint64_t done_;
  bool tty_ = false;
  bool enabled_ = false;
  std::chrono::steady_clock::time_point last_{};
};

std::optional<uint64_t> parse_size(const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(s);
}

struct FileMetadata {
  std::string etag;
  std::optional<uint64_t> size;
  std::string location;  // where the content is downloaded from
};

std::string describe_file(const RepoCache& repo, const std::string& file) {
  return "file '" + file + "' of model '" + repo.repo_id() + "'";
}

// get_hf_file_metadata: HEAD on the resolve URL; X-Linked-Etag / X-Linked-Size describe an LFS
// file behind a redirect, ETag / Content-Length a regular one.
FileMetadata file_metadata(const RepoCache& repo, const std::string& url, const std::string& file,
                           const HubSettings& settings) {
  HttpResponse r;
  try {
    r = hub_request("HEAD", url, settings);
  } catch (const HttpTransportError& e) {
    throw_unreachable(e, settings);
  }
  if (r.status >= 400) throw_http_error(r, describe_file(repo, file), settings);
  FileMetadata meta;
  meta.etag = r.header("X-Linked-Etag");
  if (meta.etag.empty()) meta.etag = r.header("ETag");
  if (meta.etag.rfind("W/", 0) == 0) meta.etag = meta.etag.substr(2);
  if (meta.etag.size() >= 2 && meta.etag.front() == '"' && meta.etag.back() == '"') {
    meta.etag = meta.etag.substr(1, meta.etag.size() - 2);
  }
  // The etag names a file in blobs/: refuse anything that could escape it.
  if (meta.etag.empty() || meta.etag[0] == '.' ||
      meta.etag.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != std::string::npos) {
    throw Error(describe_file(repo, file) + ": the server at " + settings.endpoint +
                " sent no usable ETag (got '" + meta.etag + "'), so the download cannot be verified or cached");
  }
  if (r.header("X-Repo-Commit").empty()) {
    throw Error(describe_file(repo, file) + ": " + url + " is not a Hugging Face Hub answer (no X-Repo-Commit header)");
  }
  meta.size = parse_size(r.header("X-Linked-Size"));
  if (!meta.size) meta.size = parse_size(r.header("Content-Length"));
  meta.location = r.status >= 300 && r.status < 400 && !r.redirect_url.empty() ? r.redirect_url : r.url;
  return meta;
}

// Checks a finished download against the size and the etag (sha256 for LFS files, git blob
// sha1 for regular ones); removes it and throws when it does not match.
void verify(const fs::path& part, const FileMetadata& meta, const std::string& what) {
  std::error_code ec;
  uint64_t actual = fs::file_size(part, ec);
  std::string problem;
  if (ec) {
    problem = "cannot stat the downloaded data: " + ec.message();
  } else if (meta.size && actual != *meta.size) {
    problem = "size mismatch: expected " + std::to_string(*meta.size) + " bytes, got " + std::to_string(actual);
  } else if (is_hex(meta.etag, 64)) {
    std::string got = sha256_file_hex(part);
    if (got != meta.etag) problem = "sha256 mismatch: expected " + meta.etag + ", got " + got;
  } else if (is_hex(meta.etag, 40)) {
    std::string got = git_blob_sha1_file_hex(part);
    if (got != meta.etag) problem = "git sha1 mismatch: expected " + meta.etag + ", got " + got;
  }
  if (!problem.empty()) {
    fs::remove(part, ec);
    throw Error(what + ": downloaded data is corrupt (" + problem + "); it was discarded, run again to retry");
  }
}

// One GET of the content into `part` (appending from its current size with a Range request),
// following redirects; the token only goes to the endpoint's origin.
void download_into(const fs::path& part, const FileMetadata& meta, const std::string& file, const std::string& what,
                   const HubSettings& settings) {
  std::error_code ec;
  uint64_t offset = fs::exists(part, ec) ? fs::file_size(part, ec) : 0;
  if (meta.size && offset > *meta.size) {
    fs::remove(part, ec);
    offset = 0;
  }
  if (meta.size && offset == *meta.size) return;  // complete already; verify() decides

  std::ofstream out;
  Progress progress(settings.progress, file, meta.size, offset);
  HttpRequest request;
  request.method = "GET";
  request.url = meta.location;
  request.on_start = [&](const HttpResponse& head) {
    // A server that ignores Range answers 200 with everything: start the file over.
    bool restart = offset > 0 && head.status != 206;
    out.open(part, std::ios::binary | (restart ? std::ios::trunc : std::ios::app));
    if (!out) throw Error(part.string() + ": cannot open for writing");
  };
  request.on_body = [&](const char* data, size_t size) {
    out.write(data, static_cast<std::streamsize>(size));
    if (!out) throw Error(part.string() + ": write failed (disk full?)");
    progress.add(size);
  };
  std::string origin = url_origin(settings.endpoint);
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    request.headers.clear();
    if (offset > 0) request.headers.push_back("Range: bytes=" + std::to_string(offset) + "-");
    if (!settings.token.empty() && url_origin(request.url) == origin) {
      request.headers.push_back("Authorization: Bearer " + settings.token);
    }
    HttpResponse r = http_send(request);
    if (r.status >= 300 && r.status < 400 && !r.redirect_url.empty()) {
      request.url = r.redirect_url;
      continue;
    }
    if (r.status == 416 && offset > 0) {  // our partial data does not fit the file: start over
      fs::remove(part, ec);
      offset = 0;
      continue;
    }
    if (r.status < 200 || r.status >= 300) throw_http_error(r, what, settings);
    if (!out.is_open()) out.open(part, std::ios::binary | std::ios::app);  // empty body
    out.close();
    if (!out) throw Error(part.string() + ": write failed (disk full?)");
    progress.finish();
    return;
  }
  throw Error(what + ": too many redirects from " + meta.location);
}

}  // namespace

HttpResponse hub_request(const std::string& method, const std::string& url, const HubSettings& settings) {
  HttpRequest request;
  request.method = method;
  request.url = url;
  std::string origin = url_origin(settings.endpoint);
  for (int hop = 0; hop <= kMaxRedirects; ++hop) {
    request.headers = {"Accept-Encoding: identity"};
    if (!settings.token.empty() && url_origin(request.url) == origin) {
      request.headers.push_back("Authorization: Bearer " + settings.token);
    }
    HttpResponse r = http_send(request);
    std::string location = r.header("Location");
    bool relative = !location.empty() && location.find("://") == std::string::npos && location.rfind("//", 0) != 0;
    if (r.status >= 300 && r.status < 400 && relative && !r.redirect_url.empty()) {
      request.url = r.redirect_url;
      continue;
    }
    return r;
  }
  throw Error(url + ": too many redirects");
}

void throw_http_error(const HttpResponse& r, const std::string& what, const HubSettings& settings) {
  std::string code = r.header("X-Error-Code");
  std::string detail = r.header("X-Error-Message");
  if (detail.empty() && !r.body.empty() && r.body.size() < 300 && r.body.find('<') == std::string::npos) detail = r.body;
  std::string suffix = detail.empty() ? "" : " (server said: " + detail + ")";
  std::string status = "HTTP " + std::to_string(r.status);
  // The endpoint as the user set it, or the other server (a CDN) that answered.
  std::string server = r.url.empty() || url_origin(r.url) == url_origin(settings.endpoint) ? settings.endpoint
                                                                                           : url_origin(r.url);
  if (r.status == 401 || r.status == 403) {
    std::string hint = settings.token.empty()
                           ? "if it is private or gated, set HF_TOKEN to an access token of an account allowed to read it"
                           : "the token in use (HF_TOKEN or the token file) was rejected or lacks access; for a gated "
                             "model, accept its conditions on its Hub page first";
    if (code == "RepoNotFound") hint = "check the name; " + hint;
    throw Error(what + ": access denied by " + server + " (" + status + "): it does not exist or needs " +
                "authentication; " + hint + suffix);
  }
  if (r.status == 404) {
    std::string which = code == "RevisionNotFound" ? "revision not found"
                        : code == "EntryNotFound"  ? "no such file in the repository"
                                                   : "not found";
    throw Error(what + ": " + which + " on " + server + " (" + status + ")" + suffix);
  }
  if (r.status >= 500) {
    throw Error(what + ": " + server + " failed with " + status + suffix + "; try again later");
  }
  throw Error(what + ": unexpected " + status + " from " + r.url + suffix);
}

void throw_unreachable(const HttpTransportError& e, const HubSettings& settings) {
  throw Error("cannot reach the Hugging Face Hub at " + settings.endpoint + ": " + e.what() +
              ". Check the network and HF_ENDPOINT, or set HF_HUB_OFFLINE=1 to use models already in the cache (" +
              settings.cache_dir.string() + ")");
}

fs::path fetch_file(const RepoCache& repo, const std::string& commit, const std::string& file,
                    const HubSettings& settings) {
  fs::path pointer = repo.snapshot(commit) / fs::path(file);
  std::error_code ec;
  if (fs::exists(pointer, ec)) return pointer;  // follows the symlink: the blob is there

  std::string what = describe_file(repo, file);
  std::string url = settings.endpoint + "/" + repo.repo_id() + "/resolve/" + commit + "/" + url_encode_path(file);
  FileMetadata meta = file_metadata(repo, url, file, settings);
  fs::path blob = repo.blob(meta.etag);
  if (!fs::exists(blob, ec)) {
    FileLock lock(repo.lock_file(meta.etag));
    if (!fs::exists(blob, ec)) {  // another process may have finished it while we waited
      fs::create_directories(blob.parent_path(), ec);
      if (ec) throw Error(blob.parent_path().string() + ": cannot create directory: " + ec.message());
      fs::path part = repo.incomplete(meta.etag);
      for (int attempt = 0;; ++attempt) {
        try {
          download_into(part, meta, file, what, settings);
          break;
        } catch (const HttpTransportError& e) {
          // A cut transfer that made progress resumes from where it stopped.
          if (e.body_bytes() == 0 || attempt >= kMaxResumes) {
            std::string resume = fs::exists(part, ec) && fs::file_size(part, ec) > 0
                                     ? "; the partial data in " + part.string() + " will be resumed by the next run"
                                     : "";
            throw Error(what + ": download failed: " + e.what() + resume);
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(100 * (attempt + 1)));
        }
      }
      verify(part, meta, what);
      fs::rename(part, blob, ec);
      if (ec) throw Error(blob.string() + ": cannot move the download into place: " + ec.message());
    }
  }
  return repo.link(commit, file, meta.etag);
}

}  // namespace lmpipe::hub

#pragma once
// A local stand-in for the Hugging Face Hub (cpp-httplib on 127.0.0.1, own thread) serving model
// directories in the Hub's URL layout, with the headers huggingface_hub relies on:
//   GET  /api/models/{repo}/revision/{rev}      -> {"sha": commit, "siblings": [{"rfilename"}]}
//   HEAD/GET /{repo}/resolve/{rev}/{file}       -> small files: 200, ETag = git blob sha1;
//        large ("LFS") files: 302 to /cdn/{sha256} with X-Linked-Etag, X-Linked-Size
//   GET  /cdn/{sha256}                          -> the content, with Range support
// Every answer about a repo carries X-Repo-Commit. Faults can be injected and every request is
// logged, so tests can check what went over the wire. Use it as
//   FakeHub hub; hub.add_repo("org/tiny-bart-mnli", test::golden_model("tiny-bart-mnli"));
//   HubOptions o; o.endpoint = hub.endpoint(); resolve_model("org/tiny-bart-mnli", o);
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "util/digest.h"

namespace lmpipe::test {

class FakeHub {
 public:
  static constexpr size_t kLfsThreshold = 1 << 20;  // larger files are served like LFS files

  struct Request {
    std::string method, path, range, authorization;
  };

  FakeHub() {
    auto guarded = [this](auto handler) {
      return [this, handler](const httplib::Request& req, httplib::Response& res) {
        log(req);
        if (int status = force_status.load(); status != 0) {
          res.status = status;
          res.set_content("injected failure", "text/plain");
          return;
        }
        (this->*handler)(req, res);
      };
    };
    server_.Get(R"(/api/models/(.+)/revision/([^/]+))", guarded(&FakeHub::serve_api));
    server_.Get(R"(/(.+)/resolve/([^/]+)/(.+))", guarded(&FakeHub::serve_resolve));
    server_.Get(R"(/cdn/([0-9a-f]+))", guarded(&FakeHub::serve_cdn));
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("FakeHub: cannot bind a port on 127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::yield();
  }
  ~FakeHub() {
    server_.stop();
    thread_.join();
  }
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Serves `dir` (recursively, symlinks followed) as repo `repo_id`; `token` makes it private.
  void add_repo(const std::string& repo_id, const std::filesystem::path& dir, const std::string& token = "") {
    Repo repo;
    repo.commit = lmpipe::sha256_hex(repo_id).substr(0, 40);
    repo.token = token;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
      if (!std::filesystem::is_regular_file(e.path())) continue;
      File f;
      f.path = e.path();
      f.size = std::filesystem::file_size(e.path());
      f.sha256 = lmpipe::sha256_file_hex(e.path());
      f.git_sha1 = lmpipe::git_blob_sha1_file_hex(e.path());
      repo.files[e.path().lexically_relative(dir).generic_string()] = f;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    repos_[repo_id] = std::move(repo);
  }

  std::string commit(const std::string& repo_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return repos_.at(repo_id).commit;
  }
  std::string sha256(const std::string& repo_id, const std::string& file) {
    std::lock_guard<std::mutex> lock(mutex_);
    return repos_.at(repo_id).files.at(file).sha256;
  }

  // The file stays listed by the API but its resolve URL answers 404 EntryNotFound.
  void hide_file(const std::string& file) {
    std::lock_guard<std::mutex> lock(mutex_);
    hidden_file_ = file;
  }

  std::vector<Request> requests() {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }
  void clear_log() {
    std::lock_guard<std::mutex> lock(mutex_);
    log_.clear();
  }
  size_t count(const std::string& path_part) {
    size_t n = 0;
    for (const auto& r : requests()) n += r.path.find(path_part) != std::string::npos;
    return n;
  }

  // Fault injection.
  std::atomic<int> force_status{0};      // answer every request with this status
  std::atomic<int> cut_cdn_times{0};     // the next N CDN answers stop after cut_after bytes...
  std::atomic<size_t> cut_after{100000};  // ...by closing the connection
  std::atomic<bool> corrupt_cdn{false};  // CDN answers flip one byte (same length)
  std::atomic<int> cdn_status{0};        // CDN answers fail with this status
  std::string cdn_host = "127.0.0.1";    // "localhost" puts the CDN on another origin

 private:
  struct File {
    std::filesystem::path path;
    size_t size = 0;
    std::string sha256, git_sha1;
  };
  struct Repo {
    std::string commit, token;
    std::map<std::string, File> files;
  };

  void log(const httplib::Request& req) {
    std::lock_guard<std::mutex> lock(mutex_);
    log_.push_back({req.method, req.path, req.get_header_value("Range"), req.get_header_value("Authorization")});
  }

  static std::string read(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // The repo a request may see, or nullptr after filling in the Hub's error answer.
  const Repo* find_repo(const httplib::Request& req, const std::string& id, const std::string& rev,
                        httplib::Response& res) {
    auto it = repos_.find(id);
    if (it == repos_.end()) {
      res.status = 404;
      res.set_header("X-Error-Code", "RepoNotFound");
      res.set_header("X-Error-Message", "Repository not found");
      return nullptr;
    }
    if (!it->second.token.empty() && req.get_header_value("Authorization") != "Bearer " + it->second.token) {
      res.status = 401;
      res.set_header("X-Error-Code", "RepoNotFound");
      res.set_header("X-Error-Message", "Invalid credentials in Authorization header");
      return nullptr;
    }
    if (rev != "main" && rev != it->second.commit) {
      res.status = 404;
      res.set_header("X-Error-Code", "RevisionNotFound");
      res.set_header("X-Error-Message", "Invalid rev id: " + rev);
      return nullptr;
    }
    res.set_header("X-Repo-Commit", it->second.commit);
    return &it->second;
  }

  void serve_api(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Repo* repo = find_repo(req, req.matches[1], req.matches[2], res);
    if (!repo) return;
    nlohmann::json siblings = nlohmann::json::array();
    for (const auto& [name, f] : repo->files) siblings.push_back({{"rfilename", name}});
    nlohmann::json body = {{"id", req.matches[1]}, {"sha", repo->commit}, {"siblings", siblings}};
    res.set_content(body.dump(), "application/json");
  }

  void serve_resolve(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Repo* repo = find_repo(req, req.matches[1], req.matches[2], res);
    if (!repo) return;
    auto it = repo->files.find(req.matches[3]);
    if (it == repo->files.end() || it->first == hidden_file_) {
      res.status = 404;
      res.set_header("X-Error-Code", "EntryNotFound");
      return;
    }
    const File& f = it->second;
    if (f.size > kLfsThreshold) {
      res.status = 302;
      res.set_header("Location", "http://" + cdn_host + ":" + std::to_string(port_) + "/cdn/" + f.sha256);
      res.set_header("X-Linked-Etag", "\"" + f.sha256 + "\"");
      res.set_header("X-Linked-Size", std::to_string(f.size));
      res.set_header("ETag", "\"" + f.git_sha1 + "\"");  // the LFS pointer's, as on the Hub
      return;
    }
    res.set_header("ETag", "\"" + f.git_sha1 + "\"");
    res.set_content(read(f.path), "application/octet-stream");
  }

  void serve_cdn(const httplib::Request& req, httplib::Response& res) {
    std::filesystem::path path;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& [id, repo] : repos_) {
        for (const auto& [name, f] : repo.files) {
          if (f.sha256 == req.matches[1]) path = f.path;
        }
      }
    }
    if (path.empty()) {
      res.status = 404;
      return;
    }
    if (int status = cdn_status.load(); status != 0) {
      res.status = status;
      return;
    }
    auto content = std::make_shared<std::string>(read(path));
    if (corrupt_cdn) (*content)[content->size() / 2] ^= 0x5a;
    size_t limit = content->size();
    if (cut_cdn_times.load() > 0) {
      --cut_cdn_times;
      limit = cut_after;  // counted from the start of this answer
    }
    auto sent = std::make_shared<size_t>(0);
    res.set_content_provider(content->size(), "application/octet-stream",
                             [content, limit, sent](size_t offset, size_t length, httplib::DataSink& sink) {
                               size_t n = std::min<size_t>({length, 65536, limit - *sent});
                               if (n == 0) return false;  // closes the connection mid-body
                               sink.write(content->data() + offset, n);
                               *sent += n;
                               return true;
                             });
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, Repo> repos_;
  std::vector<Request> log_;
  std::string hidden_file_;
};

}  // namespace lmpipe::test

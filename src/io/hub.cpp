#include "io/hub.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>

#include "io/hub_cache.h"
#include "io/hub_download.h"
#include "util/error.h"
#include "util/json.h"
#include "util/log.h"

namespace fs = std::filesystem;

namespace lmpipe {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// huggingface_hub's _is_true: "1", "ON", "YES", "TRUE" in any case.
bool env_true(const char* name) {
  std::string v = env(name);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::toupper(c); });
  return v == "1" || v == "ON" || v == "YES" || v == "TRUE";
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// $HF_TOKEN, else the legacy $HUGGING_FACE_HUB_TOKEN, else the file `huggingface-cli login`
// writes ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token).
std::string default_token() {
  if (auto t = trim(env("HF_TOKEN")); !t.empty()) return t;
  if (auto t = trim(env("HUGGING_FACE_HUB_TOKEN")); !t.empty()) return t;
  fs::path file = env("HF_TOKEN_PATH");
  if (file.empty()) {
    std::string home = env("HF_HOME");
    if (!home.empty()) {
      file = fs::path(home) / "token";
    } else if (std::string xdg = env("XDG_CACHE_HOME"); !xdg.empty()) {
      file = fs::path(xdg) / "huggingface" / "token";
    } else if (std::string user = env("HOME"); !user.empty()) {
      file = fs::path(user) / ".cache" / "huggingface" / "token";
    }
  }
  std::ifstream in(file);
  std::string token;
  if (in) std::getline(in, token);
  return trim(token);
}

struct Resolved {
  hub::HubSettings settings;
  std::string revision;
  bool offline = false;
};

Resolved resolve_options(const HubOptions& o) {
  Resolved r;
  r.settings.endpoint = !o.endpoint.empty() ? o.endpoint : env("HF_ENDPOINT");
  if (r.settings.endpoint.empty()) r.settings.endpoint = "https://huggingface.co";
  while (r.settings.endpoint.size() > 1 && r.settings.endpoint.back() == '/') r.settings.endpoint.pop_back();
  r.settings.cache_dir = !o.cache_dir.empty() ? o.cache_dir : hub::default_cache_dir();
  r.settings.token = o.token ? *o.token : default_token();
  r.settings.progress = o.progress && !env_true("HF_HUB_DISABLE_PROGRESS_BARS");
  r.offline = o.offline ? *o.offline : env_true("HF_HUB_OFFLINE");
  r.revision = o.revision.empty() ? "main" : o.revision;
  if (r.revision.find("..") != std::string::npos || r.revision.front() == '/') {
    throw Error("invalid revision '" + r.revision + "'");
  }
  return r;
}

// Whether a cache path exists; throws naming the path when the cache cannot be read there
// (permission denied, ...), which would otherwise look like a missing file.
bool present(const fs::path& path) {
  std::error_code ec;
  bool exists = fs::exists(path, ec);
  if (ec) throw Error(path.string() + ": " + ec.message());
  return exists;
}

bool weights_complete(const fs::path& dir, const std::string& single, const std::string& index) {
  if (present(dir / single)) return true;
  if (!present(dir / index)) return false;
  try {
    for (const auto& shard : index_shards(dir / index, index)) {
      if (!present(dir / shard)) return false;
    }
  } catch (const Error&) {
    return false;
  }
  return true;
}

// tokenizer.json, or the legacy vocabulary files a tokenizer can be converted from.
bool has_tokenizer_files(const fs::path& dir) {
  for (const char* f : {"tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "spm.model",
                        "sentencepiece.bpe.model", "tokenizer.model"}) {
    if (present(dir / f)) return true;
  }
  return false;
}

// The cached snapshot of the revision, or what it lacks. Complete means config.json, tokenizer
// files and complete weights (tokenizer_only: tokenizer files); anything less is completed from
// the Hub (e.g. a snapshot whose tokenizer files were deleted). The downloader fetches the
// weights last, so complete weights also mean the optional files before them were fetched.
struct Snapshot {
  std::optional<fs::path> dir;  // when complete
  std::string missing;          // else what it lacks
};

Snapshot cached_snapshot(const hub::RepoCache& repo, const std::string& revision, bool tokenizer_only) {
  auto commit = repo.cached_commit(revision);
  if (!commit) return {std::nullopt, "no snapshot of revision " + revision};
  fs::path dir = repo.snapshot(*commit);
  if (!present(dir)) return {std::nullopt, "no snapshot of revision " + revision};
  if (!tokenizer_only && !present(dir / "config.json")) return {std::nullopt, "its snapshot has no config.json"};
  if (!has_tokenizer_files(dir)) return {std::nullopt, "its snapshot has no tokenizer files"};
  if (!tokenizer_only && !weights_complete(dir, "model.safetensors", "model.safetensors.index.json") &&
      !weights_complete(dir, "pytorch_model.bin", "pytorch_model.bin.index.json")) {
    return {std::nullopt, "its snapshot has no complete weights"};
  }
  return {dir, ""};
}

[[noreturn]] void throw_offline_miss(const std::string& repo_id, const Resolved& r, const std::string& missing) {
  throw Error("model '" + repo_id + "' (revision " + r.revision + ") is not complete in the Hugging Face cache at " +
              r.settings.cache_dir.string() + " (" + missing +
              "), and HF_HUB_OFFLINE is set so nothing may be downloaded; run `lmpipe download " + repo_id +
              "` with network access first, or unset HF_HUB_OFFLINE");
}

// Asks the Hub which commit the revision is and which files it has, then fetches what the
// model needs into the snapshot of that commit.
fs::path fetch_snapshot(const std::string& repo_id, const Resolved& r, bool tokenizer_only) {
  const hub::HubSettings& s = r.settings;
  hub::RepoCache repo(s.cache_dir, repo_id);
  std::string what = "model '" + repo_id + "'";
  std::string api = s.endpoint + "/api/models/" + repo_id + "/revision/" + url_encode_component(r.revision);
  HttpResponse answer;
  try {
    answer = hub::hub_request("GET", api, s);
  } catch (const HttpTransportError& e) {
    hub::throw_unreachable(e, s);
  }
  if (answer.status < 200 || answer.status >= 300) {
    hub::throw_http_error(answer, what + " (revision " + r.revision + ")", s);
  }
  json info;
  try {
    info = json::parse(answer.body);
  } catch (const json::exception& e) {
    throw Error(what + ": invalid JSON from " + api + ": " + e.what());
  }
  std::string where = api;
  std::string commit = json_get<std::string>(info, "sha", where);
  if (!hub::is_commit_hash(commit)) throw Error(where + ": field 'sha' is not a commit hash: " + commit);
  std::vector<std::string> repo_files;
  for (const auto& sibling : json_get<json>(info, "siblings", where)) {
    repo_files.push_back(json_get<std::string>(sibling, "rfilename", where + " siblings"));
  }
  std::set<std::string> available(repo_files.begin(), repo_files.end());

  std::vector<std::string> files = select_model_files(repo_files);
  auto is_weights = [](const std::string& f) {
    return f.ends_with("model.safetensors") || f.ends_with("model.safetensors.index.json") ||
           f.ends_with("pytorch_model.bin") || f.ends_with("pytorch_model.bin.index.json");
  };
  if (tokenizer_only) {
    std::erase_if(files, is_weights);
  } else if (!std::any_of(files.begin(), files.end(), is_weights)) {
    throw Error(what + " (revision " + r.revision + ") has no model.safetensors or pytorch_model.bin weights on " +
                s.endpoint + "; lmpipe cannot load it");
  }
  for (const auto& file : files) {
    fs::path local = hub::fetch_file(repo, commit, file, s);
    if (file.size() > 11 && file.ends_with(".index.json")) {
      for (const auto& shard : index_shards(local, file)) {
        if (!available.count(shard)) {
          throw Error(what + ": " + file + " names shard '" + shard + "', which the repository does not have");
        }
        hub::fetch_file(repo, commit, shard, s);
      }
    }
  }
  repo.write_ref(r.revision, commit);
  return repo.snapshot(commit);
}

fs::path resolve_hub_model(const std::string& repo_id, const Resolved& r, bool check_for_updates, bool tokenizer_only) {
  hub::RepoCache repo(r.settings.cache_dir, repo_id);
  if (r.offline || !check_for_updates) {
    Snapshot cached = cached_snapshot(repo, r.revision, tokenizer_only);
    if (cached.dir) return *cached.dir;
    if (r.offline) throw_offline_miss(repo_id, r, cached.missing);
    log_info("model '" + repo_id + "': " + cached.missing + " in the cache at " + r.settings.cache_dir.string() +
             "; asking " + r.settings.endpoint);
  }
  return fetch_snapshot(repo_id, r, tokenizer_only);
}

// A directory this process may list and read files from.
void require_readable_dir(const fs::path& dir) {
  if (::access(dir.c_str(), R_OK | X_OK) != 0)
    throw Error("model directory '" + dir.string() + "': cannot read it: " + std::strerror(errno));
}

}  // namespace

bool is_hub_model_id(const std::string& name) {
  // huggingface_hub's validate_repo_id.
  static const std::regex pattern(R"(^([A-Za-z0-9_.\-]+/)?[A-Za-z0-9_.\-]+$)");
  if (name.empty() || name.size() > 96 || !std::regex_match(name, pattern)) return false;
  if (name.find("--") != std::string::npos || name.find("..") != std::string::npos) return false;
  if (name.ends_with(".git")) return false;
  for (const std::string& part : {name.substr(0, name.find('/')), name.substr(name.find('/') + 1)}) {
    if (part.front() == '.' || part.front() == '-' || part.back() == '.' || part.back() == '-') return false;
  }
  return true;
}

std::vector<std::string> select_model_files(const std::vector<std::string>& repo_files) {
  std::set<std::string> have(repo_files.begin(), repo_files.end());
  std::vector<std::string> out;
  auto take = [&](const std::string& f) {
    if (have.count(f) && std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  };
  // Safetensors when present, else PyTorch pickles; a single file before an index.
  auto take_weights = [&](const std::string& prefix) {
    for (const char* name : {"model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                             "pytorch_model.bin.index.json"}) {
      if (have.count(prefix + name)) return take(prefix + name);
    }
  };
  for (const char* f : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                        "special_tokens_map.json", "added_tokens.json", "vocab.json", "merges.txt", "vocab.txt",
                        "spiece.model", "spm.model", "sentencepiece.bpe.model", "tokenizer.model",
                        "modules.json", "config_sentence_transformers.json", "sentence_bert_config.json"}) {
    take(f);
  }
  // sentence-transformers modules live in "<index>_<Name>/" folders (1_Pooling/config.json,
  // 2_Dense/model.safetensors, ...); the module list itself is in modules.json.
  static const std::regex module_dir(R"(^[0-9]+_[^/]+/)");
  std::set<std::string> module_prefixes;
  for (const auto& f : repo_files) {
    std::smatch m;
    if (!std::regex_search(f, m, module_dir)) continue;
    if (f.find('/', m.length()) != std::string::npos) continue;  // only the module's own files
    module_prefixes.insert(m.str());
    if (f.ends_with(".json")) take(f);
  }
  for (const auto& prefix : module_prefixes) take_weights(prefix);
  take_weights("");
  return out;
}

std::vector<std::string> index_shards(const fs::path& index_file, const std::string& index_name) {
  json index = read_json_file(index_file);
  const json& map = json_field(index, "weight_map", index_file.string());
  if (!map.is_object()) throw Error(index_file.string() + ": field 'weight_map' is not an object");
  std::string folder = fs::path(index_name).parent_path().generic_string();
  std::set<std::string> shards;
  for (const auto& [tensor, shard] : map.items()) {
    if (!shard.is_string()) throw Error(index_file.string() + ": weight_map['" + tensor + "'] is not a file name");
    std::string name = shard.get<std::string>();
    if (name.empty() || name.find("..") != std::string::npos || name.front() == '/' || name.find('\\') != std::string::npos) {
      throw Error(index_file.string() + ": weight_map['" + tensor + "'] names an invalid shard '" + name + "'");
    }
    shards.insert(folder.empty() ? name : folder + "/" + name);
  }
  return {shards.begin(), shards.end()};
}

void require_model_dir(const fs::path& dir) {
  std::error_code ec;
  fs::file_status status = fs::status(dir, ec);
  if (!fs::exists(status))
    throw Error("model directory '" + dir.string() + "': " +
                (ec && ec != std::errc::no_such_file_or_directory ? ec.message() : "no such directory"));
  if (!fs::is_directory(status)) throw Error("model directory '" + dir.string() + "': not a directory");
  require_readable_dir(dir);
  if (!present(dir / "config.json"))
    throw Error("'" + dir.string() + "' is not a model directory: it has no config.json (a model directory holds "
                "config.json, the weights and the tokenizer files, as a model repository on the Hugging Face Hub)");
}

fs::path resolve_model(const std::string& name_or_path, const HubOptions& options) {
  if (name_or_path.empty()) throw Error("model: empty name (give a model directory or a Hugging Face model id)");
  std::error_code ec;
  fs::file_status status = fs::status(name_or_path, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status))
      throw Error("model '" + name_or_path + "' is a file, not a model directory (give the directory that holds "
                  "config.json, the weights and the tokenizer files)");
    if (options.tokenizer_only) {
      require_readable_dir(name_or_path);
    } else {
      require_model_dir(name_or_path);
    }
    log_debug("model '" + name_or_path + "': local directory");
    return name_or_path;
  }
  // Not there, or not reachable (a parent that is a file or may not be searched).
  if (ec && ec != std::errc::no_such_file_or_directory) throw Error("model '" + name_or_path + "': " + ec.message());
  if (!is_hub_model_id(name_or_path)) {
    throw Error("model '" + name_or_path + "': no such directory, and not a valid Hugging Face model id (org/name)");
  }
  fs::path dir = resolve_hub_model(name_or_path, resolve_options(options), options.check_for_updates,
                                   options.tokenizer_only);
  log_info("model '" + name_or_path + "': " + dir.string());
  return dir;
}

fs::path download_model(const std::string& repo_id, const HubOptions& options) {
  if (!is_hub_model_id(repo_id)) throw Error("'" + repo_id + "' is not a valid Hugging Face model id (org/name)");
  return resolve_hub_model(repo_id, resolve_options(options), true, options.tokenizer_only);
}

}  // namespace lmpipe

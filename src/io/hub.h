#pragma once
// Models by name: a Hugging Face Hub id ("facebook/bart-large-mnli") resolves to a local
// snapshot directory, downloaded on first use into the cache Python's huggingface_hub shares
// (see hub_cache.h), as `pipeline(..., model="facebook/bart-large-mnli")` does.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace lmpipe {

struct HubOptions {
  std::string revision = "main";    // branch, tag or commit hash
  std::string endpoint;             // "" = $HF_ENDPOINT, else https://huggingface.co
  std::filesystem::path cache_dir;  // "" = hub::default_cache_dir() ($HF_HUB_CACHE, ...)
  std::optional<std::string> token;  // unset = $HF_TOKEN, else the token file; "" = anonymous
  std::optional<bool> offline;       // unset = $HF_HUB_OFFLINE
  // Ask the Hub for the revision's current commit even when the cache already holds a complete
  // snapshot of it (resolve_model otherwise uses that snapshot without touching the network).
  bool check_for_updates = false;
  bool progress = true;  // progress on stderr for large files (off with $HF_HUB_DISABLE_PROGRESS_BARS)
  // Only what a tokenizer needs (config.json and the tokenizer files; no weights), for
  // `lmpipe tokenize`; a local directory then needs no config.json.
  bool tokenizer_only = false;
};

// An existing directory is returned as is, once checked (require_model_dir). Otherwise
// `name_or_path` is a Hub model id: its cached snapshot of `revision` when complete (config,
// tokenizer files, weights), else what is missing is downloaded (config, tokenizer, weights) and
// the snapshot directory is returned. Offline, only the cache is used. Throws lmpipe::Error
// naming the model and the cause (no such directory, a file, permission denied, not a model
// directory, not in the cache, the Hub's answer) on failure.
std::filesystem::path resolve_model(const std::string& name_or_path, const HubOptions& options = {});

// Throws lmpipe::Error unless `dir` is a readable directory with a config.json, naming the cause
// ("not a directory", "Permission denied", "not a model directory: it has no config.json").
void require_model_dir(const std::filesystem::path& dir);

// `lmpipe download`: resolve_model for a Hub id that always asks the Hub (unless offline).
std::filesystem::path download_model(const std::string& repo_id, const HubOptions& options = {});

// "name" or "org/name" with Hub-valid characters ([A-Za-z0-9._-], no "--" or "..").
bool is_hub_model_id(const std::string& name);

// Which of a repo's files a model needs, in download order (weights last): config,
// generation config, tokenizer files, sentence-transformers module files, and the weights —
// safetensors (single file or index) when present, else pytorch_model.bin (or its index).
// Shards listed by an index come from index_shards once the index is on disk.
std::vector<std::string> select_model_files(const std::vector<std::string>& repo_files);

// The shard files an index (*.index.json) names in its weight_map, relative to the repo root.
std::vector<std::string> index_shards(const std::filesystem::path& index_file, const std::string& index_name);

}  // namespace lmpipe

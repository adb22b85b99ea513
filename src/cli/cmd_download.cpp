// `lmpipe download MODEL [--revision R]` fetches a Hub model into the shared Hugging Face cache
// ahead of time; `lmpipe cache list` shows what the cache holds.
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "io/hub.h"
#include "io/hub_cache.h"
#include "util/human_bytes.h"

namespace lmpipe::cli {
namespace {

void list_cache() {
  auto dir = hub::default_cache_dir();
  auto models = hub::scan_cache(dir);
  std::cout << "Hugging Face cache: " << dir.string() << "\n";
  if (models.empty()) {
    std::cout << "(no models)\n";
    return;
  }
  std::printf("%-48s %10s  %s\n", "REPO ID", "SIZE", "REVISIONS");
  for (const auto& m : models) {
    std::string revisions;
    for (const auto& [revision, commit] : m.refs) {
      revisions += (revisions.empty() ? "" : ", ") + revision + " -> " + commit.substr(0, 12);
    }
    for (const auto& commit : m.snapshots) {
      bool named = false;
      for (const auto& ref : m.refs) named = named || ref.second == commit;
      if (!named) revisions += (revisions.empty() ? "" : ", ") + commit.substr(0, 12);
    }
    if (m.incomplete_bytes > 0) revisions += " (+" + human_bytes(double(m.incomplete_bytes)) + " partial download)";
    std::printf("%-48s %10s  %s\n", m.repo_id.c_str(), human_bytes(double(m.size_on_disk)).c_str(),
                revisions.empty() ? "-" : revisions.c_str());
  }
}

}  // namespace

void register_download(CLI::App& app) {
  struct Args {
    std::string model;
    std::string revision = "main";
  };
  auto args = std::make_shared<Args>();
  CLI::App* download = app.add_subcommand("download", "Download a Hugging Face Hub model into the cache; prints its path");
  download->add_option("model", args->model, "Hub model id, e.g. facebook/bart-large-mnli")->required();
  download->add_option("--revision", args->revision, "Branch, tag or commit hash")->capture_default_str();
  download->callback([args] {
    HubOptions options;
    options.revision = args->revision;
    std::cout << download_model(args->model, options).string() << "\n";
  });

  CLI::App* cache = app.add_subcommand("cache", "Inspect the Hugging Face model cache");
  cache->require_subcommand(1);
  cache->add_subcommand("list", "List cached models with their revisions and size on disk")->callback(list_cache);
}

}  // namespace lmpipe::cli

// `lmpipe download MODEL [--revision R]` fetches a Hub model into the shared Hugging Face cache
// ahead of time; `lmpipe cache list` shows what the cache holds.
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/terminal.h"
#include "io/hub.h"
#include "io/hub_cache.h"
#include "util/human_bytes.h"

namespace lmpipe::cli {
namespace {

std::string row(const std::string& repo, const std::string& size, const std::string& revisions) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "%-48s %10s  ", repo.c_str(), size.c_str());
  return buf + revisions + "\n";
}

int list_cache() {
  out().require_open();
  auto dir = hub::default_cache_dir();
  auto models = hub::scan_cache(dir);
  out().write("Hugging Face cache: " + dir.string() + "\n");
  if (models.empty()) {
    out().write("(no models)\n");
    return kExitOk;
  }
  out().write(row("REPO ID", "SIZE", "REVISIONS"));
  int status = kExitOk;
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
    std::string size = human_bytes(double(m.size_on_disk));
    if (!m.problems.empty()) {
      size = "?";
      revisions += (revisions.empty() ? "" : " ") + std::string("(unreadable: see the errors)");
      status = kExitFailure;
    }
    out().write(row(m.repo_id, size, revisions.empty() ? "-" : revisions));
  }
  out().flush();
  for (const auto& m : models)
    for (const auto& problem : m.problems) terminal().message("lmpipe: error: cache list: " + m.repo_id + ": " + problem);
  return status;
}

}  // namespace

std::vector<Command> register_download(CLI::App& app) {
  struct Args {
    std::string model;
    std::string revision = "main";
  };
  auto args = std::make_shared<Args>();
  CLI::App* download = app.add_subcommand("download", "Download a Hugging Face Hub model into the cache; prints its path");
  download->add_option("model", args->model, "Hub model id, e.g. facebook/bart-large-mnli");
  download->add_option("--revision", args->revision, "Branch, tag or commit hash")->capture_default_str();

  CLI::App* cache = app.add_subcommand("cache", "Inspect the Hugging Face model cache");
  CLI::App* list = cache->add_subcommand("list", "List cached models with their revisions and size on disk");
  return {
      {download,
       [args] {
         out().require_open();
         if (args->model.empty()) throw UsageError("a model id is required, e.g. facebook/bart-large-mnli");
         HubOptions options;
         options.revision = args->revision;
         out().write(download_model(args->model, options).string() + "\n");
         return int(kExitOk);
       }},
      {list, list_cache},
  };
}

}  // namespace lmpipe::cli

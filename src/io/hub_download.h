#pragma once
// Talking to the Hub: authenticated requests, error messages per HTTP status, and fetching
// one file of a repo into the cache (metadata, resumable download, checksum, snapshot link),
// following huggingface_hub's hf_hub_download / get_hf_file_metadata.
#include <filesystem>
#include <string>

#include "io/http_client.h"
#include "io/hub_cache.h"

namespace lmpipe::hub {

struct HubSettings {
  std::string endpoint;  // no trailing '/'
  std::filesystem::path cache_dir;
  std::string token;  // "" = anonymous
  bool progress = true;
};

// A request to the Hub: the token goes only to the endpoint's own origin; relative redirects
// (renamed repos) are followed, absolute ones (CDN) are returned as is.
HttpResponse hub_request(const std::string& method, const std::string& url, const HubSettings& settings);

// Throws lmpipe::Error explaining a non-2xx answer about `what` ("model 'org/name'",
// "file 'x' of model 'org/name'"): 401/403 -> HF_TOKEN, 404 -> names what is missing, 5xx.
[[noreturn]] void throw_http_error(const HttpResponse& response, const std::string& what, const HubSettings& settings);

// Error for a transport failure while talking to the endpoint.
[[noreturn]] void throw_unreachable(const HttpTransportError& e, const HubSettings& settings);

// Makes snapshots/<commit>/<file> present: asks the Hub for the file's metadata, downloads the
// blob unless cached (resuming blobs/<etag>.incomplete, checking size and sha256 / git sha1
// before the rename into blobs/), and links it. Returns the snapshot path of the file.
std::filesystem::path fetch_file(const RepoCache& repo, const std::string& commit, const std::string& file,
                                 const HubSettings& settings);

}  // namespace lmpipe::hub

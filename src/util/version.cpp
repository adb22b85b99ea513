#include "lmpipe/version.h"

#include <curl/curl.h>
#include <oneapi/dnnl/dnnl.h>
#include <oniguruma.h>
#include <openssl/crypto.h>
#include <utf8proc.h>
#include <zip.h>

#include <nlohmann/json.hpp>

namespace lmpipe {

const char* version() { return LMPIPE_VERSION; }

std::vector<std::pair<std::string, std::string>> library_versions() {
  const dnnl_version_t* dnnl = dnnl_version();
  std::string onednn = std::to_string(dnnl->major) + "." + std::to_string(dnnl->minor) + "." + std::to_string(dnnl->patch);
  const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
  std::string libcurl = curl->version;
  if (curl->ssl_version) libcurl += std::string(" (") + curl->ssl_version + ")";
  // OpenMP names its specification by date: 201511 is OpenMP 4.5.
  std::string openmp = std::to_string(_OPENMP);
  return {
      {"oneDNN", onednn},
      {"Oniguruma", onig_version()},
      {"utf8proc", utf8proc_version()},
      {"SentencePiece", LMPIPE_SENTENCEPIECE_VERSION},
      {"libcurl", libcurl},
      {"OpenSSL", OpenSSL_version(OPENSSL_VERSION_STRING)},
      {"libzip", zip_libzip_version()},
      {"nlohmann/json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." + std::to_string(NLOHMANN_JSON_VERSION_MINOR) +
                            "." + std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
      {"OpenMP", openmp},
  };
}

}  // namespace lmpipe

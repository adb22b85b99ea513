#include "util/digest.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>
#include <vector>

#include "util/error.h"

namespace lmpipe {
namespace {

using MdCtx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

MdCtx new_digest(const EVP_MD* md) {
  MdCtx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) throw Error("digest: OpenSSL init failed");
  return ctx;
}

std::string finish_hex(EVP_MD_CTX* ctx) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_DigestFinal_ex(ctx, out, &n) != 1) throw Error("digest: OpenSSL final failed");
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (unsigned int i = 0; i < n; ++i) {
    s += hex[out[i] >> 4];
    s += hex[out[i] & 15];
  }
  return s;
}

void update_with_file(EVP_MD_CTX* ctx, const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": cannot open for hashing");
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw Error(file.string() + ": read error while hashing");
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  MdCtx ctx = new_digest(EVP_sha256());
  EVP_DigestUpdate(ctx.get(), data.data(), data.size());
  return finish_hex(ctx.get());
}

std::string sha256_file_hex(const std::filesystem::path& file) {
  MdCtx ctx = new_digest(EVP_sha256());
  update_with_file(ctx.get(), file);
  return finish_hex(ctx.get());
}

std::string git_blob_sha1_file_hex(const std::filesystem::path& file) {
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  if (ec) throw Error(file.string() + ": cannot stat for hashing: " + ec.message());
  MdCtx ctx = new_digest(EVP_sha1());
  std::string header = "blob " + std::to_string(size);
  EVP_DigestUpdate(ctx.get(), header.data(), header.size() + 1);  // includes the '\0'
  update_with_file(ctx.get(), file);
  return finish_hex(ctx.get());
}

}  // namespace lmpipe

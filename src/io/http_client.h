#pragma once
// A minimal HTTP client over libcurl for the Hub downloader: one request at a time, redirects
// left to the caller (who decides where credentials may go), bodies streamed to a callback.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "util/error.h"

namespace lmpipe {

// The request never got a complete answer: unreachable host, connection cut, timeout.
class HttpTransportError : public Error {
 public:
  HttpTransportError(const std::string& message, size_t body_bytes)
      : Error(message), body_bytes_(body_bytes) {}
  // Body bytes handed to the sink before the failure (a cut download made this much progress).
  size_t body_bytes() const { return body_bytes_; }

 private:
  size_t body_bytes_;
};

struct HttpRequest {
  std::string method = "GET";  // "GET" or "HEAD"
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  // Receives the body of a 2xx answer as it arrives. Without it the body is kept in
  // HttpResponse::body. Exceptions it throws propagate out of http_send.
  std::function<void(const char* data, size_t size)> on_body;
  // Called once, before the first body byte of a 2xx answer reaches on_body, with the status
  // and headers (e.g. to restart a file when a Range request got the whole content back).
  std::function<void(const struct HttpResponse& head)> on_start;
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-case names, last occurrence wins
  std::string body;          // error bodies, and 2xx bodies when no on_body was given
  std::string url;           // the URL that answered
  std::string redirect_url;  // for a 3xx: the Location resolved against `url`

  // The header's value, or "" when absent. `name` is matched case-insensitively.
  std::string header(const std::string& name) const;
};

// Sends one request without following redirects. Throws HttpTransportError with curl's
// message and the URL when no complete answer arrives.
HttpResponse http_send(const HttpRequest& request);

// "scheme://host:port" of an absolute URL, for same-origin checks ("" when unparsable).
std::string url_origin(const std::string& url);

// Percent-encodes everything but unreserved characters and '/' (a path inside a repo).
std::string url_encode_path(const std::string& path);
// Percent-encodes everything but unreserved characters ("refs/pr/1" -> "refs%2Fpr%2F1").
std::string url_encode_component(const std::string& text);

}  // namespace lmpipe

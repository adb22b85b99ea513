#pragma once
// A server on 127.0.0.1 (a free port) for the tests, and fake pipelines with known answers.
#include <httplib.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lmpipe/pipeline.h"
#include "server/server.h"
#include "util/json.h"

namespace lmpipe::test {

// Answers {"echo": inputs, "kwargs": kwargs}; each batch takes `delay`.
class EchoPipeline : public Pipeline {
 public:
  explicit EchoPipeline(std::chrono::milliseconds delay = {}) : delay_(delay) {}
  json operator()(const json& inputs, const json& kwargs) const override {
    if (inputs == "fail") throw Error("echo: asked to fail");
    return json{{"echo", inputs}, {"kwargs", kwargs}};
  }
  std::vector<json> run(const std::vector<const Call*>& calls) const override {
    std::this_thread::sleep_for(delay_);
    return Pipeline::run(calls);
  }

 private:
  std::chrono::milliseconds delay_;
};

struct TestServer {
  explicit TestServer(server::ServerOptions options = {}) {
    options.port = 0;
    options.keep_alive_timeout = std::chrono::seconds(1);
    options.log = [this](const std::string& line) {
      std::lock_guard lock(log_mutex);
      log.push_back(line);
    };
    server = std::make_unique<server::Server>(options);
    server->start();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_read_timeout(std::chrono::seconds(60));
    return c;
  }
  httplib::Result post(const std::string& path, const std::string& body) const {
    return client().Post(path.c_str(), body, "application/json");
  }
  httplib::Result post(const std::string& path, const json& body) const { return post(path, body.dump()); }

  std::mutex log_mutex;
  std::vector<std::string> log;
  std::unique_ptr<server::Server> server;  // last: stopped before the log it writes to goes
};

inline server::ServedModel echo_model(std::chrono::milliseconds delay = {}) {
  server::ServedModel m;
  m.id = "echo";
  m.task = "echo";
  m.pipeline = std::make_unique<EchoPipeline>(delay);
  return m;
}

}  // namespace lmpipe::test

// `lmpipe serve` as a process: it listens before the model loads, answers, and on SIGTERM or
// SIGINT stops accepting, answers what is in flight and exits 0.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "server_test_util.h"
#include "test_util.h"

using namespace lmpipe;
using namespace std::chrono_literals;

namespace {

// The CLI with stderr on a pipe; `port` from its "listening on http://127.0.0.1:PORT" line.
struct ServeProcess {
  explicit ServeProcess(const std::vector<std::string>& extra) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    pid = ::fork();
    if (pid == 0) {
      ::dup2(fds[1], STDERR_FILENO);
      ::close(fds[0]);
      std::vector<std::string> args = {LMPIPE_CLI_PATH, "serve", "--model", test::golden_model("tiny-bart-mnli").string(),
                                       "--port", "0"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    err_fd = fds[0];
    std::smatch m;
    while (!std::regex_search(err, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))")) && read_some()) {
    }
    port = m.empty() ? 0 : std::stoi(m[1]);
  }
  ~ServeProcess() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    ::close(err_fd);
  }
  bool read_some() {
    char buf[4096];
    ssize_t n = ::read(err_fd, buf, sizeof buf);
    if (n <= 0) return false;
    err.append(buf, n);
    return true;
  }
  // Exit status after `sig`, all of stderr read.
  int stop(int sig) {
    ::kill(pid, sig);
    while (read_some()) {
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(30s);
    return c;
  }
  void wait_until_ready() const {
    for (int i = 0; i < 600; ++i) {
      auto r = client().Get("/health");
      if (r && r->status == 200) return;
      std::this_thread::sleep_for(50ms);
    }
    FAIL() << "never healthy";
  }

  pid_t pid = -1;
  int err_fd = -1;
  int port = 0;
  std::string err;
};

const std::string kRequest =
    R"({"inputs": "Get a free iPhone now!", "parameters": {"candidate_labels": ["spam", "not spam"]}})";

TEST(CliServe, AnswersAndStopsOnSigtermWithRequestsInFlight) {
  ServeProcess serve({});
  ASSERT_GT(serve.port, 0) << serve.err;
  serve.wait_until_ready();
  auto r = serve.client().Post("/", kRequest, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["labels"].size(), 2u);

  // Clients keep sending while SIGTERM arrives. Every request the server took in is answered
  // (its log line and the client's answer agree); the others were never read: their connection
  // was refused, or reset before the server accepted it.
  std::atomic<int> answered{0}, not_taken{0}, other{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 16; ++c)
    clients.emplace_back([&] {
      for (int k = 0; k < 200; ++k) {
        auto res = serve.client().Post("/", kRequest, "application/json");
        if (res && res->status == 200) {
          ++answered;
        } else if (!res && (res.error() == httplib::Error::Connection || res.error() == httplib::Error::Read ||
                            res.error() == httplib::Error::Write)) {
          ++not_taken;
          return;
        } else {
          ++other;
          ADD_FAILURE() << (res ? "status " + std::to_string(res->status) + ": " + res->body : httplib::to_string(res.error()));
          return;
        }
      }
    });
  while (answered < 32) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(serve.stop(SIGTERM), 0) << serve.err;
  for (auto& c : clients) c.join();
  EXPECT_EQ(other, 0);
  EXPECT_GT(answered, 32);
  EXPECT_NE(serve.err.find("lmpipe serve: stopped"), std::string::npos) << serve.err;
  // One log line per request, each answered one delivered.
  size_t logged = 0;
  for (size_t at = 0; (at = serve.err.find("127.0.0.1 POST / ", at)) != std::string::npos; ++at) ++logged;
  EXPECT_EQ(logged, static_cast<size_t>(answered) + 1) << serve.err.substr(serve.err.size() - 2000);
}

TEST(CliServe, SigintExitsZero) {
  ServeProcess serve({});
  ASSERT_GT(serve.port, 0) << serve.err;
  serve.wait_until_ready();
  EXPECT_EQ(serve.stop(SIGINT), 0) << serve.err;
}

TEST(CliServe, AModelThatCannotLoadIsAnError) {
  ServeProcess serve({"--task", "no-such-task"});
  EXPECT_EQ(serve.stop(0), 1) << serve.err;  // signal 0: just wait for it
  EXPECT_NE(serve.err.find("unknown task 'no-such-task'"), std::string::npos) << serve.err;
}

}  // namespace

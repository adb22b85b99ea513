#pragma once
// Runs the real lmpipe binary as a user would: arguments without a shell; stdin, stdout and
// stderr kept apart; the exit status. Also the unusual setups a command line must survive:
// stdin closed, a directory or a terminal; stdout closed, /dev/full or a pipe nobody reads;
// stderr on a terminal (a pseudo-terminal, to see the progress line); input fed in timed
// chunks; extra environment; file permissions enforced even when the tests run as root.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "test_util.h"
#include "util/json.h"

extern char** environ;

namespace lmpipe::test {

struct CliResult {
  int status = -1;  // the exit status; 128 + N when killed by signal N; -1 on timeout
  std::string out;  // stdout
  std::string err;  // stderr, or what the terminal showed when stderr was one
  double seconds = 0;

  std::vector<std::string> out_lines() const {
    std::vector<std::string> lines;
    for (size_t start = 0, nl; (nl = out.find('\n', start)) != std::string::npos; start = nl + 1)
      lines.push_back(out.substr(start, nl - start));
    return lines;
  }
  // stdout as JSON lines; a line that is not JSON fails the test.
  std::vector<json> records() const {
    std::vector<json> parsed;
    for (const auto& line : out_lines()) {
      try {
        parsed.push_back(json::parse(line));
      } catch (const json::exception& e) {
        ADD_FAILURE() << "stdout line is not JSON: " << line << " (" << e.what() << ")";
      }
    }
    return parsed;
  }
  // How many times `text` occurs in stderr.
  size_t err_count(const std::string& text) const {
    size_t n = 0;
    for (size_t at = err.find(text); at != std::string::npos; at = err.find(text, at + 1)) ++n;
    return n;
  }
};

struct CliOptions {
  enum class In { Pipe, Closed, Directory, Terminal };
  enum class Out { Pipe, Closed, DevFull, Unread };  // Unread: a pipe whose reader has gone
  std::vector<std::string> input = {};  // stdin, written chunk after chunk
  int chunk_delay_ms = 0;          // between chunks
  // Each chunk after the first waits for stdout to have grown since the previous one was
  // written (its result came out), then for chunk_delay_ms: timing independent of load time.
  bool chunk_after_output = false;
  In stdin_kind = In::Pipe;
  Out stdout_kind = Out::Pipe;
  bool stderr_terminal = false;
  // Set (or, with std::nullopt, unset) in the environment. By default HF_HUB_OFFLINE=1 and an
  // empty HF_HUB_CACHE: a test never reaches the network unless it says where.
  std::map<std::string, std::optional<std::string>> env = {};
  // File permissions apply: as root, lmpipe runs without CAP_DAC_OVERRIDE and
  // CAP_DAC_READ_SEARCH (so a mode-000 folder is unreadable to it too).
  bool unprivileged = false;
  int timeout_seconds = 120;
};

inline std::filesystem::path empty_cache_dir() {
  static const std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("lmpipe_cli_empty_cache_" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

// Removes root's power to ignore file permissions from this process and what it executes: out
// of the bounding set (which limits what root regains on execve) and out of the current sets.
// Only system calls: safe between fork and exec.
inline bool drop_permission_override() {
  for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH})
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return false;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  const unsigned mask = ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
  data[0].effective &= mask;
  data[0].permitted &= mask;
  data[0].inheritable &= mask;
  return ::syscall(SYS_capset, &header, data) == 0;
}

inline CliResult run_cli(const std::vector<std::string>& args, const CliOptions& o = {}) {
  ::signal(SIGPIPE, SIG_IGN);  // our own writes to a child that stopped reading
  // Everything the child needs is built before fork: the test process has threads (FakeHub).
  std::vector<std::string> argv_storage{LMPIPE_CLI_PATH};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::map<std::string, std::optional<std::string>> env_changes{{"HF_HUB_OFFLINE", "1"},
                                                                  {"HF_HUB_CACHE", empty_cache_dir().string()}};
  for (const auto& [k, v] : o.env) env_changes[k] = v;
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) {
    std::string entry = *e;
    if (!env_changes.count(entry.substr(0, entry.find('=')))) env_storage.push_back(entry);
  }
  for (const auto& [k, v] : env_changes)
    if (v) env_storage.push_back(k + "=" + *v);
  std::vector<char*> argv, envp;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  const bool drop_privileges = o.unprivileged && ::geteuid() == 0;
  const std::string directory = LMPIPE_FIXTURES_DIR;

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  int master = -1, slave = -1;
  const bool pty = o.stderr_terminal || o.stdin_kind == CliOptions::In::Terminal;
  if (pty && ::openpty(&master, &slave, nullptr, nullptr, nullptr) != 0) ADD_FAILURE() << "openpty failed";
  if (o.stdin_kind == CliOptions::In::Pipe && ::pipe(in_pipe) != 0) ADD_FAILURE() << "pipe failed";
  if ((o.stdout_kind == CliOptions::Out::Pipe || o.stdout_kind == CliOptions::Out::Unread) && ::pipe(out_pipe) != 0)
    ADD_FAILURE() << "pipe failed";
  if (!o.stderr_terminal && ::pipe(err_pipe) != 0) ADD_FAILURE() << "pipe failed";
  int dev_full = o.stdout_kind == CliOptions::Out::DevFull ? ::open("/dev/full", O_WRONLY) : -1;
  int dir_fd = o.stdin_kind == CliOptions::In::Directory ? ::open(directory.c_str(), O_RDONLY | O_DIRECTORY) : -1;

  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    switch (o.stdin_kind) {
      case CliOptions::In::Pipe: ::dup2(in_pipe[0], 0); break;
      case CliOptions::In::Closed: ::close(0); break;
      case CliOptions::In::Directory: ::dup2(dir_fd, 0); break;
      case CliOptions::In::Terminal: ::dup2(slave, 0); break;
    }
    switch (o.stdout_kind) {
      case CliOptions::Out::Pipe:
      case CliOptions::Out::Unread: ::dup2(out_pipe[1], 1); break;
      case CliOptions::Out::Closed: ::close(1); break;
      case CliOptions::Out::DevFull: ::dup2(dev_full, 1); break;
    }
    ::dup2(o.stderr_terminal ? slave : err_pipe[1], 2);
    for (int fd = 3; fd < 1024; ++fd) ::close(fd);
    if (drop_privileges && !drop_permission_override()) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  for (int fd : {in_pipe[0], out_pipe[1], err_pipe[1], slave, dev_full, dir_fd})
    if (fd >= 0) ::close(fd);
  if (o.stdout_kind == CliOptions::Out::Unread) {
    ::close(out_pipe[0]);
    out_pipe[0] = -1;
  }

  CliResult result;
  // Input goes to the pipe, or to the terminal followed by Ctrl-D.
  int input_fd = o.stdin_kind == CliOptions::In::Pipe ? in_pipe[1] : o.stdin_kind == CliOptions::In::Terminal ? master : -1;
  std::vector<std::string> chunks = o.input;
  if (o.stdin_kind == CliOptions::In::Terminal) chunks.push_back("\x04");
  size_t chunk = 0, written = 0;
  auto next_chunk_at = start;
  size_t out_size_at_chunk = 0;  // stdout's size when the previous chunk was written
  bool waiting_for_output = false;
  int out_fd = out_pipe[0], err_fd = o.stderr_terminal ? master : err_pipe[0];
  const bool master_reads_err = o.stderr_terminal;
  if (input_fd >= 0 && input_fd != master) ::fcntl(input_fd, F_SETFL, O_NONBLOCK);
  auto deadline = start + std::chrono::seconds(o.timeout_seconds);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now > deadline) {
      ::kill(pid, SIGKILL);
      ADD_FAILURE() << "lmpipe timed out";
      break;
    }
    // Write what is due.
    if (waiting_for_output && result.out.size() > out_size_at_chunk) {
      waiting_for_output = false;
      next_chunk_at = now + std::chrono::milliseconds(o.chunk_delay_ms);
    }
    if (input_fd >= 0 && chunk < chunks.size() && now >= next_chunk_at && !waiting_for_output) {
      const std::string& c = chunks[chunk];
      ssize_t n = c.size() > written ? ::write(input_fd, c.data() + written, c.size() - written) : 0;
      if (n > 0) written += static_cast<size_t>(n);
      if (n < 0 && errno != EAGAIN && errno != EINTR) chunk = chunks.size();  // the child stopped reading
      if (written >= c.size() && chunk < chunks.size()) {
        ++chunk;
        written = 0;
        next_chunk_at = now + std::chrono::milliseconds(o.chunk_delay_ms);
        waiting_for_output = o.chunk_after_output;
        out_size_at_chunk = result.out.size();
      }
    }
    if (input_fd >= 0 && input_fd != master && chunk >= chunks.size()) {
      ::close(input_fd);
      input_fd = -1;
    }
    std::vector<pollfd> fds;
    if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
    if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
    if (master >= 0 && !master_reads_err) fds.push_back({master, POLLIN, 0});  // terminal echo, drained
    if (fds.empty()) break;
    ::poll(fds.data(), fds.size(), 20);
    for (const auto& p : fds) {
      if (!(p.revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buf[65536];
      ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n > 0) {
        if (p.fd == out_fd) result.out.append(buf, static_cast<size_t>(n));
        else if (p.fd == err_fd) result.err.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      // End of the stream (EIO for a terminal whose other side closed).
      ::close(p.fd);
      if (p.fd == out_fd) out_fd = -1;
      if (p.fd == err_fd) err_fd = -1;
      if (p.fd == master) {
        master = -1;
        if (input_fd == p.fd) input_fd = -1;
      }
    }
    // A terminal never reports the end while we hold it open: stop once the child is gone.
    int status;
    if (out_fd < 0 && (err_fd < 0 || master_reads_err) && ::waitpid(pid, &status, WNOHANG) == pid) {
      // Drain what the terminal still holds.
      if (master_reads_err && master >= 0) {
        char buf[65536];
        ::fcntl(master, F_SETFL, O_NONBLOCK);
        for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) result.err.append(buf, static_cast<size_t>(n));
      }
      result.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
      pid = -1;
      break;
    }
  }
  for (int fd : {input_fd, out_fd, err_fd, master})
    if (fd >= 0) ::close(fd);
  if (pid > 0) {
    int status;
    ::waitpid(pid, &status, 0);
    if (result.status == -1 && std::chrono::steady_clock::now() <= deadline)
      result.status = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

// Whether a permission denial can be staged (as root, dropping the capabilities that override
// file permissions may be refused in a container): lmpipe is asked to list a mode-000 cache.
inline bool permissions_enforced() {
  static const bool enforced = [] {
    auto dir = std::filesystem::temp_directory_path() / ("lmpipe_cli_locked_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, std::filesystem::perms::none);
    CliResult r = run_cli({"cache", "list"}, {.env = {{"HF_HUB_CACHE", dir.string()}}, .unprivileged = true});
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all);
    std::filesystem::remove_all(dir);
    return r.status == 1 && r.err.find("Permission denied") != std::string::npos;
  }();
  return enforced;
}

// The small, fast model most command-line tests use (WordPiece, 128 positions).
inline std::string cli_model() { return golden_model("tiny-distilbert-mnli").string(); }

// A scratch directory removed at the end of the test, readable by the unprivileged user.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("lmpipe_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    // Restore permissions a test took away, so everything can be removed.
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec); !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace lmpipe::test

// A real redis-server for tests: started on a free 127.0.0.1 port, stopped by the
// destructor. Nothing is persisted (--save "" --appendonly no, a private temporary --dir).
//
//   gemini::testing::redis_server srv;                 // waits until it answers PING
//   gemini::testing::redis_server_options o;
//   o.password = "s3cret";
//   gemini::testing::redis_server secured(o);   // --requirepass
//   srv.kill();     // SIGKILL: a crash in the middle of a test
//   srv.restart();  // same port
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

#ifndef GEMINI_REDIS_SERVER
#define GEMINI_REDIS_SERVER "redis-server"
#endif

namespace gemini::testing {

struct redis_server_options {
  std::string password;                 ///< --requirepass when not empty
  std::vector<std::string> extra_args;  ///< e.g. {"--enable-debug-command", "yes"}
  std::chrono::milliseconds start_timeout{std::chrono::seconds(10)};
};

class redis_server {
 public:
  explicit redis_server(redis_server_options o = {}) : opts_(std::move(o)) {
    char tmpl[] = "/tmp/gemini-redis-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("redis_server: mkdtemp failed");
    dir_ = tmpl;
    std::string last;
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      if (start(last)) return;
    }
    cleanup_dir();
    throw std::runtime_error("redis_server: could not start " GEMINI_REDIS_SERVER ": " + last);
  }

  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;

  ~redis_server() {
    stop();
    cleanup_dir();
  }

  std::uint16_t port() const noexcept { return port_; }
  bool running() const noexcept { return pid_ > 0; }
  pid_t pid() const noexcept { return pid_; }

  /// SIGKILL, as if the server crashed. Waits for the process to be gone.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap();
  }

  /// SIGTERM, waits up to 5 s, then SIGKILL.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || (r < 0 && errno == ECHILD)) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill();
  }

  /// Stops the server if it runs and starts it again on the same port.
  void restart() {
    stop();
    std::string why;
    // The old listening socket is gone (redis uses SO_REUSEADDR); retry briefly anyway.
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (start(why)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("redis_server: restart on port " + std::to_string(port_) +
                             " failed: " + why);
  }

  /// True when the server answers PING (PONG, or NOAUTH when a password is required).
  bool answers_ping() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{0, 200000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    bool ok = false;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      const char ping[] = "*1\r\n$4\r\nPING\r\n";
      if (::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) ==
          static_cast<ssize_t>(sizeof ping - 1)) {
        char buf[64] = {};
        ssize_t n = ::recv(fd, buf, sizeof buf - 1, 0);
        ok = n > 0 && (std::strncmp(buf, "+PONG", 5) == 0 || std::strncmp(buf, "-NOAUTH", 7) == 0);
      }
    }
    ::close(fd);
    return ok;
  }

  /// An ephemeral port the kernel considers free right now (bound, then released).
  static std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error("redis_server: socket() failed");
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      ::close(fd);
      throw std::runtime_error("redis_server: cannot bind an ephemeral port");
    }
    ::close(fd);
    return ntohs(a.sin_port);
  }

 private:
  /// Spawns redis-server on port_ and waits until it answers PING. False (with the reason)
  /// when the process exits early or does not answer in time.
  bool start(std::string& why) {
    std::vector<std::string> args = {GEMINI_REDIS_SERVER,
                                     "--port",
                                     std::to_string(port_),
                                     "--bind",
                                     "127.0.0.1",
                                     "--save",
                                     "",
                                     "--appendonly",
                                     "no",
                                     "--daemonize",
                                     "no",
                                     "--dir",
                                     dir_.string(),
                                     "--loglevel",
                                     "warning",
                                     "--logfile",
                                     (dir_ / "redis.log").string()};
    if (!opts_.password.empty()) {
      args.push_back("--requirepass");
      args.push_back(opts_.password);
    }
    for (auto const& a : opts_.extra_args) args.push_back(a);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      why = std::string("posix_spawnp: ") + std::strerror(rc);
      return false;
    }
    pid_ = pid;
    auto until = std::chrono::steady_clock::now() + opts_.start_timeout;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        why =
            "redis-server exited early (port " + std::to_string(port_) + " taken?): " + log_tail();
        return false;
      }
      if (answers_ping()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    why = "no answer to PING within " + std::to_string(opts_.start_timeout.count()) + " ms";
    kill();
    return false;
  }

  std::string log_tail() const {
    std::ifstream in(dir_ / "redis.log");
    std::string line, last;
    while (std::getline(in, line))
      if (!line.empty()) last = line;
    return last.empty() ? std::string("no log") : last;
  }

  void reap() {
    if (pid_ <= 0) return;
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  void cleanup_dir() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }

  redis_server_options opts_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace gemini::testing

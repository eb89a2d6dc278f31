// gemini-cxx — a Lua script run with EVALSHA, loaded again after NOSCRIPT (its first use,
// or a Redis that restarted and forgot it).
//
//   gemini::redis::script acquire{"return redis.call('INCR', KEYS[1])"};
//   auto r = co_await acquire.eval(conn, keys, args);   // result<reply>
//
// An error reply (the script failed) is returned as errc::unavailable with its text. A
// script object belongs to one executor, like its connection.
#pragma once

#include <gemini/error.hpp>
#include <gemini/redis/connection.hpp>

#include <boost/asio/awaitable.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace redis {

class script {
 public:
  /// `text` must outlive the script (a string literal).
  explicit script(std::string_view text) noexcept : text_(text) {}

  boost::asio::awaitable<result<reply>> eval(connection& conn, const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) {
    for (int round = 0; round < 2; ++round) {
      if (sha_.empty()) {
        auto loaded = co_await conn.command("SCRIPT", "LOAD", text_);
        if (!loaded) co_return std::move(loaded).error();
        if (!loaded->is_string())
          co_return gemini::error(errc::unavailable, "SCRIPT LOAD refused: " + to_text(*loaded));
        sha_ = loaded->str();
        ++loads_;
      }
      std::vector<std::string_view> cmd{"EVALSHA", sha_};
      const std::string nkeys = std::to_string(keys.size());
      cmd.push_back(nkeys);
      for (auto& k : keys) cmd.push_back(k);
      for (auto& a : args) cmd.push_back(a);
      auto r = co_await conn.command(std::span<const std::string_view>(cmd));
      if (r && r->is_error() && r->str().starts_with("NOSCRIPT")) {
        sha_.clear();
        continue;
      }
      if (r && r->is_error())
        co_return gemini::error(errc::unavailable, "a Redis script failed: " + r->str());
      co_return r;
    }
    co_return gemini::error(errc::unavailable, "a Redis script could not be loaded");
  }

  /// Times the script was loaded (1 + the restarts noticed).
  std::uint64_t loads() const noexcept { return loads_; }

  static std::string to_text(const reply& r) {
    std::ostringstream os;
    os << r;
    return os.str();
  }

 private:
  std::string_view text_;
  std::string sha_;
  std::uint64_t loads_ = 0;
};

/// Connection options for a store a call waits on at admission (limit::redis,
/// budget::redis): short timeouts and back-off, so an unreachable Redis fails fast.
inline options admission_options() {
  options o;
  o.connect_timeout = std::chrono::milliseconds(250);
  o.command_timeout = std::chrono::milliseconds(250);
  o.reconnect_backoff_initial = std::chrono::milliseconds(50);
  o.reconnect_backoff_max = std::chrono::milliseconds(1000);
  return o;
}

/// "host-pid-random": names one policy object's leases (a process may hold several).
inline std::string instance_id() {
  char host[64] = {};
  ::gethostname(host, sizeof host - 1);
  std::random_device rd;
  const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
  return std::string(host) + '-' + std::to_string(::getpid()) + '-' + std::to_string(r);
}

}  // namespace redis
}  // namespace v1
}  // namespace gemini

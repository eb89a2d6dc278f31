// gemini-cxx — an asynchronous Redis connection on Boost.Asio.
//
// One TCP connection, pipelined: concurrent `command()` calls from several coroutines share
// the socket; their commands are written in call order and replies are matched to callers
// first-in first-out. RESP is formatted with hiredis's redisFormatCommandArgv and parsed
// with a hiredis redisReader; all I/O is Asio. The connection connects lazily on the first
// command, authenticates (AUTH) and selects the database (SELECT) on every (re)connect, and
// reconnects after failures with exponential back-off; while backing off, commands fail at
// once without touching the network, so a cache built on it fails open quickly.
//
// Thread safety: a connection is used from one executor (a strand if the io_context runs
// on several threads), like the rest of the library. Distinct connections are independent.
//
// Lifetime: the connection may be destroyed while commands are pending; they complete
// with errc::cancelled. The io_context must outlive it (as for any Asio I/O object).
//
// Not supported: SUBSCRIBE / MONITOR (push replies), RESP3 (HELLO 3), TLS, Unix sockets,
// MULTI/EXEC across separate command() calls (use pipeline() to send them back to back).
#pragma once

#include <gemini/error.hpp>
#include <gemini/redis/reply.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/describe/class.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace redis {

/// Where the server is and how long to wait. The password is never printed (operator<<
/// shows "<redacted>") and never appears in an error message.
struct options {
  std::string host = "127.0.0.1";  ///< name or IP literal
  std::uint16_t port = 6379;
  std::string username;  ///< ACL user (Redis 6+); empty: `AUTH <password>` (the default user)
  std::string password;  ///< empty: no AUTH
  int database = 0;      ///< SELECT on every (re)connect when not 0

  /// Bounds one connect: name resolution + TCP connect + AUTH + SELECT.
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(1)};
  /// Bounds one command (or one pipeline batch) from the call to its last reply. When it
  /// passes, the connection is closed (a server that does not answer in time is treated
  /// as broken) and every pending command fails with errc::upstream_timeout.
  std::chrono::milliseconds command_timeout{std::chrono::seconds(1)};
  /// After a failed connect attempt, commands fail fast for this long; the delay doubles
  /// after each further failed attempt up to reconnect_backoff_max and resets after a
  /// successful connect. 0 disables the back-off (every command tries to connect).
  std::chrono::milliseconds reconnect_backoff_initial{100};
  std::chrono::milliseconds reconnect_backoff_max{std::chrono::seconds(5)};

  /// "127.0.0.1:6379"
  std::string endpoint() const {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ':' + std::to_string(port);
  }

  friend std::ostream& operator<<(std::ostream& os, const options& o) {
    return os << "redis::options{host=" << o.host << ", port=" << o.port
              << ", username=" << (o.username.empty() ? "<none>" : o.username)
              << ", password=" << (o.password.empty() ? "<none>" : "<redacted>")
              << ", database=" << o.database << ", connect_timeout=" << o.connect_timeout.count()
              << "ms, command_timeout=" << o.command_timeout.count()
              << "ms, reconnect_backoff=" << o.reconnect_backoff_initial.count() << ".."
              << o.reconnect_backoff_max.count() << "ms}";
  }
};
BOOST_DESCRIBE_STRUCT(options, (),
                      (host, port, username, password, database, connect_timeout, command_timeout,
                       reconnect_backoff_initial, reconnect_backoff_max))

/// Counters a test or a metrics exporter can read (monotonic).
struct connection_stats {
  std::uint64_t commands_sent = 0;  ///< commands queued for the server (a pipeline counts each)
  std::uint64_t replies = 0;        ///< replies received (including discarded ones)
  std::uint64_t connects = 0;       ///< successful connects (TCP + AUTH + SELECT)
  std::uint64_t failures = 0;       ///< failed connect attempts + connections lost (I/O error,
                                    ///< timeout, protocol error, found closed while idle)
  std::uint64_t timeouts = 0;       ///< command_timeout expiries
  std::uint64_t cancelled = 0;      ///< commands whose caller cancelled the wait
  std::uint64_t fast_failures = 0;  ///< commands refused during back-off, network untouched

  friend std::ostream& operator<<(std::ostream& os, const connection_stats& s) {
    return os << "redis::connection_stats{commands_sent=" << s.commands_sent
              << ", replies=" << s.replies << ", connects=" << s.connects
              << ", failures=" << s.failures << ", timeouts=" << s.timeouts
              << ", cancelled=" << s.cancelled << ", fast_failures=" << s.fast_failures << '}';
  }
};

enum class connection_state : int {
  disconnected = 0,  ///< no socket; the next command connects
  connecting = 1,    ///< TCP connect / AUTH / SELECT in progress; commands queue behind it
  connected = 2,     ///< ready
  backoff = 3,       ///< a connect failed; commands fail fast until the back-off ends
};

inline const char* to_string(connection_state s) noexcept {
  switch (s) {
    case connection_state::disconnected: return "disconnected";
    case connection_state::connecting: return "connecting";
    case connection_state::connected: return "connected";
    case connection_state::backoff: return "backoff";
  }
  return "unknown";
}

namespace detail {
class connection_impl;
}

/// A pipelined Redis connection. See the top of this file and docs/redis.md.
///
/// Outcomes of a command:
///  - a value: the server's reply, which may be an error reply (`-ERR`, `-WRONGTYPE`, ...);
///    the caller decides what that means;
///  - errc::transport: connect failed / refused, connection lost, write failed, or the
///    command was refused during reconnect back-off (message "redis: ...");
///  - errc::upstream_timeout: connect_timeout or command_timeout passed;
///  - errc::unauthenticated: AUTH was refused (also NOAUTH on SELECT);
///  - errc::bad_configuration: invalid options, or SELECT refused (database out of range);
///  - errc::malformed_response: the server sent bytes that are not RESP;
///  - errc::invalid_argument: an empty command;
///  - errc::cancelled: the caller's cancellation slot fired, or close() / destruction.
///
/// Example (in a coroutine on the connection's executor):
///   gemini::redis::connection conn(co_await asio::this_coro::executor, opts);
///   auto set = co_await conn.command("SET", key, value, "PX", "60000");
///   auto got = co_await conn.command("GET", key);
///   if (got && got->is_string()) ... got->str() ...
class connection {
 public:
  using executor_type = boost::asio::any_io_executor;

  /// Does not connect (the first command does). Invalid options are reported by every
  /// command as errc::bad_configuration.
  connection(executor_type ex, options opts);
  connection(connection&&) noexcept = default;
  connection& operator=(connection&& other) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  /// Closes the socket; pending commands complete with errc::cancelled.
  ~connection();

  executor_type get_executor() const noexcept;
  const options& get_options() const noexcept;
  connection_stats stats() const noexcept;
  connection_state state() const noexcept;

  /// Sends one command (binary-safe arguments, e.g. {"SET", key, value, "PX", "5000"}) and
  /// waits for its reply. The arguments are copied (formatted) before this function
  /// returns: they need not outlive the call, and the awaitable may be stored.
  ///
  /// Cancellation: the awaiting coroutine's cancellation slot (terminal cancellation by
  /// default for coroutines) completes the call with errc::cancelled at once; the command
  /// may still reach the server, and its reply is read and discarded, so later replies
  /// still match their callers.
  ///
  /// Call forms (all format the command before returning):
  ///   co_await conn.command("SET", key, value, "PX", "60000");  // variadic: any arguments
  ///                                          // convertible to std::string_view
  ///   std::array<std::string_view, 2> args{"GET", key};
  ///   co_await conn.command(args);                             // a span of arguments
  ///   conn.command({"GET", key})                               // braced list
  /// GCC 12 cannot compile a braced list inside a co_await expression ("array used as
  /// initializer", a coroutine bug; decision 0004): in coroutines use the variadic form,
  /// or `auto op = conn.command({"GET", key}); auto r = co_await std::move(op);`.
  boost::asio::awaitable<result<reply>> command(std::span<const std::string_view> args);
  boost::asio::awaitable<result<reply>> command(std::initializer_list<std::string_view> args);
  template <class... Args>
  requires(sizeof...(Args) > 0 &&
           (std::is_convertible_v<const Args&, std::string_view> &&
            ...)) boost::asio::awaitable<result<reply>> command(const Args&... args) {
    const std::array<std::string_view, sizeof...(Args)> a{std::string_view(args)...};
    return command(std::span<const std::string_view>(a));
  }

  /// Sends several commands back to back (one write) and returns all their replies in
  /// order. Error replies are elements of the vector; a connection failure fails the
  /// whole batch. command_timeout bounds the batch. An empty batch returns at once.
  boost::asio::awaitable<result<std::vector<reply>>> pipeline(
      std::vector<std::vector<std::string>> commands);

  /// Closes the connection now: pending commands complete with errc::cancelled. The next
  /// command reconnects (no back-off).
  void close();

 private:
  std::shared_ptr<detail::connection_impl> impl_;
};

}  // namespace redis
}  // namespace v1
}  // namespace gemini

#include <gemini/redis/impl/connection.hpp>

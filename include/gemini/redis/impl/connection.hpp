// gemini-cxx — implementation of gemini::redis::connection. Included by connection.hpp.
//
// Structure. connection_impl (shared: the pending callers and the Asio handlers keep it
// alive) owns the FIFO of waiters and the bytes not yet written. Each TCP connection is a
// `session`; a teardown closes the session and fails every waiter, and handlers of a
// dropped session do nothing when they complete. A read is outstanding only while replies
// are expected, so an idle connection leaves no work in the io_context (io_context::run()
// returns); before an idle connection is reused it is checked with a non-blocking peek
// (the server never sends unsolicited data in RESP2, so readable bytes or EOF mean it has
// closed). Every wait is bounded: a waiter's timer (command_timeout, plus connect_timeout
// when it had to wait for a connect), the connect watchdog (connect_timeout).
#pragma once

#include <gemini/redis/connection.hpp>
#include <gemini/redis/detail/hiredis.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <deque>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace redis {
namespace detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

/// "redis: <what>"
inline gemini::error make_error(errc code, std::string_view what) {
  std::string msg = "redis: ";
  msg += what;
  return gemini::error(code, std::move(msg));
}

inline std::optional<gemini::error> validate(const options& o) {
  auto bad = [](std::string_view what) {
    return make_error(errc::bad_configuration,
                      std::string("invalid options: ") + std::string(what));
  };
  if (o.host.empty()) return bad("host is empty");
  if (o.port == 0) return bad("port is 0");
  if (o.database < 0) return bad("database is negative");
  if (o.connect_timeout.count() <= 0) return bad("connect_timeout must be positive");
  if (o.command_timeout.count() <= 0) return bad("command_timeout must be positive");
  if (o.reconnect_backoff_initial.count() < 0) return bad("reconnect_backoff_initial is negative");
  if (o.reconnect_backoff_max < o.reconnect_backoff_initial)
    return bad("reconnect_backoff_max is below reconnect_backoff_initial");
  if (!o.username.empty() && o.password.empty()) return bad("username given without a password");
  return std::nullopt;
}

/// One command or pipeline batch waiting for its replies.
struct waiter {
  waiter(const asio::any_io_executor& ex, std::size_t n) : timer(ex), expected(n) {}
  asio::steady_timer timer;  ///< expires at the deadline; cancelled to wake the caller
  std::size_t expected;      ///< replies to collect
  std::size_t received = 0;
  std::vector<reply> replies;
  std::optional<gemini::error> failure;
  bool done = false;       ///< all replies in, or failure set
  bool abandoned = false;  ///< the caller stopped waiting: replies are discarded
};

/// One TCP connection (a new one per connect attempt).
struct session {
  explicit session(const asio::any_io_executor& ex) : socket(ex), resolver(ex), watchdog(ex) {}

  /// Teardown: handlers of this session do nothing from now on.
  void drop() {
    dropped = true;
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    resolver.cancel();
    watchdog.cancel();
  }

  /// An idle connection is usable when nothing is readable (neither data nor EOF).
  bool idle_alive() {
    if (!socket.is_open()) return false;
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    if (ec) return false;
    std::array<char, 1> b{};
    socket.receive(asio::buffer(b), tcp::socket::message_peek, ec);
    bool alive = (ec == asio::error::would_block || ec == asio::error::try_again);
    socket.non_blocking(false, ec);
    return alive;
  }

  tcp::socket socket;
  tcp::resolver resolver;
  asio::steady_timer watchdog;  ///< bounds connect + AUTH + SELECT
  resp_reader reader;
  std::string inflight;  ///< bytes being written
  std::array<char, 16384> rbuf{};
  bool ready = false;  ///< connected and handshake done
  bool writing = false;
  bool reading = false;
  bool dropped = false;
  bool timed_out = false;  ///< the connect watchdog fired
};

class connection_impl : public std::enable_shared_from_this<connection_impl> {
 public:
  connection_impl(asio::any_io_executor ex, options opts)
      : ex_(std::move(ex)),
        opts_(std::move(opts)),
        config_error_(validate(opts_)),
        endpoint_(opts_.endpoint()),
        backoff_(opts_.reconnect_backoff_initial) {}

  const asio::any_io_executor& executor() const noexcept { return ex_; }
  const options& opts() const noexcept { return opts_; }
  const connection_stats& stats() const noexcept { return stats_; }
  connection_state state() const noexcept { return state_; }

  /// Closes the connection; pending commands fail with `e`.
  void close(gemini::error e) { teardown(std::move(e), teardown_kind::closed); }

  /// Sends `count` formatted commands and waits for their replies. R is reply (count 1)
  /// or std::vector<reply>.
  template <class R>
  static asio::awaitable<result<R>> run(std::shared_ptr<connection_impl> self, std::string bytes,
                                        std::size_t count) {
    if constexpr (std::is_same_v<R, std::vector<reply>>) {
      if (count == 0) co_return std::vector<reply>{};
    }
    // A caller already cancelled (possible with this_coro::throw_if_cancelled(false); by
    // default Asio throws at its co_await) gets errc::cancelled, and nothing is sent: a
    // cancellation emitted before the wait below began would not interrupt it.
    asio::cancellation_state cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none)
      co_return make_error(errc::cancelled, "command cancelled before it was sent");

    auto submitted = self->submit(std::move(bytes), count);
    if (!submitted) co_return std::move(submitted).error();
    std::shared_ptr<waiter> w = std::move(*submitted);
    if (!w->done) {
      auto [ec] = co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (!w->done) {
        if (!ec) {
          self->on_timeout(*w);  // fails every pending command, this one included
        } else {
          self->abandon(w);  // our caller's cancellation slot fired
          co_return make_error(errc::cancelled, "command cancelled (its reply will be discarded)");
        }
      }
    }
    if (w->failure) co_return std::move(*w->failure);
    if constexpr (std::is_same_v<R, reply>)
      co_return std::move(w->replies.front());
    else
      co_return std::move(w->replies);
  }

  template <class R>
  static asio::awaitable<result<R>> fail_now(gemini::error e) {
    co_return e;
  }

 private:
  enum class teardown_kind { connect_failed, lost, closed };

  result<std::shared_ptr<waiter>> submit(std::string bytes, std::size_t count) {
    if (config_error_) return *config_error_;
    auto now = clock_type::now();
    switch (state_) {
      case connection_state::backoff:
        if (now < retry_at_) {
          ++stats_.fast_failures;
          auto left = std::chrono::ceil<std::chrono::milliseconds>(retry_at_ - now);
          return make_error(fast_failure_code_, "not connected to " + endpoint_ +
                                                    " (reconnect back-off, next attempt in " +
                                                    std::to_string(left.count()) +
                                                    " ms; last error: " + last_error_ + ")");
        }
        start_connect();
        break;
      case connection_state::disconnected: start_connect(); break;
      case connection_state::connecting: break;
      case connection_state::connected:
        if (pending_.empty() && !session_->writing && !session_->idle_alive()) {
          // Closed by the server while idle (restart, idle timeout): reconnect quietly.
          ++stats_.failures;
          session_->drop();
          session_.reset();
          start_connect();
        }
        break;
    }
    auto w = std::make_shared<waiter>(ex_, count);
    auto budget = opts_.command_timeout;
    if (state_ == connection_state::connecting) budget += opts_.connect_timeout;
    w->timer.expires_at(now + budget);
    if (out_.empty())
      out_ = std::move(bytes);
    else
      out_ += bytes;
    pending_.push_back(w);
    stats_.commands_sent += count;
    start_write();
    start_read();
    return w;
  }

  void start_connect() {
    auto s = std::make_shared<session>(ex_);
    session_ = s;
    state_ = connection_state::connecting;
    // Failures are values: an exception of the connect coroutine (std::bad_alloc, the only
    // one left) fails the waiting commands instead of leaving the user's io_context::run().
    asio::co_spawn(ex_, connect(shared_from_this(), s),
                   [self = shared_from_this(), s](std::exception_ptr e) {
                     if (e) self->connect_threw(s, e);
                   });
  }

  /// The connect coroutine of session `s` ended with an exception: the waiters get an error.
  void connect_threw(const std::shared_ptr<session>& s, std::exception_ptr e) noexcept {
    if (s != session_ || s->dropped) return;  // that attempt is already over
    auto kind = s->ready ? teardown_kind::lost : teardown_kind::connect_failed;
    try {
      std::string why = "unexpected failure";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        why = x.what();
      } catch (...) {
      }
      teardown(make_error(errc::transport, "connect to " + endpoint_ + " failed: " + why), kind);
    } catch (...) {
      teardown(gemini::error(errc::transport), kind);  // no message: nothing to allocate
    }
  }

  static asio::awaitable<void> connect(std::shared_ptr<connection_impl> self,
                                       std::shared_ptr<session> s) {
    const options& o = self->opts_;
    s->watchdog.expires_after(o.connect_timeout);
    s->watchdog.async_wait([s](boost::system::error_code ec) {
      if (ec || s->ready || s->dropped) return;
      s->timed_out = true;
      boost::system::error_code ignored;
      s->resolver.cancel();
      s->socket.close(ignored);
    });

    boost::system::error_code ec;
    auto address = asio::ip::make_address(o.host, ec);
    if (!ec) {
      tcp::endpoint ep(address, o.port);
      auto [cec] = co_await s->socket.async_connect(ep, asio::as_tuple(asio::use_awaitable));
      if (s->dropped) co_return;
      if (cec) {
        self->connect_failed(*s, "connect to", cec);
        co_return;
      }
    } else {
      std::string port = std::to_string(o.port);
      auto [rec, endpoints] =
          co_await s->resolver.async_resolve(o.host, port, asio::as_tuple(asio::use_awaitable));
      if (s->dropped) co_return;
      if (rec) {
        self->connect_failed(*s, "resolve", rec);
        co_return;
      }
      auto [cec, ep] =
          co_await asio::async_connect(s->socket, endpoints, asio::as_tuple(asio::use_awaitable));
      (void)ep;
      if (s->dropped) co_return;
      if (cec) {
        self->connect_failed(*s, "connect to", cec);
        co_return;
      }
    }
    s->socket.set_option(tcp::no_delay(true), ec);

    // AUTH and SELECT, pipelined; their replies are read here, before any queued command
    // is written (the writer starts when the session is ready).
    std::string hello;
    std::size_t expected = 0;
    bool auth = !o.password.empty();
    std::string db = std::to_string(o.database);
    if (auth) {
      if (o.username.empty()) {
        std::array<std::string_view, 2> a{"AUTH", o.password};
        append_command(hello, a);
      } else {
        std::array<std::string_view, 3> a{"AUTH", o.username, o.password};
        append_command(hello, a);
      }
      ++expected;
    }
    if (o.database != 0) {
      std::array<std::string_view, 2> a{"SELECT", db};
      append_command(hello, a);
      ++expected;
    }
    std::vector<reply> got;
    if (expected != 0) {
      auto [wec, wn] = co_await asio::async_write(s->socket, asio::buffer(hello),
                                                  asio::as_tuple(asio::use_awaitable));
      (void)wn;
      std::fill(hello.begin(), hello.end(), '\0');  // holds the password
      if (s->dropped) co_return;
      if (wec) {
        self->connect_failed(*s, "handshake (AUTH/SELECT) with", wec);
        co_return;
      }
      while (got.size() < expected) {
        bool bad = false;
        while (got.size() < expected) {
          auto r = s->reader.next(bad);
          if (!r) break;
          got.push_back(std::move(*r));
        }
        if (bad) {
          self->protocol_failure(*s, true);
          co_return;
        }
        if (got.size() == expected) break;
        auto [rec, n] = co_await s->socket.async_read_some(asio::buffer(s->rbuf),
                                                           asio::as_tuple(asio::use_awaitable));
        if (s->dropped) co_return;
        if (rec) {
          self->connect_failed(*s, "handshake (AUTH/SELECT) with", rec);
          co_return;
        }
        if (!s->reader.feed(s->rbuf.data(), n)) {
          self->protocol_failure(*s, true);
          co_return;
        }
      }
    }
    s->watchdog.cancel();
    if (s->dropped) co_return;
    std::size_t i = 0;
    if (auth) {
      const reply& r = got[i++];
      if (!r.is_status()) {
        self->handshake_refused(*s, errc::unauthenticated,
                                "AUTH to " + self->endpoint_ + " failed: " + describe(r));
        co_return;
      }
    }
    if (o.database != 0) {
      const reply& r = got[i++];
      if (!r.is_status()) {
        bool noauth = r.str().starts_with("NOAUTH") || r.str().starts_with("WRONGPASS");
        self->handshake_refused(
            *s, noauth ? errc::unauthenticated : errc::bad_configuration,
            "SELECT " + db + " on " + self->endpoint_ + " failed: " + describe(r));
        co_return;
      }
    }
    self->on_connected(s);
  }

  static std::string describe(const reply& r) {
    if (r.is_error() || r.is_status()) return r.str();
    return std::string("unexpected ") + to_string(r.type()) + " reply";
  }

  void connect_failed(session& s, const char* what, const boost::system::error_code& ec) {
    if (s.timed_out)
      teardown(make_error(errc::upstream_timeout,
                          "connect to " + endpoint_ + " timed out after " +
                              std::to_string(opts_.connect_timeout.count()) + " ms"),
               teardown_kind::connect_failed);
    else
      teardown(make_error(errc::transport,
                          std::string(what) + ' ' + endpoint_ + " failed: " + ec.message()),
               teardown_kind::connect_failed);
  }

  void handshake_refused(session&, errc code, const std::string& what) {
    teardown(make_error(code, what), teardown_kind::connect_failed);
  }

  void protocol_failure(session& s, bool connecting) {
    teardown(make_error(errc::malformed_response,
                        "protocol error from " + endpoint_ + ": " + s.reader.error()),
             connecting ? teardown_kind::connect_failed : teardown_kind::lost);
  }

  void on_connected(const std::shared_ptr<session>& s) {
    if (s != session_) return;
    s->ready = true;
    state_ = connection_state::connected;
    ++stats_.connects;
    backoff_ = opts_.reconnect_backoff_initial;
    last_error_.clear();
    start_write();
    start_read();
  }

  void start_write() {
    auto s = session_;
    if (!s || !s->ready || s->writing || s->dropped || out_.empty()) return;
    s->writing = true;
    std::swap(s->inflight, out_);
    out_.clear();
    asio::async_write(s->socket, asio::buffer(s->inflight),
                      [self = shared_from_this(), s](boost::system::error_code ec, std::size_t) {
                        self->on_write(s, ec);
                      });
  }

  void on_write(const std::shared_ptr<session>& s, const boost::system::error_code& ec) {
    s->writing = false;
    if (s->inflight.capacity() > (1u << 20))
      std::string().swap(s->inflight);
    else
      s->inflight.clear();
    if (s->dropped) return;
    if (ec) {
      teardown(make_error(errc::transport, "write to " + endpoint_ + " failed: " + ec.message()),
               teardown_kind::lost);
      return;
    }
    start_write();
  }

  void start_read() {
    auto s = session_;
    if (!s || !s->ready || s->reading || s->dropped || pending_.empty()) return;
    s->reading = true;
    s->socket.async_read_some(
        asio::buffer(s->rbuf),
        [self = shared_from_this(), s](boost::system::error_code ec, std::size_t n) {
          self->on_read(s, ec, n);
        });
  }

  void on_read(const std::shared_ptr<session>& s, const boost::system::error_code& ec,
               std::size_t n) {
    s->reading = false;
    if (s->dropped) return;
    if (ec) {
      std::string why =
          (ec == asio::error::eof) ? std::string("closed by the server") : ec.message();
      teardown(make_error(errc::transport, "connection to " + endpoint_ + " lost: " + why),
               teardown_kind::lost);
      return;
    }
    if (!s->reader.feed(s->rbuf.data(), n)) return protocol_failure(*s, false);
    for (;;) {
      bool bad = false;
      auto r = s->reader.next(bad);
      if (bad) return protocol_failure(*s, false);
      if (!r) break;
      ++stats_.replies;
      if (pending_.empty()) {
        teardown(make_error(errc::malformed_response,
                            "unexpected reply from " + endpoint_ + " (no command waiting)"),
                 teardown_kind::lost);
        return;
      }
      deliver(std::move(*r));
    }
    start_read();
  }

  void deliver(reply r) {
    waiter& w = *pending_.front();
    ++w.received;
    if (!w.abandoned) w.replies.push_back(std::move(r));
    if (w.received < w.expected) return;
    std::shared_ptr<waiter> done = std::move(pending_.front());
    pending_.pop_front();
    done->done = true;
    done->timer.cancel();
  }

  void on_timeout(waiter& w) {
    if (w.done) return;
    ++stats_.timeouts;
    teardown(make_error(errc::upstream_timeout, "command timed out after " +
                                                    std::to_string(opts_.command_timeout.count()) +
                                                    " ms (connection to " + endpoint_ + " closed)"),
             teardown_kind::lost);
  }

  /// The caller stopped waiting. The entry stays in the FIFO (its reply will be read and
  /// discarded); its deadline still bounds the connection.
  void abandon(const std::shared_ptr<waiter>& w) {
    ++stats_.cancelled;
    w->abandoned = true;
    w->replies.clear();
    w->timer.async_wait([self = shared_from_this(), w](boost::system::error_code ec) {
      if (!ec && !w->done) self->on_timeout(*w);
    });
  }

  /// Drops the session and fails every pending command with `e`.
  void teardown(gemini::error e, teardown_kind kind) {
    if (session_) {
      session_->drop();
      session_.reset();
    }
    out_.clear();
    auto waiters = std::exchange(pending_, {});
    for (auto& w : waiters) {
      w->failure = e;
      w->done = true;
      w->timer.cancel();
    }
    switch (kind) {
      case teardown_kind::connect_failed:
        ++stats_.failures;
        state_ = connection_state::backoff;
        retry_at_ = clock_type::now() + backoff_;
        backoff_ = std::min(backoff_ * 2, opts_.reconnect_backoff_max);
        break;
      case teardown_kind::lost:
        ++stats_.failures;
        state_ = connection_state::disconnected;
        break;
      case teardown_kind::closed: state_ = connection_state::disconnected; break;
    }
    if (kind != teardown_kind::closed) {
      // During the back-off a misconfiguration keeps its code; anything else is transport.
      bool config = e.code == errc::unauthenticated || e.code == errc::bad_configuration;
      fast_failure_code_ = config ? static_cast<errc>(e.code.value()) : errc::transport;
      std::string_view m = e.message;
      if (m.starts_with("redis: ")) m.remove_prefix(7);
      last_error_ = std::string(m);
    }
  }

  asio::any_io_executor ex_;
  options opts_;
  std::optional<gemini::error> config_error_;
  std::string endpoint_;
  connection_state state_ = connection_state::disconnected;
  std::shared_ptr<session> session_;
  std::deque<std::shared_ptr<waiter>> pending_;  ///< FIFO: replies match in this order
  std::string out_;                              ///< formatted commands not yet written
  std::chrono::milliseconds backoff_;
  clock_type::time_point retry_at_{};
  std::string last_error_;
  errc fast_failure_code_ = errc::transport;
  connection_stats stats_;
};

}  // namespace detail

inline connection::connection(executor_type ex, options opts)
    : impl_(std::make_shared<detail::connection_impl>(std::move(ex), std::move(opts))) {}

inline connection& connection::operator=(connection&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close(detail::make_error(errc::cancelled, "connection closed"));
    impl_ = std::move(other.impl_);
  }
  return *this;
}

inline connection::~connection() {
  if (impl_) impl_->close(detail::make_error(errc::cancelled, "connection closed"));
}

inline connection::executor_type connection::get_executor() const noexcept {
  return impl_->executor();
}
inline const options& connection::get_options() const noexcept { return impl_->opts(); }
inline connection_stats connection::stats() const noexcept { return impl_->stats(); }
inline connection_state connection::state() const noexcept { return impl_->state(); }

inline boost::asio::awaitable<result<reply>> connection::command(
    std::span<const std::string_view> args) {
  std::string bytes;
  if (!detail::append_command(bytes, args))
    return detail::connection_impl::fail_now<reply>(detail::make_error(
        errc::invalid_argument, args.empty() ? "empty command" : "command too large"));
  return detail::connection_impl::run<reply>(impl_, std::move(bytes), 1);
}

inline boost::asio::awaitable<result<reply>> connection::command(
    std::initializer_list<std::string_view> args) {
  return command(std::span<const std::string_view>(args.begin(), args.size()));
}

inline boost::asio::awaitable<result<std::vector<reply>>> connection::pipeline(
    std::vector<std::vector<std::string>> commands) {
  std::string bytes;
  std::vector<std::string_view> args;
  for (std::size_t i = 0; i < commands.size(); ++i) {
    args.assign(commands[i].begin(), commands[i].end());
    if (!detail::append_command(bytes, args))
      return detail::connection_impl::fail_now<std::vector<reply>>(detail::make_error(
          errc::invalid_argument, "pipeline command #" + std::to_string(i) +
                                      (args.empty() ? " is empty" : " is too large")));
  }
  return detail::connection_impl::run<std::vector<reply>>(impl_, std::move(bytes), commands.size());
}

inline void connection::close() {
  impl_->close(detail::make_error(errc::cancelled, "connection closed by the application"));
}

}  // namespace redis
}  // namespace v1
}  // namespace gemini

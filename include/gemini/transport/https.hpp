// gemini-cxx — HTTP/1.1 over TCP and TLS with Boost.Beast, a keep-alive pool per origin,
// deadlines, per-operation cancellation and HTTPS_PROXY (CONNECT) support.
//
// Threading: one https_transport is used from one executor (a strand if the io_context
// runs on several threads). Every operation honours the Asio cancellation slot of the
// awaiting coroutine: a cancelled exchange closes its connection (the stream state is
// undefined after a cancelled read) and completes with errc::cancelled.
#pragma once

#include <gemini/detail/built_by.hpp>
#include <gemini/error.hpp>
#include <gemini/slots.hpp>
#include <gemini/transport/http.hpp>
#include <gemini/transport/proxy.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/describe/class.hpp>
#include <boost/intrusive/list.hpp>

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <deque>
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>

namespace gemini {
inline namespace v1 {
namespace transport {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

/// TLS settings. Peer verification against the system trust store is on by default.
struct tls_options {
  bool verify_peer = true;  ///< never turn off outside tests
  std::string ca_file;      ///< extra CA bundle (PEM file) to trust
  std::string ca_pem;       ///< extra CA certificate(s) given as PEM text
  bool use_system_store = true;
};
BOOST_DESCRIBE_STRUCT(tls_options, (), (verify_peer, ca_file, ca_pem, use_system_store))

/// Connection pool settings (per origin).
struct pool_options {
  std::size_t max_connections_per_origin = 32;
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};  ///< drop idle ones older
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::size_t max_response_bytes = 64u << 20;  ///< unary body limit
  /// Streamed body limit (response_stream::read_some fails with errc::payload_too_large
  /// past it, and closes the connection).
  std::size_t max_stream_bytes = 256u << 20;
  /// Limit of a streamed non-2xx body (the error body the caller reads), same failure.
  std::size_t max_error_body_bytes = 1u << 20;
};
BOOST_DESCRIBE_STRUCT(pool_options, (),
                      (max_connections_per_origin, idle_timeout, connect_timeout,
                       max_response_bytes, max_stream_bytes, max_error_body_bytes))

struct https_options {
  tls_options tls;
  pool_options pool;
  /// Proxy settings; by default read from HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
  std::optional<proxy_settings> proxy;
  std::string user_agent = "gemini-cxx/0.1";
};
BOOST_DESCRIBE_STRUCT(https_options, (), (tls, pool, proxy, user_agent))

/// Counters a test or a metrics exporter can read.
struct transport_stats {
  std::size_t connections_opened = 0;
  std::size_t connections_reused = 0;
  std::size_t stale_connections_dropped = 0;
  std::size_t transparent_resends = 0;
};

namespace detail {

using tcp = asio::ip::tcp;

/// One keep-alive connection: plain TCP or TLS over TCP.
class connection {
 public:
  connection(asio::any_io_executor ex, const origin& o, asio::ssl::context* ctx) : origin_(o) {
    if (o.tls)
      tls_.emplace(ex, *ctx);
    else
      tcp_.emplace(ex);
  }

  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *tcp_; }
  bool is_tls() const { return tls_.has_value(); }
  beast::ssl_stream<beast::tcp_stream>& tls() { return *tls_; }
  beast::flat_buffer& buffer() { return buffer_; }
  /// `op(stream)` on the stream requests go over (TLS or plain TCP): an asynchronous
  /// operation started on either gives the same awaitable type.
  template <class Op>
  auto on_stream(Op op) {
    return tls_ ? op(*tls_) : op(*tcp_);
  }
  const transport::origin& origin() const { return origin_; }

  void close() {
    boost::system::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

  /// True when an idle connection is still usable: nothing to read (the server
  /// sends nothing unsolicited, so readable bytes or EOF mean it has closed).
  bool idle_alive() {
    auto& s = lowest().socket();
    if (!s.is_open() || buffer_.size() != 0) return false;
    // One peek that never blocks: nothing to read means alive; 0 bytes (the server closed)
    // or stray bytes mean not reusable. (Toggling the socket's non-blocking mode instead
    // costs three more system calls a request.)
    char b;
    auto n = ::recv(s.native_handle(), &b, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  clock_type::time_point idle_since{};

 private:
  transport::origin origin_;
  std::optional<beast::tcp_stream> tcp_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls_;
  beast::flat_buffer buffer_;
};

/// The time limits of exchanges on established connections. Each exchange in flight
/// registers a `watch` (in its own frame) with its deadline; one timer waits for the
/// earliest and is re-armed only when a new deadline comes before the one it waits for,
/// or after all exchanges ended: it is cancelled then (once the handler that ended the last
/// one has run, see remove()), so that an idle transport leaves no work in the io_context
/// and `run()` returns. Calls that overlap or follow each other at once share the timer
/// (Beast's per-operation expiry armed and cancelled a timer for every read and write:
/// four timerfd_settime system calls a request).
/// At a deadline the exchange's socket is closed, so whatever it waits for fails at once,
/// and its watch tells it the failure was a timeout. Connecting (resolve, connect, TLS
/// handshake) keeps Beast's expiry: a range connect would reopen a closed socket.
class watchdog {
 public:
  class watch : public boost::intrusive::list_base_hook<
                    boost::intrusive::link_mode<boost::intrusive::normal_link>> {
   public:
    watch(watchdog& dog, connection& c, clock_type::time_point until) : conn_(&c), until_(until) {
      if (until == clock_type::time_point::max()) return;  // nothing to watch
      dog_ = &dog;
      dog.add(*this);
    }
    watch(const watch&) = delete;
    watch& operator=(const watch&) = delete;
    /// The exchange ended, however it ended (also when its frame is destroyed).
    ~watch() {
      if (dog_) dog_->remove(*this);
    }

    /// `ec` as the exchange should report it: a timeout when the deadline cut it.
    boost::system::error_code reason(const boost::system::error_code& ec) const {
      return fired_ && ec ? boost::system::error_code(beast::error::timeout) : ec;
    }

   private:
    friend class watchdog;
    watchdog* dog_ = nullptr;
    connection* conn_;
    clock_type::time_point until_;
    bool fired_ = false;
  };

  explicit watchdog(asio::any_io_executor ex) : timer_(std::move(ex)) {}

 private:
  void add(watch& w) {
    watches_.push_back(w);
    if (w.until_ < armed_) arm(w.until_);
  }
  // The timer is cancelled only once the event loop has no watch left after the handler
  // that removed the last one: a caller that starts its next call at once (a loop of calls
  // on one connection) finds the timer still armed early enough and re-arms nothing (a
  // timerfd_settime a call saved). A timer left pending would keep io_context::run() from
  // returning, so it is never left armed while idle.
  void remove(watch& w) {
    watches_.erase(watches_.iterator_to(w));
    if (!watches_.empty() || armed_ == clock_type::time_point::max() || cancel_posted_) return;
    cancel_posted_ = true;
    asio::post(timer_.get_executor(), [this, alive = std::weak_ptr<char>(alive_)] {
      if (alive.expired()) return;
      cancel_posted_ = false;
      if (watches_.empty() && armed_ != clock_type::time_point::max()) {
        armed_ = clock_type::time_point::max();
        timer_.cancel();
      }
    });
  }
  void arm(clock_type::time_point t) {
    armed_ = t;
    timer_.expires_at(t);  // a wait already pending completes as operation_aborted
    // A handler that already completed normally may run after the watchdog is gone.
    timer_.async_wait([this, alive = std::weak_ptr<char>(alive_)](boost::system::error_code ec) {
      if (!ec && !alive.expired()) fire();
    });
  }
  void fire() {
    armed_ = clock_type::time_point::max();
    auto now = clock_type::now();
    auto next = clock_type::time_point::max();
    for (auto& w : watches_) {
      if (w.fired_) continue;
      if (w.until_ <= now) {
        w.fired_ = true;
        w.conn_->close();
      } else {
        next = std::min(next, w.until_);
      }
    }
    if (next != clock_type::time_point::max()) arm(next);
  }

  asio::steady_timer timer_;
  clock_type::time_point armed_ = clock_type::time_point::max();
  bool cancel_posted_ = false;
  boost::intrusive::list<watch, boost::intrusive::constant_time_size<false>> watches_;
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

inline void set_expiry(beast::tcp_stream& s, clock_type::time_point until) {
  if (until == clock_type::time_point::max())
    s.expires_never();
  else
    s.expires_at(until);
}

inline clock_type::time_point attempt_end(const attempt_limits& lim) {
  auto now = clock_type::now();
  auto t = lim.timeout.count() <= 0 ? clock_type::time_point::max()
                                    : gemini::detail::saturating_add(now, lim.timeout);
  return std::min(t, lim.deadline);
}

/// Maps an I/O failure into the library's error.
inline gemini::error io_error(const boost::system::error_code& ec, const attempt_limits& lim,
                              const char* what) {
  std::string msg = std::string(what) + ": " + ec.message();
  if (ec == beast::error::timeout) {
    if (clock_type::now() >= lim.deadline) return {errc::deadline_exceeded, msg};
    return {errc::upstream_timeout, msg};
  }
  if (ec == asio::error::operation_aborted) return {errc::cancelled, msg};
  if (ec.category() == asio::error::get_ssl_category() ||
      ec.category() == asio::ssl::error::get_stream_category())
    return {ec == asio::ssl::error::stream_truncated ? errc::transport : errc::tls, msg};
  return {errc::transport, msg};
}

/// A header name is an RFC 9110 token.
inline bool is_token(std::string_view s) noexcept {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

/// Text that cannot end a header line early: no CR, LF or NUL (header injection).
inline bool is_line_safe(std::string_view s) noexcept {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

/// Writes the request line and header block of `req` into `out`: the bytes Beast's
/// serializer would send for the same message, in one contiguous buffer. The body goes
/// after it as the second buffer of one gathered write, uncopied (it is kept for a
/// transparent re-send). `Host` and `User-Agent` are defaults a header of the same name
/// in `req.headers` replaces; `Content-Length` is computed. A method, target or header that
/// would break the message framing is an errc::invalid_argument, before any I/O.
inline std::optional<gemini::error> format_head(std::string& out, const http_request& req,
                                                std::string_view user_agent) {
  auto bad = [](std::string what) {
    return gemini::error(errc::invalid_argument, "invalid HTTP request: " + std::move(what));
  };
  if (!is_token(req.method)) return bad("method '" + req.method + "'");
  if (req.target.empty() || req.target.front() != '/' ||
      req.target.find_first_of(std::string_view(" \r\n\0\t", 5)) != std::string::npos)
    return bad("target '" + req.target + "'");
  auto given = [&](std::string_view name) {
    for (auto const& h : req.headers)
      if (iequals(h.name, name)) return true;
    return false;
  };
  out.clear();
  out.append(req.method).append(" ").append(req.target).append(" HTTP/1.1\r\n");
  if (!given("host")) {
    out.append("Host: ");
    req.origin.append_host_port(out);
    out.append("\r\n");
  }
  if (!given("user-agent") && !user_agent.empty())
    out.append("User-Agent: ").append(user_agent).append("\r\n");
  const bool has_body = req.method != "GET" || !req.body.empty();
  for (std::size_t i = 0; i < req.headers.size(); ++i) {
    auto const& h = req.headers[i];
    if (!is_token(h.name)) return bad("header name '" + h.name + "'");
    if (!is_line_safe(h.value)) return bad("header '" + h.name + "' has a line break in its value");
    if (iequals(h.name, "content-length") || iequals(h.name, "transfer-encoding")) continue;
    bool replaced = false;  // a later header of the same name replaces this one
    for (std::size_t j = i + 1; j < req.headers.size() && !replaced; ++j)
      replaced = iequals(req.headers[j].name, h.name);
    if (!replaced) out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
  if (has_body) {
    if (!given("content-type")) out.append("Content-Type: application/json\r\n");
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, req.body.size());
    (void)ec;
    out.append("Content-Length: ").append(digits, end).append("\r\n");
  }
  out.append("\r\n");
  return std::nullopt;
}

inline std::vector<header> copy_headers(const http::fields& f) {
  std::vector<header> out;
  out.reserve(static_cast<std::size_t>(std::distance(f.begin(), f.end())));
  for (auto const& h : f) out.push_back({std::string(h.name_string()), std::string(h.value())});
  return out;
}

struct origin_less {
  bool operator()(const origin& a, const origin& b) const {
    return std::tie(a.tls, a.host, a.port) < std::tie(b.tls, b.host, b.port);
  }
};

}  // namespace detail

class https_transport;

/// A response whose body is read piece by piece as it arrives (streaming).
/// Destroying it before the end closes the connection; reading to the end returns a
/// keep-alive connection to the pool. Must not outlive its https_transport.
class response_stream {
 public:
  response_stream(response_stream&&) = default;
  response_stream& operator=(response_stream&&) = default;
  ~response_stream();

  int status() const noexcept { return status_; }
  const std::vector<header>& headers() const noexcept { return headers_; }
  bool done() const noexcept { return done_; }

  /// Appends the next body bytes to `out`; 0 bytes means the body ended.
  /// Each call may wait at most the attempt timeout (an inactivity timeout) and never
  /// past the deadline.
  asio::awaitable<result<std::size_t>> read_some(std::string& out);

 private:
  friend class https_transport;
  response_stream() = default;
  void finish();

  https_transport* owner_ = nullptr;
  std::unique_ptr<detail::connection> conn_;
  std::unique_ptr<http::response_parser<http::buffer_body>> parser_;
  attempt_limits limits_;
  int status_ = 0;
  std::vector<header> headers_;
  bool done_ = false;
  std::size_t received_ = 0;   ///< body bytes read so far
  std::size_t max_bytes_ = 0;  ///< max_stream_bytes, or max_error_body_bytes for a non-2xx
};

/// The default transport: Beast HTTP/1.1 over TCP or TLS with a keep-alive pool.
class https_transport {
 public:
  using slot = gemini::slot::transport;
  using options_type = https_options;
  using executor_type = asio::any_io_executor;
  using stream_type = response_stream;

  explicit https_transport(executor_type ex, https_options opts = {})
      : ex_(std::move(ex)), opts_(std::move(opts)), ssl_(asio::ssl::context::tls_client) {
    if (!opts_.proxy) opts_.proxy = proxy_settings::from_environment();
    init_tls();
    if (!detail::is_line_safe(opts_.user_agent))
      config_error_ =
          gemini::error(errc::bad_configuration, "https_options::user_agent has a line break");
  }
  https_transport(const https_transport&) = delete;
  https_transport& operator=(const https_transport&) = delete;
  ~https_transport() {
    for (auto& [o, p] : pools_)
      for (auto& c : p.idle) c->close();
  }

  executor_type get_executor() const noexcept { return ex_; }
  const transport_stats& stats() const noexcept { return stats_; }
  const https_options& options() const noexcept { return opts_; }
  /// Configuration problems found at construction (bad CA file, ...), if any.
  const std::optional<gemini::error>& configuration_error() const noexcept { return config_error_; }

  /// Sends one request and reads the whole response.
  asio::awaitable<result<http_response>> request(http_request req, attempt_limits lim) {
    return request_then(std::move(req), lim, keep_response{});
  }

  /// request(), then `finish(outcome)` in the same coroutine frame: its value is the
  /// awaitable's, built in place (detail::built_by). The client maps a response to its
  /// result this way, saving a frame and a move a call. Errors are values: an exception
  /// of the awaiting machinery (cancellation) is handed to `finish` as errc::cancelled.
  template <class Finish>
  asio::awaitable<std::invoke_result_t<Finish&, result<http_response>>> request_then(
      http_request req, attempt_limits lim, Finish finish) {
    // `co_return answer(x)`: finish(x), built in the awaitable's result.
    auto answer = [&finish](result<http_response>&& r) {
      return gemini::detail::built_by{[&finish, &r] { return finish(std::move(r)); }};
    };
    std::optional<gemini::error> thrown;
    try {
      if (config_error_) co_return answer(*config_error_);
      std::string head;
      if (auto bad = detail::format_head(head, req, opts_.user_agent))
        co_return answer(std::move(*bad));
      for (int round = 0;; ++round) {
        result<acquired> got = reuse(req.origin);
        if (!got->conn) got = co_await acquire(req.origin, lim);
        if (!got) co_return answer(std::move(got).error());
        checked_out conn{this, std::move(got->conn)};
        bool reused = got->reused;
        auto outcome = co_await exchange(*conn.c, head, req.body, lim);
        if (outcome.response) {
          release(std::move(conn.c), outcome.keep_alive);
          co_return answer(std::move(*outcome.response));
        }
        conn.give_back();
        // A reused connection that failed before any response byte was most likely
        // closed by the server while idle: re-send once on a fresh connection.
        if (reused && !outcome.got_bytes && round == 0 && outcome.err.code == errc::transport) {
          ++stats_.transparent_resends;
          continue;
        }
        co_return answer(std::move(outcome.err));
      }
    } catch (const boost::system::system_error& e) {
      thrown.emplace(e.code() == asio::error::operation_aborted ? errc::cancelled : errc::transport,
                     e.what());
    }
    co_return answer(std::move(*thrown));
  }

  /// Sends one request and reads the status line and headers; the body is read with
  /// response_stream::read_some.
  asio::awaitable<result<response_stream>> open(http_request req, attempt_limits lim) {
    if (config_error_) co_return *config_error_;
    std::string head;
    if (auto bad = detail::format_head(head, req, opts_.user_agent)) co_return std::move(*bad);
    for (int round = 0;; ++round) {
      result<acquired> got = reuse(req.origin);
      if (!got->conn) got = co_await acquire(req.origin, lim);
      if (!got) co_return std::move(got).error();
      checked_out conn{this, std::move(got->conn)};
      bool reused = got->reused;
      response_stream rs;
      rs.owner_ = this;
      rs.limits_ = lim;
      rs.parser_ = std::make_unique<http::response_parser<http::buffer_body>>();
      rs.parser_->body_limit(boost::none);
      bool got_bytes = false;
      auto err =
          co_await write_and_read_header(*conn.c, head, req.body, lim, *rs.parser_, got_bytes);
      if (!err) {
        rs.status_ = static_cast<int>(rs.parser_->get().result_int());
        rs.max_bytes_ =
            rs.status_ / 100 == 2 ? opts_.pool.max_stream_bytes : opts_.pool.max_error_body_bytes;
        rs.headers_ = detail::copy_headers(rs.parser_->get().base());
        rs.conn_ = std::move(conn.c);
        rs.done_ = rs.parser_->is_done();
        if (rs.done_) rs.finish();
        co_return std::move(rs);
      }
      conn.give_back();
      if (reused && !got_bytes && round == 0 && err->code == errc::transport) {
        ++stats_.transparent_resends;
        continue;
      }
      co_return std::move(*err);
    }
  }

  /// Closes every idle pooled connection.
  void close_idle() {
    for (auto& [o, p] : pools_) {
      for (auto& c : p.idle) c->close();
      p.idle.clear();
    }
  }

  std::size_t idle_connections() const {
    std::size_t n = 0;
    for (auto const& [o, p] : pools_) n += p.idle.size();
    return n;
  }

 private:
  friend class response_stream;

  struct waiter {
    asio::steady_timer timer;
    bool woken = false;
  };
  struct origin_pool {
    std::deque<std::unique_ptr<detail::connection>> idle;  // most recently used at back
    std::size_t active = 0;                                // checked out + connecting
    std::list<waiter*> waiters;
  };
  /// A connection taken from the pool for one exchange. Unless released to the pool (or
  /// handed to a response_stream), it is closed and its slot freed — also when an
  /// exception (the awaiting machinery's cancellation) unwinds the request.
  struct checked_out {
    https_transport* owner;
    std::unique_ptr<detail::connection> c;
    checked_out(https_transport* t, std::unique_ptr<detail::connection> conn)
        : owner(t), c(std::move(conn)) {}
    checked_out(const checked_out&) = delete;
    checked_out& operator=(const checked_out&) = delete;
    ~checked_out() { give_back(); }
    void give_back() {
      if (!c) return;
      origin o = c->origin();
      c->close();
      c.reset();
      owner->done_with(o);
    }
  };
  /// A pool slot counted in origin_pool::active while a connection is being opened: freed
  /// (done_with) unless dismissed, also when an exception (the awaiting machinery's
  /// cancellation at a co_await) unwinds acquire() or its frame is destroyed.
  struct slot_guard {
    https_transport* owner;
    origin o;
    bool armed = true;
    slot_guard(https_transport* t, const origin& of) : owner(t), o(of) {}
    slot_guard(const slot_guard&) = delete;
    slot_guard& operator=(const slot_guard&) = delete;
    ~slot_guard() {
      if (armed) owner->done_with(o);
    }
    void dismiss() noexcept { armed = false; }
  };
  /// A waiter's place in origin_pool::waiters: removed when the wait ends, however it ends
  /// (an exception at the co_await, or the frame destroyed), so the list never points into
  /// a dead frame.
  struct waiter_registration {
    std::list<waiter*>& list;
    std::list<waiter*>::iterator it;
    waiter& w;
    waiter_registration(std::list<waiter*>& l, waiter& me)
        : list(l), it(l.insert(l.end(), &me)), w(me) {}
    waiter_registration(const waiter_registration&) = delete;
    waiter_registration& operator=(const waiter_registration&) = delete;
    ~waiter_registration() {
      if (!w.woken) list.erase(it);  // done_with() took it out of the list when it woke it
    }
  };
  struct acquired {
    std::unique_ptr<detail::connection> conn;
    bool reused;
  };
  struct exchange_outcome {
    std::optional<http_response> response;
    bool keep_alive = false;
    bool got_bytes = false;
    gemini::error err;
  };

  void init_tls() {
    namespace ssl = asio::ssl;
    boost::system::error_code ec;
    ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                         ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                     ec);
    SSL_CTX_set_min_proto_version(ssl_.native_handle(), TLS1_2_VERSION);
    auto fail = [&](std::string what) {
      config_error_ = gemini::error(errc::bad_configuration, std::move(what));
    };
    if (!opts_.tls.ca_file.empty()) {
      ssl_.load_verify_file(opts_.tls.ca_file, ec);
      if (ec) fail("cannot load CA file '" + opts_.tls.ca_file + "': " + ec.message());
    }
    if (!opts_.tls.ca_pem.empty()) {
      ssl_.add_certificate_authority(asio::buffer(opts_.tls.ca_pem), ec);
      if (ec) fail("cannot load the CA certificate given as PEM: " + ec.message());
    }
    ssl_.set_verify_mode(opts_.tls.verify_peer ? ssl::verify_peer : ssl::verify_none, ec);
  }

  /// Loads the system trust store before the first TLS connection, not at construction: it
  /// takes ~20 ms (bookworm's bundle), which a plain-HTTP transport (the emulator, a local
  /// gateway) never needs. A failure is a configuration error from then on.
  std::optional<gemini::error> load_system_store() {
    if (system_store_loaded_ || !opts_.tls.use_system_store) return std::nullopt;
    boost::system::error_code ec;
    ssl_.set_default_verify_paths(ec);
    if (ec)
      config_error_ = gemini::error(errc::bad_configuration,
                                    "cannot load the system trust store: " + ec.message());
    system_store_loaded_ = true;
    return config_error_;
  }

  /// Checks out an idle connection of the pool that is still alive, dropping the expired
  /// and the closed ones; null when there is none.
  std::unique_ptr<detail::connection> take_idle(origin_pool& pool) {
    while (!pool.idle.empty()) {
      auto c = std::move(pool.idle.back());
      pool.idle.pop_back();
      bool expired = clock_type::now() - c->idle_since > opts_.pool.idle_timeout;
      if (!expired && c->idle_alive()) {
        ++pool.active;
        ++stats_.connections_reused;
        return c;
      }
      ++stats_.stale_connections_dropped;
      c->close();
    }
    return nullptr;
  }

  /// An idle connection to `o` (acquire()'s first step, without its frame); `conn` is null
  /// when there is none.
  result<acquired> reuse(const origin& o) { return acquired{take_idle(pools_[o]), true}; }

  /// Checks out a pooled connection or opens a new one, waiting for a free slot
  /// when the origin is at max_connections_per_origin. Callers try reuse() first: the
  /// common case then costs no coroutine frame.
  asio::awaitable<result<acquired>> acquire(const origin& o, const attempt_limits& lim) {
    auto& pool = pools_[o];
    if (auto c = take_idle(pool)) co_return acquired{std::move(c), true};
    // The wait for a slot is part of the attempt: it ends with the attempt's timeout or the
    // deadline, whichever comes first.
    const auto wait_until = detail::attempt_end(lim);
    while (pool.active >= opts_.pool.max_connections_per_origin) {
      waiter w{asio::steady_timer(ex_), false};
      w.timer.expires_at(wait_until);
      bool woken = false;
      boost::system::error_code ec;
      {
        waiter_registration reg(pool.waiters, w);
        std::tie(ec) = co_await w.timer.async_wait(asio::as_tuple(asio::use_awaitable));
        woken = w.woken;
      }
      if (woken) {
        if (auto c = take_idle(pool)) co_return acquired{std::move(c), true};
        continue;
      }
      if (!ec) {
        const char* what = "waiting for a free connection";
        if (clock_type::now() >= lim.deadline)
          co_return gemini::error(errc::deadline_exceeded, what);
        co_return gemini::error(errc::upstream_timeout, std::string(what) + ": attempt timeout (" +
                                                            std::to_string(lim.timeout.count()) +
                                                            " ms) reached");
      }
      co_return gemini::error(errc::cancelled, "cancelled while waiting for a free connection");
    }
    if (o.tls)
      if (auto e = load_system_store()) co_return std::move(*e);
    ++pool.active;
    slot_guard slot(this, o);
    auto c = std::make_unique<detail::connection>(ex_, o, &ssl_);
    auto err = co_await connect(*c, lim);
    if (err) {
      c->close();
      co_return std::move(*err);  // the guard frees the slot
    }
    c->lowest().expires_never();  // from here on the watchdog keeps the time
    ++stats_.connections_opened;
    slot.dismiss();  // the caller's checked_out owns the slot now
    co_return acquired{std::move(c), false};
  }

  /// A connection slot of `o` is free again (connection closed or pooled).
  void done_with(const origin& o) {
    auto& pool = pools_[o];
    if (pool.active > 0) --pool.active;
    if (!pool.waiters.empty()) {
      waiter* w = pool.waiters.front();
      pool.waiters.pop_front();
      w->woken = true;
      w->timer.cancel();
    }
  }

  void release(std::unique_ptr<detail::connection> c, bool keep_alive) {
    origin o = c->origin();
    if (keep_alive && c->buffer().size() == 0) {
      c->idle_since = clock_type::now();
      pools_[o].idle.push_back(std::move(c));
    } else {
      c->close();
    }
    done_with(o);
  }

  asio::awaitable<std::optional<gemini::error>> connect(detail::connection& c,
                                                        const attempt_limits& lim) {
    const origin& target = c.origin();
    const proxy_settings& px = *opts_.proxy;
    std::optional<base_url> via = px.proxy_for(target);
    const origin& dial = via ? via->origin : target;

    auto connect_until =
        std::min(detail::attempt_end(lim),
                 gemini::detail::saturating_add(clock_type::now(), opts_.pool.connect_timeout));
    auto& tcp = c.lowest();
    detail::set_expiry(tcp, connect_until);
    detail::tcp::resolver resolver(ex_);
    std::string port = std::to_string(dial.port);  // named: no temporaries across co_await
    auto [rec, endpoints] =
        co_await resolver.async_resolve(dial.host, port, asio::as_tuple(asio::use_awaitable));
    if (rec) co_return detail::io_error(rec, lim, "resolve");
    // The resolver has no timeout of its own; check the budget now.
    auto [cec, ep] = co_await tcp.async_connect(endpoints, asio::as_tuple(asio::use_awaitable));
    if (cec) co_return detail::io_error(cec, lim, via ? "connect to proxy" : "connect");
    tcp.socket().set_option(detail::tcp::no_delay(true));

    if (via) {
      if (auto e = co_await tunnel(tcp, target, lim)) co_return e;
    }
    if (!c.is_tls()) co_return std::nullopt;

    auto& s = c.tls();
    if (!SSL_set_tlsext_host_name(s.native_handle(), target.host.c_str()))
      co_return gemini::error(errc::tls, "cannot set SNI host name");
    if (opts_.tls.verify_peer) {
      boost::system::error_code vec;
      s.set_verify_callback(asio::ssl::host_name_verification(target.host), vec);
    }
    auto [hec] = co_await s.async_handshake(asio::ssl::stream_base::client,
                                            asio::as_tuple(asio::use_awaitable));
    if (hec) {
      auto e = detail::io_error(hec, lim, "TLS handshake");
      if (e.code == errc::transport && hec.category() == asio::error::get_ssl_category())
        e.code = errc::tls;
      co_return e;
    }
    co_return std::nullopt;
  }

  /// HTTP CONNECT through a proxy to `target`.
  asio::awaitable<std::optional<gemini::error>> tunnel(beast::tcp_stream& tcp, const origin& target,
                                                       const attempt_limits& lim) {
    std::string authority;  // CONNECT's authority-form always has the port (RFC 9110 9.3.6)
    target.append_host_port(authority, /*with_default_port=*/true);
    http::request<http::empty_body> req{http::verb::connect, authority, 11};
    req.set(http::field::host, authority);
    req.set(http::field::user_agent, opts_.user_agent);
    if (!opts_.proxy->authorization.empty())
      req.set(http::field::proxy_authorization, opts_.proxy->authorization);
    auto [wec, wn] = co_await http::async_write(tcp, req, asio::as_tuple(asio::use_awaitable));
    (void)wn;
    if (wec) co_return detail::io_error(wec, lim, "proxy CONNECT");
    beast::flat_buffer buf;
    http::response_parser<http::empty_body> p;
    p.skip(true);  // a 2xx answer to CONNECT has no body
    auto [rec, rn] =
        co_await http::async_read_header(tcp, buf, p, asio::as_tuple(asio::use_awaitable));
    (void)rn;
    if (rec) co_return detail::io_error(rec, lim, "proxy CONNECT response");
    if (p.get().result_int() / 100 != 2)
      co_return gemini::error(errc::transport, "proxy refused CONNECT to " + authority + ": HTTP " +
                                                   std::to_string(p.get().result_int()));
    if (buf.size() != 0)
      co_return gemini::error(errc::transport, "proxy sent data before the tunnel opened");
    co_return std::nullopt;
  }

  /// Writes the formatted head and the body in one gathered write.
  static auto write_request(detail::connection& c, const std::string& head,
                            const std::string& body) {
    std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(body)};
    return c.on_stream(
        [&](auto& s) { return asio::async_write(s, bufs, asio::as_tuple(asio::use_awaitable)); });
  }

  template <class Parser>
  asio::awaitable<std::optional<gemini::error>> write_and_read_header(
      detail::connection& c, const std::string& head, const std::string& body,
      const attempt_limits& lim, Parser& parser, bool& got_bytes) {
    detail::watchdog::watch w(watchdog_, c, detail::attempt_end(lim));
    boost::system::error_code ec;
    std::size_t n = 0;
    std::tie(ec, n) = co_await write_request(c, head, body);
    if (ec) co_return detail::io_error(w.reason(ec), lim, "write request");
    std::tie(ec, n) = co_await c.on_stream([&](auto& s) {
      return http::async_read_header(s, c.buffer(), parser, asio::as_tuple(asio::use_awaitable));
    });
    got_bytes = parser.got_some() || c.buffer().size() != 0;
    if (ec) co_return detail::io_error(w.reason(ec), lim, "read response header");
    co_return std::nullopt;
  }

  asio::awaitable<exchange_outcome> exchange(detail::connection& c, const std::string& head,
                                             const std::string& body, const attempt_limits& lim) {
    exchange_outcome out;
    http::response_parser<http::string_body> parser;
    parser.body_limit(opts_.pool.max_response_bytes);
    // Write, then one read of the whole response (header and body).
    detail::watchdog::watch w(watchdog_, c, detail::attempt_end(lim));
    boost::system::error_code ec;
    std::size_t n = 0;
    std::tie(ec, n) = co_await write_request(c, head, body);
    if (ec) {
      out.err = detail::io_error(w.reason(ec), lim, "write request");
      co_return out;
    }
    std::tie(ec, n) = co_await c.on_stream([&](auto& s) {
      return http::async_read(s, c.buffer(), parser, asio::as_tuple(asio::use_awaitable));
    });
    out.got_bytes = parser.got_some() || c.buffer().size() != 0;
    ec = w.reason(ec);
    if (ec) {
      if (ec == http::error::body_limit) {
        out.err = gemini::error(errc::payload_too_large, "response body over the limit");
      } else if (!parser.is_header_done()) {
        out.err = detail::io_error(ec, lim, "read response header");
      } else {
        out.err = detail::io_error(ec, lim, "read response body");
        if (out.err.code == errc::transport)
          out.err.message += " (the connection closed in the middle of the response)";
      }
      if (parser.is_header_done()) out.got_bytes = true;
      co_return out;
    }
    auto& msg = parser.get();
    out.keep_alive = msg.keep_alive();
    http_response r;
    r.status = static_cast<int>(msg.result_int());
    r.headers = detail::copy_headers(msg.base());
    r.body = std::move(msg.body());
    out.response = std::move(r);
    co_return out;
  }

  executor_type ex_;
  https_options opts_;
  asio::ssl::context ssl_;
  std::optional<gemini::error> config_error_;
  bool system_store_loaded_ = false;
  std::map<origin, origin_pool, detail::origin_less> pools_;
  transport_stats stats_;
  detail::watchdog watchdog_{ex_};
};

inline void response_stream::finish() {
  if (owner_ && conn_) owner_->release(std::move(conn_), parser_->keep_alive());
}

inline response_stream::~response_stream() {
  if (!owner_ || !conn_) return;
  conn_->close();  // not read to the end: the connection cannot be reused
  owner_->done_with(conn_->origin());
}

inline asio::awaitable<result<std::size_t>> response_stream::read_some(std::string& out) {
  if (done_ || !conn_) co_return std::size_t{0};
  std::array<char, 16384> buf;
  for (;;) {
    auto& body = parser_->get().body();
    body.data = buf.data();
    body.size = buf.size();
    boost::system::error_code ec;
    std::size_t n = 0;
    {
      detail::watchdog::watch w(owner_->watchdog_, *conn_, detail::attempt_end(limits_));
      std::tie(ec, n) = co_await conn_->on_stream([&](auto& s) {
        return http::async_read_some(s, conn_->buffer(), *parser_,
                                     asio::as_tuple(asio::use_awaitable));
      });
      ec = w.reason(ec);
    }
    if (ec == http::error::need_buffer) ec = {};
    std::size_t got = buf.size() - parser_->get().body().size;
    if (got > max_bytes_ - std::min(received_, max_bytes_)) {
      bool error_body = status_ / 100 != 2;
      gemini::error e(errc::payload_too_large,
                      std::string(error_body ? "HTTP " + std::to_string(status_) + " error body"
                                             : std::string("response stream")) +
                          " over the limit of " + std::to_string(max_bytes_) + " bytes (" +
                          (error_body ? "pool_options::max_error_body_bytes"
                                      : "pool_options::max_stream_bytes") +
                          ")");
      received_ = max_bytes_;
      conn_->close();  // the rest is never read: the connection cannot be reused
      owner_->done_with(conn_->origin());
      conn_.reset();
      co_return e;
    }
    received_ += got;
    out.append(buf.data(), got);
    if (ec) {
      auto e = detail::io_error(ec, limits_, "read response stream");
      if (ec == http::error::partial_message || ec == asio::error::eof)
        e = gemini::error(errc::truncated_stream, "the connection closed mid-stream");
      conn_->close();
      owner_->done_with(conn_->origin());
      conn_.reset();
      co_return e;
    }
    if (parser_->is_done()) {
      done_ = true;
      finish();
      co_return got;
    }
    if (got != 0) co_return got;
  }
}

}  // namespace transport
}  // namespace v1
}  // namespace gemini

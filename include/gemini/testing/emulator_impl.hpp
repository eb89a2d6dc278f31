// gemini-cxx — testing::emulator's implementation: the HTTP(S) server, its sessions and
// the forwarding members of the emulator class declared in emulator.hpp.
//
// Compiled once, into the gemini::testing library (CMake generates its one source file:
// `#include <gemini/testing/emulator_impl.hpp>`), so that a test or example that uses the
// emulator does not compile Beast's server side, the service and its JSON in its own TU.
// Without that library, define GEMINI_TESTING_HEADER_ONLY before including emulator.hpp.
#pragma once

#include <gemini/testing/certificates.hpp>
#include <gemini/testing/detail/emulator_options.hpp>
#include <gemini/testing/detail/emulator_service.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace testing {

class emulator;

namespace detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

/// What the server knows about a live connection (type-erased over plain / TLS).
class session_base {
 public:
  virtual ~session_base() = default;
  /// Closes the connection and cancels its timers (runs on the session's strand).
  virtual void close() = 0;
  /// Closes the connection only if it is waiting for a new request; reports whether it did.
  virtual void close_if_idle(std::function<void(bool)> done) = 0;
};

/// Shared by the server and its sessions; outlives every session.
struct server_state {
  explicit server_state(const emulator_options& o) : svc(o) {}

  service svc;
  std::atomic<std::size_t> connections{0};
  std::mutex mu;
  std::condition_variable cv;
  std::map<std::uint64_t, std::weak_ptr<session_base>> sessions;
  std::uint64_t next_id = 0;
  bool stopping = false;

  /// Registers a new session; false when the server is stopping.
  bool add(std::uint64_t& id, std::weak_ptr<session_base> s) {
    std::lock_guard lk(mu);
    if (stopping) return false;
    id = ++next_id;
    sessions.emplace(id, std::move(s));
    return true;
  }
  void remove(std::uint64_t id) {
    std::lock_guard lk(mu);
    sessions.erase(id);
    cv.notify_all();
  }
  std::vector<std::shared_ptr<session_base>> live() {
    std::lock_guard lk(mu);
    std::vector<std::shared_ptr<session_base>> v;
    for (auto& kv : sessions)
      if (auto p = kv.second.lock()) v.push_back(std::move(p));
    return v;
  }
};

template <class Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>> {
 public:
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

  template <class... Args>
  session(server_state& st, Args&&... args)
      : state_(st), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {}

  ~session() override {
    if (id_ != 0) state_.remove(id_);
  }

  bool enroll() { return state_.add(id_, this->weak_from_this()); }
  auto get_executor() { return stream_.get_executor(); }

  void close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->do_close(); });
  }

  void close_if_idle(std::function<void(bool)> done) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), done = std::move(done)] {
      if (self->closed_) {
        done(false);
      } else if (self->idle_) {
        self->do_close();
        done(true);
      } else if (self->finishing_) {
        // The last bytes of a response are being written: close as soon as the
        // connection returns to waiting (the client may already have the response).
        self->close_at_idle_ = std::move(done);
      } else {
        done(false);
      }
    });
  }

  /// The connection's coroutine. Takes ownership of the session.
  static asio::awaitable<void> run(std::shared_ptr<session> s) {
    using asio::as_tuple;
    using asio::use_awaitable;
    auto& low = beast::get_lowest_layer(s->stream_);
    if constexpr (is_tls) {
      low.expires_after(std::chrono::seconds(10));
      auto [ec] = co_await s->stream_.async_handshake(asio::ssl::stream_base::server,
                                                      as_tuple(use_awaitable));
      if (ec || s->closed_) {
        s->do_close();
        co_return;
      }
      low.expires_never();
    }
    for (;;) {
      s->finishing_ = false;
      if (s->close_at_idle_) break;
      if (s->closed_) break;
      // Idle: wait for the first bytes of the next request (close_idle_connections()
      // closes connections in this state).
      if (s->buffer_.size() == 0) {
        s->idle_ = true;
        auto [ec, n] =
            co_await s->stream_.async_read_some(s->buffer_.prepare(16384), as_tuple(use_awaitable));
        s->idle_ = false;
        if (ec || s->closed_) break;
        s->buffer_.commit(n);
      }
      http::request_parser<http::string_body> parser;
      parser.body_limit(64u << 20);
      parser.header_limit(64u << 10);
      {
        auto [ec, n] = co_await http::async_read_header(s->stream_, s->buffer_, parser,
                                                        as_tuple(use_awaitable));
        (void)n;
        if (ec || s->closed_) break;
      }
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, 11};
        auto [ec, n] = co_await http::async_write(s->stream_, cont, as_tuple(use_awaitable));
        (void)n;
        if (ec || s->closed_) break;
      }
      if (!parser.is_done()) {
        auto [ec, n] =
            co_await http::async_read(s->stream_, s->buffer_, parser, as_tuple(use_awaitable));
        (void)n;
        if (ec || s->closed_) break;
      }
      auto req = parser.release();
      std::vector<std::pair<std::string, std::string>> headers;
      for (auto const& f : req)
        headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
      bool keep = req.keep_alive();
      reply r = s->state_.svc.handle(std::string(req.method_string()), std::string(req.target()),
                                     std::move(headers), std::move(req.body()));
      latency_options lat = r.latency;

      if (r.kind == reply::mode::stall) {
        // Never answer: wait until the peer goes away or the emulator stops.
        std::array<char, 512> scratch{};
        for (;;) {
          auto [ec, n] =
              co_await s->stream_.async_read_some(asio::buffer(scratch), as_tuple(use_awaitable));
          (void)n;
          if (ec || s->closed_) break;
        }
        break;
      }
      if (r.kind == reply::mode::reset) {
        // Optionally still wait the first-byte latency, then RST.
        bool ok = co_await s->delay(lat.first_byte);
        (void)ok;
        s->reset();
        break;
      }
      auto first = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          lat.first_byte + lat.per_token * static_cast<long>(r.tokens));
      bool waited = co_await s->delay(first);
      if (!waited) break;

      if (r.kind == reply::mode::full) {
        http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
        for (auto& h : r.headers) res.set(h.first, h.second);
        res.keep_alive(keep);
        res.body() = std::move(r.body);
        res.prepare_payload();
        s->finishing_ = true;
        auto [ec, n] = co_await http::async_write(s->stream_, res, as_tuple(use_awaitable));
        (void)n;
        if (ec || s->closed_) break;
      } else if (r.kind == reply::mode::cut_body) {
        http::response<http::string_body> res{static_cast<http::status>(r.status), 11};
        for (auto& h : r.headers) res.set(h.first, h.second);
        res.keep_alive(keep);
        res.body() = r.body;
        res.prepare_payload();
        http::response_serializer<http::string_body> sr{res};
        auto [ec, n] = co_await http::async_write_header(s->stream_, sr, as_tuple(use_awaitable));
        (void)n;
        if (!ec && !s->closed_) {
          auto [ec2, n2] = co_await asio::async_write(
              s->stream_, asio::buffer(r.body.data(), r.body.size() / 2), as_tuple(use_awaitable));
          (void)ec2;
          (void)n2;
        }
        break;  // then close
      } else {  // stream
        http::response<http::empty_body> res{static_cast<http::status>(r.status), 11};
        for (auto& h : r.headers) res.set(h.first, h.second);
        res.keep_alive(keep);
        res.chunked(true);
        http::response_serializer<http::empty_body> sr{res};
        {
          auto [ec, n] = co_await http::async_write_header(s->stream_, sr, as_tuple(use_awaitable));
          (void)n;
          if (ec || s->closed_) break;
        }
        bool failed = false;
        for (std::size_t i = 0; i < r.chunks.size() && !failed; ++i) {
          latency_options now = s->state_.svc.latency();
          auto d = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
              (i > 0 ? now.per_chunk : std::chrono::milliseconds(0)) +
              now.per_token * static_cast<long>(i < r.chunk_tokens.size() ? r.chunk_tokens[i] : 0));
          bool ok = co_await s->delay(d);
          if (!ok) {
            failed = true;
            break;
          }
          auto [ec, n] = co_await asio::async_write(
              s->stream_, http::make_chunk(asio::buffer(r.chunks[i])), as_tuple(use_awaitable));
          (void)n;
          if (ec || s->closed_) failed = true;
        }
        if (failed || r.truncate) break;
        s->finishing_ = true;
        auto [ec, n] = co_await asio::async_write(s->stream_, http::make_chunk_last(),
                                                  as_tuple(use_awaitable));
        (void)n;
        if (ec || s->closed_) break;
      }
      if (!keep) {
        co_await s->graceful_close();
        break;
      }
    }
    s->do_close();
    if (s->close_at_idle_) {
      auto done = std::move(s->close_at_idle_);
      s->close_at_idle_ = nullptr;
      done(true);
    }
  }

 private:
  /// Waits `d` on the session's timer; false when the session was closed meanwhile.
  asio::awaitable<bool> delay(std::chrono::steady_clock::duration d) {
    if (closed_) co_return false;
    if (d.count() <= 0) co_return true;
    timer_.expires_after(d);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    (void)ec;
    co_return !closed_;
  }

  asio::awaitable<void> graceful_close() {
    if constexpr (is_tls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(1));
      auto [ec] = co_await stream_.async_shutdown(asio::as_tuple(asio::use_awaitable));
      (void)ec;
    } else {
      boost::system::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
    do_close();
  }

  void reset() {
    boost::system::error_code ec;
    auto& sock = beast::get_lowest_layer(stream_).socket();
    sock.set_option(asio::socket_base::linger(true, 0), ec);
    sock.close(ec);
    closed_ = true;
    timer_.cancel();
  }

  void do_close() {
    closed_ = true;
    timer_.cancel();
    boost::system::error_code ec;
    auto& sock = beast::get_lowest_layer(stream_).socket();
    if (sock.is_open()) {
      sock.shutdown(tcp::socket::shutdown_both, ec);
      sock.close(ec);
    }
  }

  server_state& state_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::uint64_t id_ = 0;
  bool idle_ = false;                        // waiting for the first byte of a request
  bool finishing_ = false;                   // writing the last bytes of a response
  std::function<void(bool)> close_at_idle_;  // close_idle_connections() waits for this
  bool closed_ = false;
};

/// Completion handler of every coroutine the emulator spawns: logs, never swallows silently.
struct log_exception {
  const char* what;
  void operator()(std::exception_ptr e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      std::cerr << "gemini::testing::emulator: " << what << " failed: " << x.what() << '\n';
    } catch (...) {
      std::cerr << "gemini::testing::emulator: " << what << " failed\n";
    }
  }
};

/// The server behind testing::emulator (see emulator.hpp).
class emulator_server {
 public:
  explicit emulator_server(emulator_options options)
      : options_(std::move(options)),
        state_(std::make_unique<server_state>(options_)),
        ioc_(static_cast<int>(options_.threads == 0 ? 1 : options_.threads)),
        acceptor_(asio::make_strand(ioc_)),
        work_(ioc_.get_executor()) {
    if (options_.tls) {
      certs_ = make_test_certificates(options_.tls_host);
      ssl_.emplace(asio::ssl::context::tls_server);
      ssl_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      SSL_CTX_set_min_proto_version(ssl_->native_handle(), TLS1_2_VERSION);
      ssl_->use_certificate_chain(asio::buffer(certs_.certificate_pem));
      ssl_->use_private_key(asio::buffer(certs_.private_key_pem), asio::ssl::context::pem);
    }
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), options_.port);
    acceptor_.open(ep.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(ep);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(acceptor_.get_executor(), accept_loop(this), log_exception{"accept loop"});
    std::size_t n = options_.threads == 0 ? 1 : options_.threads;
    for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  emulator_server(const emulator_server&) = delete;
  emulator_server& operator=(const emulator_server&) = delete;

  ~emulator_server() { stop(); }

  /// Closes the listener and every connection (stalled, streaming or idle), cancels all
  /// timers and joins the server threads. Idempotent. Not from a server thread.
  void stop() {
    std::lock_guard stop_lock(stop_mu_);
    if (stopped_) return;
    stopped_ = true;
    {
      std::lock_guard lk(state_->mu);
      state_->stopping = true;
    }
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    for (auto& s : state_->live()) s->close();
    work_.reset();
    {
      std::unique_lock lk(state_->mu);
      state_->cv.wait_for(lk, std::chrono::seconds(5), [&] { return state_->sessions.empty(); });
    }
    bool clean = false;
    {
      std::lock_guard lk(state_->mu);
      clean = state_->sessions.empty();
    }
    if (!clean) ioc_.stop();  // last resort; remaining frames die with the io_context
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  std::uint16_t port() const noexcept { return port_; }
  std::string host() const { return "127.0.0.1"; }
  /// "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT" (no version path, no slash).
  std::string base_url() const {
    return std::string(options_.tls ? "https://" : "http://") + host() + ':' +
           std::to_string(port_);
  }
  bool tls() const noexcept { return options_.tls; }
  const emulator_options& options() const noexcept { return options_; }

  /// TLS mode: the PEM of the throw-away CA that issued the server certificate (empty
  /// otherwise). Lives as long as the emulator.
  const std::string& ca_certificate_pem() const noexcept { return certs_.ca_pem; }
  /// TLS mode: the server certificate and key as well.
  const test_certificates& certificates() const noexcept { return certs_; }

  /// Scripted faults, FIFO: the next request whose model matches `f.model` (empty = any)
  /// and to which the kind applies gets the fault. Content faults (safety_*, max_tokens)
  /// apply only to generate/stream/chat completions; no fault applies to models.list /
  /// models.get.
  void push_fault(fault f) { state_->svc.push_fault(std::move(f)); }
  void push_fault(fault_kind k) { push_fault(fault{k, std::chrono::milliseconds(7000), {}}); }
  void clear_faults() { state_->svc.clear_faults(); }
  std::size_t pending_faults() const { return state_->svc.pending_faults(); }

  /// Requests read (every request with a complete HTTP header and body, whatever the
  /// answer) and TCP connections accepted.
  std::size_t requests() const noexcept { return state_->svc.requests(); }
  std::size_t connections() const noexcept { return state_->connections.load(); }
  /// Per endpoint: "generateContent", "streamGenerateContent", "countTokens",
  /// "embedContent", "batchEmbedContents", "models.list", "models.get", "chat.completions",
  /// "chat.completions.stream" (both chat paths, by the body's `stream`), "other".
  std::size_t requests(std::string_view method) const noexcept {
    return state_->svc.requests(method);
  }
  /// Connections open right now.
  std::size_t open_connections() const {
    std::lock_guard lk(state_->mu);
    return state_->sessions.size();
  }
  void reset_counters() noexcept {
    state_->svc.reset_counters();
    state_->connections = 0;
  }

  /// Changes the latency for requests read from now on (and the chunks of streams that
  /// are already running). Thread-safe.
  void set_latency(latency_options l) { state_->svc.set_latency(l); }

  /// Closes (server side, FIN) every connection that is waiting for its next request,
  /// e.g. kept-alive connections in a client's pool. Returns how many it closed, after
  /// they are closed. Connections busy with a request are left alone.
  std::size_t close_idle_connections() {
    auto live = state_->live();
    if (live.empty() || stopped_) return 0;
    auto count = std::make_shared<std::atomic<std::size_t>>(0);
    auto left = std::make_shared<std::atomic<std::size_t>>(live.size());
    auto done = std::make_shared<std::promise<void>>();
    auto fut = done->get_future();
    for (auto& s : live)
      s->close_if_idle([count, left, done](bool closed) {
        if (closed) count->fetch_add(1);
        if (left->fetch_sub(1) == 1) done->set_value();
      });
    fut.wait_for(std::chrono::seconds(5));
    return count->load();
  }

  /// The last request read (method, target, headers, body).
  recorded_request last_request() const { return state_->svc.last_request(); }

 private:
  static asio::awaitable<void> accept_loop(emulator_server* self) {
    for (;;) {
      auto [ec, sock] = co_await self->acceptor_.async_accept(asio::make_strand(self->ioc_),
                                                              asio::as_tuple(asio::use_awaitable));
      if (ec) {
        if (ec == asio::error::operation_aborted || !self->acceptor_.is_open()) co_return;
        continue;  // e.g. too many open files: keep serving
      }
      self->state_->connections.fetch_add(1);
      boost::system::error_code opt_ec;
      sock.set_option(tcp::no_delay(true), opt_ec);  // small SSE chunks: no Nagle
      if (self->ssl_) {
        using stream_t = beast::ssl_stream<beast::tcp_stream>;
        self->start(
            std::make_shared<session<stream_t>>(*self->state_, std::move(sock), *self->ssl_));
      } else {
        self->start(std::make_shared<session<beast::tcp_stream>>(*self->state_, std::move(sock)));
      }
    }
  }

  template <class Session>
  void start(std::shared_ptr<Session> s) {
    if (!s->enroll()) return;  // stopping: the socket closes with the session
    auto ex = s->get_executor();
    asio::co_spawn(ex, Session::run(std::move(s)), log_exception{"connection"});
  }

  // Declaration order is destruction order in reverse: the io_context (and with it any
  // leftover coroutine frame) goes before the TLS context and the shared state.
  emulator_options options_;
  std::unique_ptr<server_state> state_;
  test_certificates certs_;
  std::optional<asio::ssl::context> ssl_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::uint16_t port_ = 0;
  std::mutex stop_mu_;
  std::atomic<bool> stopped_{false};
};

}  // namespace detail

// ---- emulator: each member forwards to the server ------------------------------------

GEMINI_TESTING_INLINE emulator::emulator(emulator_options options)
    : impl_(std::make_unique<detail::emulator_server>(std::move(options))) {}
GEMINI_TESTING_INLINE emulator::~emulator() = default;
GEMINI_TESTING_INLINE void emulator::stop() { impl_->stop(); }
GEMINI_TESTING_INLINE std::uint16_t emulator::port() const noexcept { return impl_->port(); }
GEMINI_TESTING_INLINE std::string emulator::host() const { return impl_->host(); }
GEMINI_TESTING_INLINE std::string emulator::base_url() const { return impl_->base_url(); }
GEMINI_TESTING_INLINE bool emulator::tls() const noexcept { return impl_->tls(); }
GEMINI_TESTING_INLINE const emulator_options& emulator::options() const noexcept {
  return impl_->options();
}
GEMINI_TESTING_INLINE const std::string& emulator::ca_certificate_pem() const noexcept {
  return impl_->ca_certificate_pem();
}
GEMINI_TESTING_INLINE const test_certificates& emulator::certificates() const noexcept {
  return impl_->certificates();
}
GEMINI_TESTING_INLINE void emulator::push_fault(fault f) { impl_->push_fault(std::move(f)); }
GEMINI_TESTING_INLINE void emulator::push_fault(fault_kind k) { impl_->push_fault(k); }
GEMINI_TESTING_INLINE void emulator::clear_faults() { impl_->clear_faults(); }
GEMINI_TESTING_INLINE std::size_t emulator::pending_faults() const {
  return impl_->pending_faults();
}
GEMINI_TESTING_INLINE std::size_t emulator::requests() const noexcept { return impl_->requests(); }
GEMINI_TESTING_INLINE std::size_t emulator::connections() const noexcept {
  return impl_->connections();
}
GEMINI_TESTING_INLINE std::size_t emulator::requests(std::string_view method) const noexcept {
  return impl_->requests(method);
}
GEMINI_TESTING_INLINE std::size_t emulator::open_connections() const {
  return impl_->open_connections();
}
GEMINI_TESTING_INLINE void emulator::reset_counters() noexcept { impl_->reset_counters(); }
GEMINI_TESTING_INLINE void emulator::set_latency(latency_options l) { impl_->set_latency(l); }
GEMINI_TESTING_INLINE std::size_t emulator::close_idle_connections() {
  return impl_->close_idle_connections();
}
GEMINI_TESTING_INLINE recorded_request emulator::last_request() const {
  return impl_->last_request();
}

}  // namespace testing
}  // namespace v1
}  // namespace gemini

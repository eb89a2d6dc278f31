// gemini-cxx — serves a registry at GET /metrics for a Prometheus server to scrape
// (Boost.Beast; include it where the HTTP server belongs, not in pure-logic code).
//
//   gemini::observe::metrics_server server(ioc.get_executor(), client.observer().metrics(),
//                                          {.port = 9464});
//   // Prometheus: scrape_configs: - targets: ['127.0.0.1:9464']
//
// The format follows the scraper's Accept header: OpenMetrics 1.0 when it asks for
// application/openmetrics-text, else the text format 0.0.4. Anything but GET /metrics is
// 404 (405 for another method on /metrics). Connections are kept alive; one is closed after
// `idle` without a request. Binds to 127.0.0.1 unless told otherwise.
#pragma once

#include <gemini/observe/prometheus.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <string>

namespace gemini {
inline namespace v1 {
namespace observe {

struct metrics_server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;  ///< 0: any free port (port() tells)
  std::chrono::seconds idle{60};
};

class metrics_server {
 public:
  metrics_server(boost::asio::any_io_executor ex, std::shared_ptr<const registry> reg,
                 metrics_server_options o = {})
      : s_(std::make_shared<state>(ex, std::move(reg), std::move(o))) {
    namespace ip = boost::asio::ip;
    ip::tcp::endpoint ep(ip::make_address(s_->o.address), s_->o.port);
    s_->acceptor.open(ep.protocol());
    s_->acceptor.set_option(ip::tcp::acceptor::reuse_address(true));
    s_->acceptor.bind(ep);
    s_->acceptor.listen();
    boost::asio::co_spawn(ex, accept_loop(s_), boost::asio::detached);
  }
  metrics_server(const metrics_server&) = delete;
  metrics_server& operator=(const metrics_server&) = delete;
  ~metrics_server() { stop(); }

  std::uint16_t port() const { return s_->acceptor.local_endpoint().port(); }
  /// Scrapes answered so far.
  std::uint64_t scrapes() const noexcept { return s_->scrapes; }

  /// Stops accepting and closes every connection. Idempotent; from the server's executor.
  void stop() {
    if (!s_ || s_->stopped) return;
    s_->stopped = true;
    boost::system::error_code ec;
    s_->acceptor.close(ec);
    for (auto* c : s_->open) c->socket().close(ec);
  }

 private:
  struct state {
    state(boost::asio::any_io_executor ex, std::shared_ptr<const registry> r,
          metrics_server_options opts)
        : reg(std::move(r)), o(std::move(opts)), acceptor(ex) {}
    std::shared_ptr<const registry> reg;
    metrics_server_options o;
    boost::asio::ip::tcp::acceptor acceptor;
    std::list<boost::beast::tcp_stream*> open;
    std::uint64_t scrapes = 0;
    bool stopped = false;
  };

  static boost::asio::awaitable<void> accept_loop(std::shared_ptr<state> s) {
    for (;;) {
      auto [ec, sock] =
          co_await s->acceptor.async_accept(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) {
        if (s->stopped || ec == boost::asio::error::operation_aborted) co_return;
        // e.g. too many open files: wait a little (not a busy loop), keep serving the others
        boost::asio::steady_timer t(s->acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        continue;
      }
      boost::asio::co_spawn(s->acceptor.get_executor(), session(s, std::move(sock)),
                            boost::asio::detached);
    }
  }

  static boost::asio::awaitable<void> session(std::shared_ptr<state> s,
                                              boost::asio::ip::tcp::socket sock) {
    namespace http = boost::beast::http;
    boost::beast::tcp_stream stream(std::move(sock));
    auto me = s->open.insert(s->open.end(), &stream);
    boost::beast::flat_buffer buf;
    for (;;) {
      http::request<http::string_body> req;
      stream.expires_after(s->o.idle);
      auto [rec, n] = co_await http::async_read(stream, buf, req,
                                                boost::asio::as_tuple(boost::asio::use_awaitable));
      if (rec) break;
      http::response<http::string_body> res;
      res.version(req.version());
      res.keep_alive(req.keep_alive());
      const std::string_view target(req.target().data(), req.target().size());
      const bool metrics = target == "/metrics" || target.starts_with("/metrics?");
      if (!metrics) {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain");
        res.body() = "not found; metrics are at /metrics\n";
      } else if (req.method() != http::verb::get && req.method() != http::verb::head) {
        res.result(http::status::method_not_allowed);
        res.set(http::field::allow, "GET, HEAD");
      } else {
        const auto accept = req[http::field::accept];
        const auto fmt =
            std::string_view(accept.data(), accept.size()).find("application/openmetrics-text") !=
                    std::string_view::npos
                ? exposition::openmetrics
                : exposition::prometheus;
        res.result(http::status::ok);
        res.set(http::field::content_type, content_type(fmt));
        if (req.method() == http::verb::get) write_exposition(*s->reg, res.body(), fmt);
        ++s->scrapes;
      }
      res.prepare_payload();
      stream.expires_after(s->o.idle);
      auto [wec, w] = co_await http::async_write(stream, res,
                                                 boost::asio::as_tuple(boost::asio::use_awaitable));
      if (wec || !res.keep_alive()) break;
    }
    boost::system::error_code ec;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    s->open.erase(me);
  }

  std::shared_ptr<state> s_;
};

}  // namespace observe
}  // namespace v1
}  // namespace gemini

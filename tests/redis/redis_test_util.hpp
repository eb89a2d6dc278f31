// Helpers shared by the Redis tests: run an awaitable to completion (bounded), and tiny
// fake servers for the failures a real redis-server will not produce on demand.
#pragma once

#include <gemini/redis/connection.hpp>

#include "redis/redis_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gemini::testing {

namespace asio = boost::asio;
using namespace std::chrono_literals;

template <class T>
asio::awaitable<void> store(asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

inline void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

/// Runs `ioc` until `op` completes; fails the test if that takes longer than `limit` (so a
/// hang is a failure, not a stuck test run).
template <class T>
T run(asio::io_context& ioc, asio::awaitable<T> op,
      std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  std::optional<T> out;
  asio::co_spawn(ioc, store(std::move(op), &out), rethrow);
  ioc.restart();
  auto until = std::chrono::steady_clock::now() + limit;
  while (!out && std::chrono::steady_clock::now() < until && !ioc.stopped())
    ioc.run_one_until(until);
  REQUIRE(out);
  return std::move(*out);
}

inline void run(asio::io_context& ioc, asio::awaitable<void> op,
                std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  bool done = false;
  asio::co_spawn(ioc, std::move(op), [&done](std::exception_ptr e) {
    done = true;
    rethrow(e);
  });
  ioc.restart();
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < until && !ioc.stopped())
    ioc.run_one_until(until);
  REQUIRE(done);
}

/// Runs `ioc` until `done()` is true (or `limit` passes); returns done().
template <class Pred>
bool drive(asio::io_context& ioc, Pred done,
           std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  ioc.restart();
  auto until = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < until && !ioc.stopped())
    ioc.run_one_until(until);
  return done();
}

/// Waits on the io_context's clock for `d` (a few milliseconds in tests).
inline asio::awaitable<void> pause_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

inline redis::options options_for(const redis_server& srv) {
  redis::options o;
  o.port = srv.port();
  o.connect_timeout = 2s;
  o.command_timeout = 5s;
  o.reconnect_backoff_initial = 20ms;
  o.reconnect_backoff_max = 80ms;
  return o;
}

/// A TCP listener on 127.0.0.1 that accepts connections and then either stays silent or
/// answers anything it reads with `answer` (e.g. bytes that are not RESP).
class fake_server {
 public:
  fake_server(asio::io_context& ioc, std::string answer)
      : acceptor_(ioc, asio::ip::tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
        answer_(std::make_shared<std::string>(std::move(answer))) {
    accept();
  }
  ~fake_server() {
    boost::system::error_code ec;
    acceptor_.close(ec);
    for (auto& s : *peers_) s->close(ec);
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::size_t accepted() const { return *accepted_; }

 private:
  using socket_ptr = std::shared_ptr<asio::ip::tcp::socket>;
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      ++*accepted_;
      auto p = std::make_shared<asio::ip::tcp::socket>(std::move(s));
      peers_->push_back(p);
      if (!answer_->empty()) serve(p, answer_, std::make_shared<std::array<char, 4096>>());
      accept();
    });
  }
  static void serve(socket_ptr p, std::shared_ptr<std::string> answer,
                    std::shared_ptr<std::array<char, 4096>> buf) {
    p->async_read_some(
        asio::buffer(*buf), [p, answer, buf](boost::system::error_code ec, std::size_t) {
          if (ec) return;
          asio::async_write(*p, asio::buffer(*answer),
                            [p, answer, buf](boost::system::error_code wec, std::size_t) {
                              if (!wec) serve(p, answer, buf);
                            });
        });
  }

  asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<std::string> answer_;
  std::shared_ptr<std::vector<socket_ptr>> peers_ = std::make_shared<std::vector<socket_ptr>>();
  std::shared_ptr<std::size_t> accepted_ = std::make_shared<std::size_t>(0);
};

}  // namespace gemini::testing

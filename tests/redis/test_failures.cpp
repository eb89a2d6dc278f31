// gemini::redis::connection when things go wrong: the server dies and comes back, refuses
// connections, pauses, never answers, speaks something else; callers cancel. Every case
// completes in bounded time with a clear error, and the connection recovers.
#include <gemini/redis/connection.hpp>

#include "redis/redis_server.hpp"
#include "redis/redis_test_util.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <string>

namespace asio = boost::asio;
namespace redis = gemini::redis;
using gemini::errc;
using gemini::result;
using gemini::testing::drive;
using gemini::testing::fake_server;
using gemini::testing::options_for;
using gemini::testing::pause_for;
using gemini::testing::redis_server;
using gemini::testing::redis_server_options;
using gemini::testing::rethrow;
using gemini::testing::run;
using gemini::testing::store;
using namespace std::chrono_literals;

namespace {

using clock_type = std::chrono::steady_clock;
using outcome = std::optional<result<redis::reply>>;

redis::reply must(result<redis::reply> r) {
  if (!r) FAIL("redis command failed: " << r.error());
  return std::move(*r);
}

/// Polls INFO clients on `admin` until the server reports `n` blocked clients.
asio::awaitable<bool> wait_blocked(redis::connection* admin, int n) {
  std::string want = "blocked_clients:" + std::to_string(n) + "\r";
  for (int i = 0; i < 2000; ++i) {
    auto info = co_await admin->command("INFO", "clients");
    if (info && info->str().find(want) != std::string::npos) co_return true;
    co_await pause_for(2ms);
  }
  co_return false;
}

/// Retries PING until it succeeds (the connection waits out its back-off in between).
asio::awaitable<bool> until_ping(redis::connection* c, int tries) {
  for (int i = 0; i < tries; ++i) {
    auto r = co_await c->command("PING");
    if (r && r->is_status("PONG")) co_return true;
    co_await pause_for(5ms);
  }
  co_return false;
}

}  // namespace

TEST_CASE("server killed mid-test: pending and next commands fail fast, restart recovers",
          "[redis][server][failure]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_for(srv);
  o.command_timeout = 10s;  // the failures below must come from the dead socket, not this
  redis::connection c(ioc.get_executor(), o);
  redis::connection admin(ioc.get_executor(), options_for(srv));
  must(run(ioc, c.command({"SET", "k", "before"})));

  outcome blpop;
  asio::co_spawn(ioc, store(c.command({"BLPOP", "jobs", "0"}), &blpop), rethrow);
  REQUIRE(run(ioc, wait_blocked(&admin, 1)));
  auto t0 = clock_type::now();
  srv.kill();
  REQUIRE(drive(ioc, [&] { return blpop.has_value(); }));
  CHECK(clock_type::now() - t0 < 5s);
  REQUIRE_FALSE(*blpop);
  CHECK(blpop->error().code == errc::transport);
  CHECK(blpop->error().message.starts_with(
      "redis: connection to 127.0.0.1:" + std::to_string(srv.port()) + " lost"));
  CHECK(c.state() == redis::connection_state::disconnected);

  // The next command tries to connect: refused at once.
  auto refused = run(ioc, c.command({"GET", "k"}), 5s);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::transport);
  CHECK(refused.error().message.starts_with("redis: connect to 127.0.0.1:"));
  CHECK(c.state() == redis::connection_state::backoff);
  // While backing off, commands fail without touching the network.
  auto fast = run(ioc, c.command({"GET", "k"}), 5s);
  REQUIRE_FALSE(fast);
  CHECK(fast.error().code == errc::transport);
  CHECK(fast.error().message.find("back-off") != std::string::npos);
  CHECK(c.stats().fast_failures == 1);

  srv.restart();
  // An idle connection notices the restart by itself (peek before reuse) and reconnects.
  CHECK(must(run(ioc, admin.command({"PING"}))).is_status("PONG"));
  CHECK(admin.stats().connects == 2);
  // The backing-off connection recovers once its back-off has passed.
  REQUIRE(run(ioc, until_ping(&c, 200)));
  CHECK(c.state() == redis::connection_state::connected);
  CHECK(c.stats().connects == 2);
  CHECK(must(run(ioc, c.command({"GET", "k"}))).is_nil());  // a fresh server: no data
  CHECK(must(run(ioc, c.command({"SET", "k", "after"}))).is_status("OK"));
  CHECK(must(run(ioc, c.command({"GET", "k"}))) == redis::reply::make_string("after"));
}

TEST_CASE("connection refused: back-off fails fast, grows, and is bounded", "[redis][failure]") {
  asio::io_context ioc;
  redis::options o;
  o.port = redis_server::free_port();  // nothing listens there
  o.password = "never-shown-password";
  o.reconnect_backoff_initial = 60ms;
  o.reconnect_backoff_max = 200ms;
  redis::connection c(ioc.get_executor(), o);

  auto first = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(first);
  CHECK(first.error().code == errc::transport);
  CHECK(first.error().message.find("Connection refused") != std::string::npos);
  CHECK(c.stats().failures == 1);

  auto fast = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(fast);
  CHECK(fast.error().code == errc::transport);
  CHECK(fast.error().message.find("reconnect back-off") != std::string::npos);
  CHECK(fast.error().message.find("Connection refused") != std::string::npos);  // last error
  CHECK(c.stats().failures == 1);                                               // no new attempt
  CHECK(c.stats().fast_failures == 1);

  // After the back-off, one new attempt; it fails and the back-off doubles (120 ms).
  run(ioc, pause_for(65ms));
  auto second = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(second);
  CHECK(c.stats().failures == 2);
  auto fast2 = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(fast2);
  auto& m = fast2.error().message;
  auto at = m.find("next attempt in ");
  REQUIRE(at != std::string::npos);
  int ms = std::stoi(m.substr(at + 16));
  CHECK(ms > 60);
  CHECK(ms <= 120);
  CHECK(c.stats().fast_failures == 2);

  // The password appears in no message.
  for (auto* r : {&first, &fast, &second, &fast2})
    CHECK(r->error().what().find("never-shown-password") == std::string::npos);
  CHECK(c.stats().connects == 0);
}

TEST_CASE("cancellation completes the command, and later replies still match", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_for(srv);
  o.command_timeout = 10s;
  redis::connection c(ioc.get_executor(), o);
  redis::connection admin(ioc.get_executor(), options_for(srv));
  must(run(ioc, c.command({"SET", "mine", "my-value"})));

  asio::cancellation_signal cancel;
  outcome blpop;
  asio::co_spawn(ioc, store(c.command({"BLPOP", "jobs", "0"}), &blpop),
                 asio::bind_cancellation_slot(cancel.slot(), rethrow));
  REQUIRE(run(ioc, wait_blocked(&admin, 1)));
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(drive(
      ioc, [&] { return blpop.has_value(); }, 2s));
  REQUIRE_FALSE(*blpop);
  CHECK(blpop->error().code == errc::cancelled);
  CHECK(blpop->error().message.starts_with("redis: "));
  CHECK(c.stats().cancelled == 1);

  // The BLPOP is still blocked in the server. A GET queued behind it must get the GET's
  // reply, not the BLPOP's: the BLPOP reply is read and discarded.
  outcome get;
  asio::co_spawn(ioc, store(c.command({"GET", "mine"}), &get), rethrow);
  CHECK(must(run(ioc, admin.command({"RPUSH", "jobs", "job-1"}))).as_integer() == 1);
  REQUIRE(drive(ioc, [&] { return get.has_value(); }));
  REQUIRE(*get);
  CHECK(**get == redis::reply::make_string("my-value"));
  CHECK(must(run(ioc, admin.command({"LLEN", "jobs"}))).as_integer() == 0);  // BLPOP took it
  CHECK(c.stats().replies == c.stats().commands_sent);
  CHECK(c.stats().failures == 0);
  CHECK(c.stats().connects == 1);
}

TEST_CASE("a cancelled command's deadline still bounds the connection", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_for(srv);
  o.command_timeout = 100ms;
  redis::connection c(ioc.get_executor(), o);
  must(run(ioc, c.command({"PING"})));

  asio::cancellation_signal cancel;
  outcome blpop;
  asio::co_spawn(ioc, store(c.command({"BLPOP", "never", "0"}), &blpop),
                 asio::bind_cancellation_slot(cancel.slot(), rethrow));
  REQUIRE(drive(ioc, [&] { return c.stats().commands_sent == 2; }));
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(drive(
      ioc, [&] { return blpop.has_value(); }, 2s));
  CHECK(blpop->error().code == errc::cancelled);
  // Nobody waits any more, yet nothing hangs: at the deadline the connection is closed
  // and the io_context runs out of work.
  ioc.restart();
  ioc.run_for(5s);
  CHECK(ioc.stopped());
  CHECK(c.stats().timeouts == 1);
  CHECK(c.state() == redis::connection_state::disconnected);
  CHECK(must(run(ioc, c.command({"PING"}))).is_status("PONG"));
  CHECK(c.stats().connects == 2);
}

namespace {

/// Its wait is cancelled by the test; then, already cancelled, it calls command(). (With
/// Asio's default throw_if_cancelled(true) that co_await would throw before the call.)
asio::awaitable<void> cancelled_then_command(redis::connection* c, outcome* out) {
  co_await asio::this_coro::throw_if_cancelled(false);
  asio::steady_timer t(co_await asio::this_coro::executor, 10s);
  auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
  (void)ec;
  out->emplace(co_await c->command("SET", "k", "v"));
}

}  // namespace

TEST_CASE("a caller already cancelled does not send the command", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  redis::connection c(ioc.get_executor(), options_for(srv));
  asio::cancellation_signal cancel;
  outcome r;
  asio::co_spawn(ioc, cancelled_then_command(&c, &r),
                 asio::bind_cancellation_slot(cancel.slot(), rethrow));
  ioc.poll();  // runs up to the timer wait
  cancel.emit(asio::cancellation_type::terminal);
  REQUIRE(drive(
      ioc, [&] { return r.has_value(); }, 5s));
  REQUIRE_FALSE(*r);
  CHECK(r->error().code == errc::cancelled);
  CHECK(c.stats().commands_sent == 0);
  CHECK(c.stats().connects == 0);
  CHECK(must(run(ioc, c.command({"EXISTS", "k"}))).as_integer() == 0);
}

TEST_CASE("command timeout: a paused server fails pending commands, then recovers",
          "[redis][server][failure]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_for(srv);
  o.command_timeout = 50ms;
  redis::connection c(ioc.get_executor(), o);
  redis::connection admin(ioc.get_executor(), options_for(srv));
  must(run(ioc, c.command({"PING"})));

  CHECK(must(run(ioc, admin.command({"CLIENT", "PAUSE", "300", "ALL"}))).is_status("OK"));
  std::vector<outcome> out(3);
  for (std::size_t i = 0; i < out.size(); ++i)
    asio::co_spawn(ioc, store(c.command({"GET", "k" + std::to_string(i)}), &out[i]), rethrow);
  auto t0 = clock_type::now();
  REQUIRE(drive(
      ioc, [&] { return out[0] && out[1] && out[2]; }, 5s));
  CHECK(clock_type::now() - t0 < 250ms);  // well before the pause ends
  for (auto& r : out) {
    REQUIRE_FALSE(*r);
    CHECK(r->error().code == errc::upstream_timeout);
    CHECK(r->error().message.starts_with("redis: command timed out after 50 ms"));
  }
  CHECK(c.stats().timeouts == 1);
  CHECK(c.state() == redis::connection_state::disconnected);  // no back-off after a timeout

  // Commands keep timing out while the server is paused, then work again.
  REQUIRE(run(ioc, until_ping(&c, 400)));
  CHECK(c.stats().connects >= 2);
  CHECK(must(run(ioc, c.command({"SET", "k", "v"}))).is_status("OK"));
}

TEST_CASE("connect timeout: a server that accepts but never answers AUTH", "[redis][failure]") {
  asio::io_context ioc;
  fake_server silent(ioc, "");
  redis::options o;
  o.port = silent.port();
  o.password = "pw-not-in-messages";
  o.connect_timeout = 50ms;
  o.command_timeout = 5s;
  o.reconnect_backoff_initial = 1s;
  redis::connection c(ioc.get_executor(), o);
  auto t0 = clock_type::now();
  auto r = run(ioc, c.command({"PING"}), 5s);
  CHECK(clock_type::now() - t0 < 2s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::upstream_timeout);
  CHECK(r.error().message.starts_with("redis: connect to 127.0.0.1:"));
  CHECK(r.error().message.find("timed out after 50 ms") != std::string::npos);
  CHECK(r.error().what().find("pw-not-in-messages") == std::string::npos);
  CHECK(silent.accepted() == 1);
  CHECK(c.state() == redis::connection_state::backoff);
  auto fast = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(fast);
  CHECK(fast.error().code == errc::transport);
  CHECK(silent.accepted() == 1);
  CHECK(fast.error().what().find("pw-not-in-messages") == std::string::npos);
}

TEST_CASE("a peer that does not speak RESP is a protocol error", "[redis][failure]") {
  asio::io_context ioc;
  fake_server http(ioc, "HTTP/1.1 400 Bad Request\r\n\r\n");
  redis::options o;
  o.port = http.port();
  o.command_timeout = 5s;
  redis::connection c(ioc.get_executor(), o);
  auto r = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::malformed_response);
  CHECK(r.error().message.starts_with("redis: protocol error from 127.0.0.1:"));
  CHECK(c.state() == redis::connection_state::disconnected);
  auto again = run(ioc, c.command({"PING"}), 5s);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::malformed_response);
  CHECK(http.accepted() == 2);  // reconnected for the second command
}

TEST_CASE("close() and destruction complete pending commands with cancelled", "[redis][server]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_for(srv);
  o.command_timeout = 10s;
  redis::connection admin(ioc.get_executor(), options_for(srv));

  SECTION("close()") {
    redis::connection c(ioc.get_executor(), o);
    must(run(ioc, c.command({"PING"})));
    outcome blpop;
    asio::co_spawn(ioc, store(c.command({"BLPOP", "jobs", "0"}), &blpop), rethrow);
    REQUIRE(run(ioc, wait_blocked(&admin, 1)));
    c.close();
    REQUIRE(drive(
        ioc, [&] { return blpop.has_value(); }, 2s));
    REQUIRE_FALSE(*blpop);
    CHECK(blpop->error().code == errc::cancelled);
    CHECK(c.state() == redis::connection_state::disconnected);
    CHECK(must(run(ioc, c.command({"PING"}))).is_status("PONG"));
    CHECK(c.stats().connects == 2);
    CHECK(c.stats().failures == 0);
  }
  SECTION("destruction") {
    auto c = std::make_unique<redis::connection>(ioc.get_executor(), o);
    outcome blpop;
    asio::co_spawn(ioc, store(c->command({"BLPOP", "jobs", "0"}), &blpop), rethrow);
    REQUIRE(run(ioc, wait_blocked(&admin, 1)));
    c.reset();
    REQUIRE(drive(
        ioc, [&] { return blpop.has_value(); }, 2s));
    REQUIRE_FALSE(*blpop);
    CHECK(blpop->error().code == errc::cancelled);
    // The server sees the client go away.
    REQUIRE(run(ioc, wait_blocked(&admin, 0)));
  }
}

TEST_CASE("a failed connect is an error result and never an exception out of run()",
          "[redis][failure]") {
  asio::io_context ioc;
  redis::options o;
  o.port = redis_server::free_port();  // a closed loopback port
  o.reconnect_backoff_initial = 0ms;
  o.reconnect_backoff_max = 0ms;
  redis::connection c(ioc.get_executor(), o);
  for (int round = 0; round < 3; ++round) {
    std::optional<result<redis::reply>> got;
    std::exception_ptr escaped;
    asio::co_spawn(ioc, store(c.command({"PING"}), &got),
                   [&](std::exception_ptr e) { escaped = e; });
    ioc.restart();
    bool ran_normally = true;
    try {
      ioc.run();  // returns: nothing is left to do, nothing thrown
    } catch (...) {
      ran_normally = false;
    }
    CHECK(ran_normally);
    CHECK_FALSE(escaped);
    REQUIRE(got);
    REQUIRE_FALSE(*got);
    CHECK(got->error().code == errc::transport);
    CHECK(got->error().message.find("Connection refused") != std::string::npos);
  }
  CHECK(c.stats().connects == 0);
  CHECK(c.stats().failures == 3);
}

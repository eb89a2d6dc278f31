// https_transport's pool and limits against the emulator on loopback: a cancelled request
// never leaks its connection slot, the wait for a slot ends with the attempt timeout, and
// streamed bodies are bounded (max_stream_bytes, max_error_body_bytes).
#include <gemini/transport/https.hpp>

#include <gemini/testing/emulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>

namespace asio = boost::asio;
using namespace gemini;
using gemini::testing::emulator;
using gemini::testing::fault_kind;
using transport::attempt_limits;
using transport::http_request;
using transport::http_response;
using transport::https_transport;
using namespace std::chrono_literals;

namespace {

transport::https_options pool_of_one() {
  transport::https_options o;
  o.proxy = transport::proxy_settings{};  // never the environment's proxy
  o.pool.max_connections_per_origin = 1;
  return o;
}

http_request list_models(const emulator& emu) {
  http_request r;
  r.origin = {false, emu.host(), emu.port()};
  r.method = "GET";
  r.target = "/v1beta/models";
  r.headers = {{"x-goog-api-key", "test-key"}};
  return r;
}

http_request generate(const emulator& emu, bool stream) {
  http_request r;
  r.origin = {false, emu.host(), emu.port()};
  r.target = stream ? "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
                    : "/v1beta/models/gemini-2.5-flash:generateContent";
  r.body =
      R"({"contents":[{"role":"user","parts":[{"text":"Tell me a long story about pools"}]}]})";
  r.headers = {{"x-goog-api-key", "test-key"}};
  return r;
}

attempt_limits within(std::chrono::milliseconds timeout, bool deadline = true) {
  attempt_limits lim;
  lim.timeout = timeout;
  if (deadline) lim.deadline = std::chrono::steady_clock::now() + timeout;
  return lim;
}

template <class T>
asio::awaitable<void> keep(asio::awaitable<T> op, std::optional<T>* out) {
  out->emplace(co_await std::move(op));
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

/// Reads a stream to its end or its first failure; the body read goes to `body`.
asio::awaitable<result<std::size_t>> drain(transport::response_stream s, std::string* body) {
  std::size_t total = 0;
  for (;;) {
    auto n = co_await s.read_some(*body);
    if (!n) co_return std::move(n).error();
    if (*n == 0) co_return total;
    total += *n;
  }
}

}  // namespace

TEST_CASE("https_transport: a request cancelled at any point frees its pool slot",
          "[transport][emulator]") {
  emulator emu;
  asio::io_context ioc;
  https_transport t(ioc.get_executor(), pool_of_one());
  for (int k = 0; k < 40; ++k) {
    INFO("cancelled after " << k << " handlers");
    t.close_idle();  // every round opens a new connection: the cancel may hit the connect
    asio::cancellation_signal cancel;
    std::optional<result<http_response>> cancelled;
    asio::co_spawn(ioc, keep(t.request(list_models(emu), within(5s)), &cancelled),
                   asio::bind_cancellation_slot(cancel.slot(), rethrow));
    ioc.restart();
    for (int i = 0; i < k && !cancelled; ++i) ioc.run_one();
    cancel.emit(asio::cancellation_type::terminal);
    ioc.run();
    REQUIRE(cancelled);

    // The slot is free again: a plain request gets a connection at once.
    std::optional<result<http_response>> plain;
    asio::co_spawn(ioc, keep(t.request(list_models(emu), within(3s)), &plain), rethrow);
    ioc.restart();
    ioc.run();
    REQUIRE(plain);
    if (!*plain) INFO("plain request failed: " << plain->error());
    REQUIRE_FALSE((!*plain && plain->error().code == errc::deadline_exceeded));
    REQUIRE(*plain);
    CHECK((*plain)->status == 200);
  }
}

TEST_CASE("https_transport: the wait for a free slot ends with the attempt timeout",
          "[transport][emulator]") {
  emulator emu;
  asio::io_context ioc;
  https_transport t(ioc.get_executor(), pool_of_one());
  emu.push_fault(fault_kind::stall_first_byte);

  // The only slot: a request the emulator never answers.
  asio::cancellation_signal stop_held;
  std::optional<result<http_response>> held;
  asio::co_spawn(ioc, keep(t.request(generate(emu, false), within(60s, false)), &held),
                 asio::bind_cancellation_slot(stop_held.slot(), rethrow));
  // Without the fix the second request would wait for ever: a safety net ends the held one
  // after 10 s (the second then gets the slot and succeeds, failing the checks below).
  asio::steady_timer safety(ioc, 10s);
  safety.async_wait([&](boost::system::error_code ec) {
    if (!ec) stop_held.emit(asio::cancellation_type::terminal);
  });

  std::optional<result<http_response>> waiting;
  asio::co_spawn(ioc, keep(t.request(list_models(emu), within(200ms, false)), &waiting),
                 [&](std::exception_ptr e) {
                   rethrow(e);
                   safety.cancel();
                   stop_held.emit(asio::cancellation_type::terminal);
                 });
  ioc.run();
  REQUIRE(waiting);
  REQUIRE_FALSE(*waiting);
  CHECK(waiting->error().code == errc::upstream_timeout);
  CHECK(waiting->error().message.find("free connection") != std::string::npos);
  REQUIRE(held);
  CHECK_FALSE(*held);

  // With a deadline before the attempt's end: deadline_exceeded.
  emu.push_fault(fault_kind::stall_first_byte);
  asio::cancellation_signal stop_held2;
  held.reset();
  asio::co_spawn(ioc, keep(t.request(generate(emu, false), within(60s, false)), &held),
                 asio::bind_cancellation_slot(stop_held2.slot(), rethrow));
  asio::steady_timer safety2(ioc, 10s);
  safety2.async_wait([&](boost::system::error_code ec) {
    if (!ec) stop_held2.emit(asio::cancellation_type::terminal);
  });
  attempt_limits lim;
  lim.timeout = 60s;
  lim.deadline = std::chrono::steady_clock::now() + 200ms;
  waiting.reset();
  asio::co_spawn(ioc, keep(t.request(list_models(emu), lim), &waiting), [&](std::exception_ptr e) {
    rethrow(e);
    safety2.cancel();
    stop_held2.emit(asio::cancellation_type::terminal);
  });
  ioc.restart();
  ioc.run();
  REQUIRE(waiting);
  REQUIRE_FALSE(*waiting);
  CHECK(waiting->error().code == errc::deadline_exceeded);
}

TEST_CASE("https_transport: streamed bodies are bounded", "[transport][emulator]") {
  emulator emu;
  asio::io_context ioc;

  SECTION("within the default limits a stream reads to its end") {
    https_transport t(ioc.get_executor(), pool_of_one());
    std::optional<result<transport::response_stream>> s;
    asio::co_spawn(ioc, keep(t.open(generate(emu, true), within(10s)), &s), rethrow);
    ioc.run();
    REQUIRE(s);
    REQUIRE(*s);
    CHECK((*s)->status() == 200);
    std::string body;
    std::optional<result<std::size_t>> n;
    asio::co_spawn(ioc, keep(drain(std::move(**s), &body), &n), rethrow);
    ioc.restart();
    ioc.run();
    REQUIRE(n);
    REQUIRE(*n);
    CHECK(**n > 200);
    CHECK(**n == body.size());
    CHECK(t.idle_connections() == 1);  // read to the end: back in the pool
  }

  SECTION("past max_stream_bytes the read fails with payload_too_large") {
    auto o = pool_of_one();
    o.pool.max_stream_bytes = 200;
    https_transport t(ioc.get_executor(), o);
    std::optional<result<transport::response_stream>> s;
    asio::co_spawn(ioc, keep(t.open(generate(emu, true), within(10s)), &s), rethrow);
    ioc.run();
    REQUIRE(s);
    REQUIRE(*s);
    std::string body;
    std::optional<result<std::size_t>> n;
    asio::co_spawn(ioc, keep(drain(std::move(**s), &body), &n), rethrow);
    ioc.restart();
    ioc.run();
    REQUIRE(n);
    REQUIRE_FALSE(*n);
    CHECK(n->error().code == errc::payload_too_large);
    CHECK(n->error().message.find("200 bytes") != std::string::npos);
    CHECK(n->error().message.find("max_stream_bytes") != std::string::npos);
    CHECK(body.size() <= 200);
    CHECK(t.idle_connections() == 0);  // closed, not pooled

    // The slot was freed: the next stream gets a connection.
    s.reset();
    asio::co_spawn(ioc, keep(t.open(generate(emu, true), within(3s)), &s), rethrow);
    ioc.restart();
    ioc.run();
    REQUIRE(s);
    CHECK(*s);
  }

  SECTION("a non-2xx stream's error body is bounded by max_error_body_bytes") {
    auto o = pool_of_one();
    o.pool.max_error_body_bytes = 16;
    https_transport t(ioc.get_executor(), o);
    emu.push_fault(fault_kind::http_500);
    std::optional<result<transport::response_stream>> s;
    asio::co_spawn(ioc, keep(t.open(generate(emu, true), within(10s)), &s), rethrow);
    ioc.run();
    REQUIRE(s);
    REQUIRE(*s);
    CHECK((*s)->status() == 500);
    std::string body;
    std::optional<result<std::size_t>> n;
    asio::co_spawn(ioc, keep(drain(std::move(**s), &body), &n), rethrow);
    ioc.restart();
    ioc.run();
    REQUIRE(n);
    REQUIRE_FALSE(*n);
    CHECK(n->error().code == errc::payload_too_large);
    CHECK(n->error().message.find("max_error_body_bytes") != std::string::npos);
    CHECK(body.size() <= 16);
  }
}

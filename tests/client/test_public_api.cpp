// The public surface a user meets first: one-line calls, completion tokens, the client
// built from one configuration value. Against the emulator over loopback.
#include <gemini/gemini.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using gemini::errc;
using gemini::test::run;
using gemini::testing::emulator;
using gemini::testing::fault_kind;

namespace {

gemini::client_options options_for(const emulator& emu) {
  gemini::client_options o;
  o.key = gemini::api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  o.model = "gemini-2.5-flash";
  o.timeout = std::chrono::seconds(20);
  o.attempt_timeout = std::chrono::seconds(10);
  return o;
}

gemini::generate_request ask(std::string text) {
  gemini::generate_request r;
  r.contents.push_back(gemini::content::user(std::move(text)));
  return r;
}

}  // namespace

TEST_CASE("one-line calls take a prompt", "[client][public]") {
  emulator emu;
  SECTION("async generate and stream") {
    asio::io_context ioc;
    gemini::client c(ioc.get_executor(), options_for(emu));
    auto g = run(ioc, c.generate("Tell me about pools"));
    REQUIRE(g);
    CHECK_FALSE(g->text().empty());
    std::string streamed;
    int chunks = 0;
    auto s = run(ioc, c.stream("Tell me about pools", [&](const gemini::generate_response& r) {
      ++chunks;
      streamed += r.text();
    }));
    REQUIRE(s);
    CHECK(chunks >= 1);
    CHECK(streamed == s->text());
    gemini::call_options o;
    o.model = "no-such-model";
    auto missing = run(ioc, c.generate("hi", o));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code == errc::not_found);
  }
  SECTION("sync_client") {
    gemini::sync_client c(options_for(emu));
    auto g = c.generate("Tell me about pools");
    REQUIRE(g);
    CHECK_FALSE(g->text().empty());
    std::string streamed;
    auto s = c.stream("Tell me about pools",
                      [&](const gemini::generate_response& r) { streamed += r.text(); });
    REQUIRE(s);
    CHECK(streamed == s->text());
  }
}

TEST_CASE("completion tokens: callback, use_future, use_awaitable, as_tuple, deferred",
          "[client][public][token]") {
  emulator emu;
  asio::io_context ioc;
  gemini::client c(ioc.get_executor(), options_for(emu));

  SECTION("callback") {
    std::optional<gemini::error_code> got;
    std::string text;
    c.async_generate(ask("Tell me about pools"),
                     [&](gemini::error_code ec, gemini::generate_response r) {
                       got = ec;
                       text = r.text();
                     });
    ioc.run();
    REQUIRE(got);
    CHECK_FALSE(*got);
    CHECK_FALSE(text.empty());
  }
  SECTION("callback with the error detail") {
    emu.push_fault(fault_kind::http_429_per_minute);
    gemini::error detail;
    std::optional<gemini::error_code> got;
    c.async_generate(ask("hi"), gemini::call_options{}, detail,
                     [&](gemini::error_code ec, gemini::generate_response r) {
                       got = ec;
                       CHECK(r.candidates.empty());
                     });
    ioc.run();
    REQUIRE(got);
    CHECK(*got == errc::rate_limited);
    CHECK(detail.code == errc::rate_limited);
    CHECK(detail.http_status == 429);
    CHECK(detail.retry_delay.has_value());
    CHECK_FALSE(detail.quota.empty());
  }
  SECTION("use_future, the io_context on another thread") {
    auto work = asio::make_work_guard(ioc);
    std::thread t([&] { ioc.run(); });
    struct joiner {  // a failed check throws: the thread is joined on every path
      decltype(work)& w;
      std::thread& t;
      ~joiner() {
        w.reset();
        if (t.joinable()) t.join();
      }
    } join{work, t};
    gemini::count_tokens_request q;
    q.contents.push_back(gemini::content::user("four words of text"));
    std::future<gemini::count_tokens_response> f = c.async_count_tokens(q, asio::use_future);
    auto counted = f.get();
    CHECK(counted.total_tokens > 0);
    emu.push_fault(fault_kind::http_503);
    auto failing = c.async_generate(ask("hi"), asio::use_future);
    try {
      failing.get();
      FAIL("an error must reach the future");
    } catch (const boost::system::system_error& e) {
      CHECK(e.code() == errc::unavailable);
    }
    work.reset();
    t.join();
  }
  SECTION("use_awaitable and as_tuple") {
    auto body = [&]() -> asio::awaitable<void> {
      gemini::generate_response r = co_await c.async_generate(ask("Tell me"), asio::use_awaitable);
      CHECK_FALSE(r.text().empty());
      gemini::embed_request e;
      e.content = gemini::content::user("embed me");
      gemini::call_options eo;
      eo.model = "gemini-embedding-001";
      auto [ec, emb] = co_await c.async_embed(e, eo, asio::as_tuple(asio::use_awaitable));
      CHECK_FALSE(ec);
      CHECK_FALSE(emb.embedding.values.empty());
      emu.push_fault(fault_kind::http_400);
      auto [ec2, none] = co_await c.async_generate(ask("bad"), asio::as_tuple(asio::use_awaitable));
      CHECK(ec2 == errc::invalid_argument);
      CHECK(none.candidates.empty());
      try {
        emu.push_fault(fault_kind::http_403);
        auto denied = ask("denied");
        co_await c.async_generate(denied, asio::use_awaitable);
        FAIL("use_awaitable throws on an error");
      } catch (const boost::system::system_error& x) {
        CHECK(x.code() == errc::permission_denied);
      }
    };
    asio::co_spawn(ioc, body(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    ioc.run();
  }
  SECTION("deferred starts nothing until it is invoked") {
    auto op = c.async_list_models(asio::deferred);
    CHECK(ioc.poll() == 0);  // a started call would have queued its first step
    CHECK(emu.requests() == 0);
    std::optional<std::size_t> models;
    std::move(op)([&](gemini::error_code ec, gemini::list_models_response r) {
      CHECK_FALSE(ec);
      models = r.models.size();
    });
    ioc.restart();  // poll() ran out of work, which stops the io_context
    ioc.run();
    REQUIRE(models);
    CHECK(*models > 0);
    CHECK(emu.requests() == 1);
  }
  SECTION("batch_embed and stream") {
    gemini::batch_embed_request b;
    b.requests.resize(2);
    b.requests[0].content = gemini::content::user("one");
    b.requests[1].content = gemini::content::user("two");
    std::size_t embeddings = 0;
    gemini::call_options eo;
    eo.model = "gemini-embedding-001";
    c.async_batch_embed(b, eo, [&](gemini::error_code ec, gemini::batch_embed_response r) {
      CHECK_FALSE(ec);
      embeddings = r.embeddings.size();
    });
    std::string streamed, whole;
    c.async_stream(
        ask("Tell me about pools"),
        [&](const gemini::generate_response& r) { streamed += r.text(); },
        [&](gemini::error_code ec, gemini::generate_response r) {
          CHECK_FALSE(ec);
          whole = r.text();
        });
    ioc.run();
    CHECK(embeddings == 2);
    CHECK_FALSE(whole.empty());
    CHECK(streamed == whole);
  }
  SECTION("a stream cut mid-way: the partial text in the detail") {
    emu.push_fault(fault_kind::cut_mid_stream);
    gemini::error detail;
    std::optional<gemini::error_code> got;
    std::string streamed;
    c.async_stream(
        ask("Tell me about pools, at length"),
        [&](const gemini::generate_response& r) { streamed += r.text(); }, gemini::call_options{},
        detail, [&](gemini::error_code ec, gemini::generate_response) { got = ec; });
    ioc.run();
    REQUIRE(got);
    CHECK(*got);
    CHECK(detail.code == *got);
    CHECK_FALSE(streamed.empty());
    CHECK(detail.partial_text == streamed);
  }
}

TEST_CASE("completion tokens: cancellation through the token's slot", "[client][public][token]") {
  emulator emu;
  asio::io_context ioc;
  gemini::client c(ioc.get_executor(), options_for(emu));
  asio::cancellation_signal cancel;
  // Emitted once the emulator has taken the stall fault (it is then stalling the request:
  // the fault cannot be left for the next call), on ioc.
  asio::steady_timer timer(ioc);
  std::function<void()> cancel_when_read = [&] {
    timer.expires_after(std::chrono::milliseconds(2));
    timer.async_wait([&](gemini::error_code ec) {
      if (ec) return;
      if (emu.pending_faults() != 0) return cancel_when_read();
      cancel.emit(asio::cancellation_type::terminal);
    });
  };
  cancel_when_read();

  SECTION("a bound callback") {
    emu.push_fault(fault_kind::stall_first_byte);
    std::optional<gemini::error_code> got;
    gemini::error detail;
    c.async_generate(
        ask("stall"), gemini::call_options{}, detail,
        asio::bind_cancellation_slot(
            cancel.slot(), [&](gemini::error_code ec, gemini::generate_response) { got = ec; }));
    ioc.run();  // returns: nothing may hang once the call is cancelled
    REQUIRE(got);
    CHECK(*got == errc::cancelled);
    CHECK(detail.code == errc::cancelled);
  }
  SECTION("a stream, through as_tuple") {
    emu.push_fault(fault_kind::stall_first_byte);
    std::optional<gemini::error_code> got;
    c.async_stream(
        ask("stall"), [](const gemini::generate_response&) {},
        asio::bind_cancellation_slot(
            cancel.slot(),
            asio::as_tuple([&](std::tuple<gemini::error_code, gemini::generate_response> t) {
              got = std::get<0>(t);
            })));
    ioc.run();
    REQUIRE(got);
    CHECK(*got == errc::cancelled);
  }
  SECTION("an awaiting coroutine's slot (use_awaitable)") {
    emu.push_fault(fault_kind::stall_first_byte);
    std::optional<gemini::error_code> got;
    auto body = [&]() -> asio::awaitable<void> {
      auto [ec, r] = co_await c.async_generate(ask("stall"), asio::as_tuple(asio::use_awaitable));
      got = ec;
    };
    asio::co_spawn(ioc, body(), asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    ioc.run();
    REQUIRE(got);
    CHECK(*got == errc::cancelled);
  }
  // The connection of the cancelled call was closed, not kept: a new call works, on a new
  // connection.
  timer.cancel();
  REQUIRE(emu.pending_faults() == 0);
  std::optional<bool> ok;
  c.async_generate(ask("after"),
                   [&](gemini::error_code ec, gemini::generate_response) { ok = !ec; });
  ioc.restart();
  ioc.run();
  CHECK(ok == true);
  CHECK(emu.connections() == 2);
}

TEST_CASE("the handler runs on its own associated executor", "[client][public][token]") {
  emulator emu;
  asio::io_context ioc;
  gemini::client c(ioc.get_executor(), options_for(emu));
  auto strand = asio::make_strand(ioc);
  bool on_strand = false;
  c.async_generate(
      ask("hi"), asio::bind_executor(strand, [&](gemini::error_code ec, gemini::generate_response) {
        CHECK_FALSE(ec);
        on_strand = strand.running_in_this_thread();
      }));
  ioc.run();
  CHECK(on_strand);
}

namespace {
struct production : gemini::policies::defaults {
  using cache = gemini::cache::memory<>;
  using limit = gemini::limit::token_bucket;
  using breaker = gemini::breaker::consecutive_failures;
  using retry = gemini::retry::exponential;
};
}  // namespace

TEST_CASE("a client built from one configuration value", "[client][public][config]") {
  emulator emu;
  asio::io_context ioc;
  gemini::basic_config<production> cfg;
  cfg.client = options_for(emu);
  cfg.transport.pool.max_connections_per_origin = 3;
  cfg.cache.max_bytes = 1 << 20;
  cfg.limit.requests_per_minute = 600;
  cfg.breaker.failure_threshold = 3;
  cfg.retry.max_attempts = 3;
  cfg.retry.initial = std::chrono::milliseconds(1);
  gemini::basic_client<production> c(ioc.get_executor(), cfg);

  CHECK(c.options().model == "gemini-2.5-flash");
  CHECK(c.limiter().options().requests_per_minute == 600);
  CHECK(c.circuit_breaker().options().failure_threshold == 3);
  CHECK(c.retry_policy().options().max_attempts == 3);
  CHECK(c.cache().options().max_bytes == (1u << 20));
  CHECK(c.transport().options().pool.max_connections_per_origin == 3);

  // The policies work as configured: two 503s are retried (3 attempts), a repeat is cached.
  emu.push_fault(fault_kind::http_503);
  emu.push_fault(fault_kind::http_503);
  auto first = run(ioc, c.generate("cache me"));
  REQUIRE(first);
  CHECK(emu.requests() == 3);
  auto again = run(ioc, c.generate("cache me"));
  REQUIRE(again);
  CHECK(again->text() == first->text());
  CHECK(emu.requests() == 3);

  gemini::basic_sync_client<production> sync(cfg);
  CHECK(sync.async_client().limiter().options().requests_per_minute == 600);
  CHECK(sync.generate("cache me"));
}

// The resilience policies end to end: the real client (Beast transport) against the
// emulator's fault injection, with the manual clock so back-offs and recovery timeouts pass
// virtually (no sleeping, no timing assertions).
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/client.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/testing/manual_clock.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;
using namespace std::chrono_literals;
using gemini::testing::emulator;
using gemini::testing::fault;
using gemini::testing::fault_kind;

namespace {

struct resilient : policies::defaults {
  using retry = gemini::retry::exponential;
  using breaker = gemini::breaker::consecutive_failures;
  using limit = gemini::limit::token_bucket;
  using clock = gemini::testing::manual_clock;
};
using resilient_client = basic_client<resilient>;

client_options options_for(const emulator& emu) {
  client_options o;
  o.key = api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  o.timeout = 1h;  // the manual clock does not drive real deadlines; keep them out of the way
  return o;
}

wire::generate_content_request ask(std::string text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

}  // namespace

TEST_CASE("a 429 storm is ridden out, waiting what RetryInfo asks", "[policy][emulator]") {
  emulator emu;
  asio::io_context ioc;
  resilient_client c(ioc.get_executor(), options_for(emu));
  for (int i = 0; i < 3; ++i) emu.push_fault(fault{fault_kind::http_429_per_minute, 7000ms, {}});
  auto t0 = c.clock().now();
  auto r = run(ioc, c.generate(ask("storm")));
  REQUIRE(r);
  CHECK(emu.requests() == 4);
  CHECK(c.clock().now() - t0 >= 21s);  // three RetryInfo delays of 7 s, never earlier
  CHECK(c.circuit_breaker().current(c.clock().now()) ==
        breaker::state::closed);  // 429s are not outages
}

TEST_CASE("a per-day quota fails fast, without waiting or retrying", "[policy][emulator]") {
  emulator emu;
  asio::io_context ioc;
  resilient_client c(ioc.get_executor(), options_for(emu));
  emu.push_fault(fault_kind::http_429_per_day);
  auto t0 = c.clock().now();
  auto r = run(ioc, c.generate(ask("quota")));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::quota_exhausted);
  CHECK(emu.requests() == 1);
  CHECK(c.clock().now() == t0);
}

TEST_CASE("a 503 outage opens the breaker, which fails fast and then recovers",
          "[policy][emulator]") {
  emulator emu;
  asio::io_context ioc;
  resilient_client c(ioc.get_executor(), options_for(emu));
  // consecutive_failures defaults: 5 failures open it, 30 s recovery. The retry policy's
  // 5 attempts all meet the outage.
  for (int i = 0; i < 5; ++i) emu.push_fault(fault_kind::http_503);
  auto r = run(ioc, c.generate(ask("outage")));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unavailable);
  CHECK(emu.requests() == 5);
  CHECK(c.circuit_breaker().current(c.clock().now()) == breaker::state::open);

  auto fast = run(ioc, c.generate(ask("while open")));
  REQUIRE_FALSE(fast);
  CHECK(fast.error().code == errc::circuit_open);
  CHECK(emu.requests() == 5);  // no network while open

  c.clock().advance(31s);  // past the recovery timeout; the outage is over
  auto probe = run(ioc, c.generate(ask("probe")));
  REQUIRE(probe);
  CHECK(emu.requests() == 6);
  CHECK(c.circuit_breaker().current(c.clock().now()) == breaker::state::closed);
}

// gemini::shared<P>: two clients on one io_context, one policy object.
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/config_json.hpp>
#include <gemini/limit/keyed.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/shared.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::test::run;
using gemini::testing::emulator;

namespace {

struct shared_policies : policies::defaults {
  using limit = gemini::shared<gemini::limit::token_bucket>;
  using cache = gemini::shared<gemini::cache::memory<>>;
  using breaker = gemini::shared<gemini::breaker::consecutive_failures>;
};
using shared_client = basic_client<shared_policies>;
using limiter_t = shared_policies::limit::policy_type;
using cache_t = shared_policies::cache::policy_type;
using breaker_t = shared_policies::breaker::policy_type;

basic_config<shared_policies> config_for(const emulator& emu) {
  basic_config<shared_policies> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  return cfg;
}

}  // namespace

TEST_CASE("shared<P> models each slot's concept", "[shared][unit]") {
  STATIC_REQUIRE(limit::limit_policy<shared_policies::limit>);
  STATIC_REQUIRE(cache::cache_policy<shared_policies::cache>);
  STATIC_REQUIRE(breaker::breaker_policy<shared_policies::breaker>);
  // keyed limiters keep their separate queues through the adapter
  using keyed_shared = gemini::shared<limit::keyed<>>;
  limit::cost a, b;
  a.tenant = "a";
  b.tenant = "b";
  keyed_shared k;
  CHECK_FALSE(k.same_queue(a, b));
  CHECK(k.same_queue(a, a));
}

TEST_CASE("shared<P>: without a policy object each client builds its own", "[shared][unit]") {
  shared_options<limiter_t> o;
  o.options.requests_per_minute = 1;
  gemini::shared<limiter_t> x(o), y(o);
  CHECK(&x.get() != &y.get());
  auto now = std::chrono::steady_clock::now();
  CHECK(x.try_acquire({}, now).granted);
  CHECK_FALSE(x.try_acquire({}, now).granted);
  CHECK(y.try_acquire({}, now).granted);  // y's bucket is y's own
  gemini::shared<limiter_t> z(x.pointer());
  CHECK(&z.get() == &x.get());
  CHECK_FALSE(z.try_acquire({}, now).granted);
}

TEST_CASE("two clients share one rate limit", "[shared][emulator]") {
  emulator emu;
  asio::io_context ioc;
  limit::token_bucket_options lo;
  lo.requests_per_minute = 3;  // three calls, then the bucket is empty for 20 s
  lo.max_wait = 0ms;           // refuse instead of waiting
  auto limiter = std::make_shared<limiter_t>(lo);
  auto cfg = config_for(emu);
  cfg.limit.policy = limiter;
  shared_client a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  CHECK(&a.limiter().get() == limiter.get());
  CHECK(&b.limiter().get() == limiter.get());
  CHECK(run(ioc, a.generate("one")));
  CHECK(run(ioc, b.generate("two")));
  CHECK(run(ioc, a.generate("three")));
  auto refused_b = run(ioc, b.generate("four"));
  auto refused_a = run(ioc, a.generate("five"));
  REQUIRE_FALSE(refused_b);
  REQUIRE_FALSE(refused_a);
  CHECK(refused_b.error().code == errc::rate_limited);
  CHECK(refused_a.error().code == errc::rate_limited);
  CHECK(emu.requests() == 3);
}

TEST_CASE("a slot freed by one client is taken by a caller waiting in another",
          "[shared][emulator]") {
  emulator emu;
  emu.set_latency({.first_byte = 20ms});
  asio::io_context ioc;
  limit::token_bucket_options lo;
  lo.max_concurrency = 1;
  lo.max_wait = 60s;  // without the recheck, b's caller would wait this long and fail
  auto cfg = config_for(emu);
  cfg.limit.policy = std::make_shared<limiter_t>(lo);
  cfg.client.timeout = 120s;
  shared_client a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  std::optional<result<gemini::generate_response>> ra, rb;
  asio::co_spawn(ioc, gemini::test::store(a.generate("first"), &ra), asio::detached);
  asio::co_spawn(ioc, gemini::test::store(b.generate("second"), &rb), asio::detached);
  auto t0 = std::chrono::steady_clock::now();
  ioc.run();
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(*ra);
  CHECK(*rb);
  CHECK(emu.requests() == 2);
  CHECK(cfg.limit.policy->in_flight() == 0);
  // Not a timing assertion: b would have failed with rate_limited after max_wait.
  CHECK(std::chrono::steady_clock::now() - t0 < lo.max_wait);
}

TEST_CASE("two clients share one memory cache", "[shared][emulator]") {
  emulator emu;
  asio::io_context ioc;
  auto cache = std::make_shared<cache_t>();
  auto cfg = config_for(emu);
  cfg.cache.policy = cache;
  shared_client a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  auto ra = run(ioc, a.generate("the same question"));
  auto rb = run(ioc, b.generate("the same question"));
  REQUIRE(ra);
  REQUIRE(rb);
  CHECK(ra->text() == rb->text());
  CHECK(emu.requests() == 1);
  CHECK(cache->stats().hits == 1);
  CHECK(rb->delivery.from == wire::source::cache);
}

TEST_CASE("two clients share one breaker", "[shared][emulator]") {
  emulator emu;
  asio::io_context ioc;
  breaker::consecutive_failures_options bo;
  bo.failure_threshold = 2;
  auto cfg = config_for(emu);
  cfg.breaker.policy = std::make_shared<breaker_t>(bo);
  shared_client a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  emu.push_fault(testing::fault_kind::http_503);
  emu.push_fault(testing::fault_kind::http_503);
  CHECK_FALSE(run(ioc, a.generate("x")));
  CHECK_FALSE(run(ioc, b.generate("y")));  // the second failure, seen by the other client
  auto r = run(ioc, a.generate("z"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::circuit_open);
  CHECK(emu.requests() == 2);
}

TEST_CASE("a shared slot read from JSON: the options to build from, and recheck",
          "[shared][config]") {
  auto r = gemini::config_from_json<basic_config<shared_policies>>(R"({
    "limit": {"options": {"requests_per_minute": 600, "max_wait": "2s"}, "recheck": "5ms"},
    "cache": {"options": {"ttl": "1m"}}
  })");
  REQUIRE(r);
  CHECK(r->limit.options.requests_per_minute == 600);
  CHECK(r->limit.options.max_wait == 2s);
  CHECK(r->limit.recheck == 5ms);
  CHECK(r->cache.options.ttl == 1min);
  CHECK(r->limit.policy == nullptr);  // an object to share is given in code, not JSON
  auto bad = gemini::config_from_json<basic_config<shared_policies>>(
      R"({"limit": {"policy": {}, "options": {"burst": "x"}}})");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::bad_configuration);
  CHECK_THAT(bad.error().message, Catch::Contains("limit.policy"));
  CHECK_THAT(bad.error().message, Catch::Contains("limit.options.burst"));
}

// limit::redis against a real redis-server each test starts: several limiter objects stand
// for several processes sharing one limit (tests/redis/test_limit_processes.cpp runs real
// processes).
#include <gemini/client.hpp>
#include <gemini/config_json.hpp>
#include <gemini/limit/redis.hpp>
#include <gemini/shared.hpp>
#include <gemini/testing/emulator.hpp>

#include "redis/redis_test_util.hpp"

#include <catch2/catch.hpp>

#include <thread>

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::testing::redis_server;
using gemini::testing::run;
using time_point = std::chrono::steady_clock::time_point;

namespace {

limit::redis_limit_options options_on(const redis_server& srv) {
  limit::redis_limit_options o;
  o.server.port = srv.port();
  o.name = "test-limit";
  o.on_failure = limit::on_store_failure::fail_closed;
  return o;
}

limit::cost model_cost(std::int64_t tokens = 0) {
  limit::cost c{tokens};
  c.model = "gemini-2.5-flash";
  return c;
}

limit::grant ask(asio::io_context& ioc, limit::redis_limiter& l, const limit::cost& c) {
  return run(ioc, l.async_try_acquire(c, std::chrono::steady_clock::now()));
}

/// Runs the io_context until the limiters' releases and pauses have been answered.
void drain(asio::io_context& ioc, std::initializer_list<limit::redis_limiter*> ls) {
  auto until = std::chrono::steady_clock::now() + 10s;
  auto busy = [&] {
    for (auto* l : ls)
      if (l->pending_sends() != 0) return true;
    return false;
  };
  ioc.restart();
  while (busy() && std::chrono::steady_clock::now() < until) ioc.run_one_for(10ms);
  REQUIRE_FALSE(busy());
}

}  // namespace

TEST_CASE("limit::redis models the limit concept (asynchronously)", "[limit][redis][unit]") {
  STATIC_REQUIRE(limit::limit_policy<limit::redis>);
  STATIC_REQUIRE(limit::async_limit_policy<limit::redis>);
  STATIC_REQUIRE_FALSE(limit::async_limit_policy<limit::token_bucket>);
}

TEST_CASE("limit::redis: two limiters share one requests-per-minute limit", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.requests_per_minute = 5;  // one every 12 s, a bucket of 5
  limit::redis_limiter a(ioc.get_executor(), o), b(ioc.get_executor(), o);
  auto c = model_cost();
  CHECK(ask(ioc, a, c).granted);
  CHECK(ask(ioc, b, c).granted);
  CHECK(ask(ioc, a, c).granted);
  CHECK(ask(ioc, b, c).granted);
  CHECK(ask(ioc, a, c).granted);
  auto before = std::chrono::steady_clock::now();
  auto g = ask(ioc, b, c);
  REQUIRE_FALSE(g.granted);
  CHECK_FALSE(g.error);
  CHECK(g.when > before);
  CHECK(g.when <= std::chrono::steady_clock::now() + 12s + 1ms);
  CHECK(g.when >= before + 11s);  // the next one refills in 12 s, less what has passed
  // Another model has limits of its own (key_by::model).
  limit::cost other{0};
  other.model = "gemini-2.5-pro";
  CHECK(ask(ioc, b, other).granted);
  CHECK(a.stats().granted + b.stats().granted == 6);
  CHECK(b.stats().refused == 1);
}

TEST_CASE("limit::redis: tokens reserved at admission, settled with the usage", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.tokens_per_minute = 1000;
  limit::redis_limiter a(ioc.get_executor(), o), b(ioc.get_executor(), o);
  auto c = model_cost(600);
  REQUIRE(ask(ioc, a, c).granted);
  auto g = ask(ioc, b, c);
  REQUIRE_FALSE(g.granted);                             // 600 + 600 > 1000
  a.release(c, 100, std::chrono::steady_clock::now());  // used 100 of 600: 500 come back
  drain(ioc, {&a});
  CHECK(ask(ioc, b, c).granted);  // 100 + 600 <= 1000
  auto g2 = ask(ioc, a, model_cost(400));
  CHECK_FALSE(g2.granted);                               // 700 + 400 > 1000
  b.release(c, 2000, std::chrono::steady_clock::now());  // used more than reserved: charged
  drain(ioc, {&b});
  auto g3 = ask(ioc, a, model_cost(1));
  CHECK_FALSE(g3.granted);
}

TEST_CASE("limit::redis: the concurrency cap across limiters", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.max_concurrency = 2;
  o.lease = 120s;  // renewed every 40 s: longer than the run_for below
  limit::redis_limiter a(ioc.get_executor(), o), b(ioc.get_executor(), o);
  auto c = model_cost();
  REQUIRE(ask(ioc, a, c).granted);
  REQUIRE(ask(ioc, b, c).granted);
  auto now = std::chrono::steady_clock::now();
  auto g = ask(ioc, a, c);
  REQUIRE_FALSE(g.granted);
  CHECK(g.when <= std::chrono::steady_clock::now() + o.recheck);  // asks again soon
  CHECK(g.when >= now);
  CHECK(a.held() == 1);
  b.release(c, 0, std::chrono::steady_clock::now());
  drain(ioc, {&b});
  CHECK(b.held() == 0);
  CHECK(ask(ioc, a, c).granted);
  CHECK(a.held() == 2);
  // Once every slot is released, nothing is left to renew: run() returns.
  a.release(c, 0, std::chrono::steady_clock::now());
  a.release(c, 0, std::chrono::steady_clock::now());
  CHECK(a.held() == 0);
  ioc.restart();
  ioc.run_for(30s);
  CHECK(ioc.stopped());  // out of work, not out of time
  CHECK(a.pending_sends() == 0);
}

TEST_CASE("limit::redis: a 429 seen by one limiter pauses the others", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.requests_per_minute = 1000;
  limit::redis_limiter a(ioc.get_executor(), o), b(ioc.get_executor(), o);
  auto c = model_cost();
  REQUIRE(ask(ioc, b, c).granted);
  a.pause_until(std::chrono::steady_clock::now() + 7s);
  drain(ioc, {&a});
  auto g = ask(ioc, b, c);
  REQUIRE_FALSE(g.granted);
  CHECK(g.when <= std::chrono::steady_clock::now() + 7s + 1ms);
  CHECK(g.when >= std::chrono::steady_clock::now() + 5s);
}

TEST_CASE("limit::redis: the slots of a limiter that vanished come back after its lease",
          "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.max_concurrency = 2;
  o.lease = 300ms;
  auto c = model_cost();
  limit::redis_limiter survivor(ioc.get_executor(), o);
  {
    limit::redis_limiter crashed(ioc.get_executor(), o);
    REQUIRE(ask(ioc, crashed, c).granted);
    REQUIRE(ask(ioc, crashed, c).granted);
    // destroyed without releasing: like a process killed mid-call
  }
  CHECK_FALSE(ask(ioc, survivor, c).granted);
  limit::grant g;
  auto until = std::chrono::steady_clock::now() + 10s;
  while (!(g = ask(ioc, survivor, c)).granted && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(20ms);
  CHECK(g.granted);
}

TEST_CASE("limit::redis: a live limiter renews its lease while it holds slots", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.max_concurrency = 1;
  o.lease = 300ms;
  auto c = model_cost();
  limit::redis_limiter holder(ioc.get_executor(), o), other(ioc.get_executor(), o);
  REQUIRE(ask(ioc, holder, c).granted);
  ioc.restart();
  ioc.run_for(1200ms);  // four leases long: the holder renews every 100 ms
  CHECK(holder.stats().renewals >= 2);
  CHECK_FALSE(ask(ioc, other, c).granted);
  holder.release(c, 0, std::chrono::steady_clock::now());
  drain(ioc, {&holder});
  CHECK(ask(ioc, other, c).granted);
}

TEST_CASE("limit::redis: Redis unreachable fails closed, or open on a local share",
          "[limit][redis]") {
  asio::io_context ioc;
  limit::redis_limit_options o;
  o.server.port = redis_server::free_port();  // nothing listens there
  o.limits.requests_per_minute = 600;
  auto c = model_cost();
  SECTION("fail closed: unavailable at once") {
    o.on_failure = limit::on_store_failure::fail_closed;
    limit::redis_limiter l(ioc.get_executor(), o);
    auto g = ask(ioc, l, c);
    REQUIRE_FALSE(g.granted);
    REQUIRE(g.error);
    CHECK(g.error->code == errc::unavailable);
    CHECK_THAT(g.error->message, Catch::Contains("shared rate limiter"));
    CHECK(l.stats().failed_closed == 1);
  }
  SECTION("fail open: the fallback's limits decide, counted") {
    o.on_failure = limit::on_store_failure::fail_open;
    o.fallback.requests_per_minute = 2;
    limit::redis_limiter l(ioc.get_executor(), o);
    CHECK(ask(ioc, l, c).granted);
    CHECK(ask(ioc, l, c).granted);
    auto g = ask(ioc, l, c);
    CHECK_FALSE(g.granted);
    CHECK_FALSE(g.error);
    CHECK(l.stats().fallback_grants == 2);
    CHECK(l.stats().store_errors == 3);
    l.release(c, 0, std::chrono::steady_clock::now());  // goes back to the fallback
    CHECK(l.pending_sends() == 0);
  }
}

TEST_CASE("limit::redis: Redis restarted, the scripts are loaded again", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.on_failure = limit::on_store_failure::fail_open;
  o.limits.requests_per_minute = 100;
  limit::redis_limiter l(ioc.get_executor(), o);
  auto c = model_cost();
  REQUIRE(ask(ioc, l, c).granted);
  CHECK(l.stats().scripts_loaded == 1);
  srv.restart();  // nothing persisted: the script cache is empty
  auto until = std::chrono::steady_clock::now() + 10s;
  while (l.stats().granted < 2 && std::chrono::steady_clock::now() < until) {
    (void)ask(ioc, l, c);  // the first may fail over to the fallback (connection lost)
    std::this_thread::sleep_for(20ms);
  }
  CHECK(l.stats().granted == 2);
  CHECK(l.stats().scripts_loaded == 2);
}

namespace {
struct redis_limited : policies::defaults {
  using limit = gemini::limit::redis;
};
}  // namespace

TEST_CASE("limit::redis in two clients: one limit, and a 429 pauses both", "[limit][redis]") {
  redis_server srv;
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_config<redis_limited> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.limit = options_on(srv);
  cfg.limit.limits.requests_per_minute = 3;
  cfg.limit.limits.max_wait = 0ms;
  basic_client<redis_limited> a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  CHECK(run(ioc, a.generate("one")));
  CHECK(run(ioc, b.generate("two")));
  CHECK(run(ioc, a.generate("three")));
  auto r = run(ioc, b.generate("four"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::rate_limited);
  CHECK(emu.requests() == 3);
  CHECK(a.limiter().stats().granted + b.limiter().stats().granted == 3);
}

TEST_CASE("limit::redis in a client: a 429 with RetryInfo pauses the other clients",
          "[limit][redis]") {
  redis_server srv;
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_config<redis_limited> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.limit = options_on(srv);
  cfg.limit.limits.requests_per_minute = 1000;
  cfg.limit.limits.max_wait = 0ms;
  basic_client<redis_limited> a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  emu.push_fault(
      gemini::testing::fault{gemini::testing::fault_kind::http_429_per_minute, 7000ms, {}});
  auto r = run(ioc, a.generate("throttled"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::rate_limited);
  drain(ioc, {&a.limiter()});
  auto rb = run(ioc, b.generate("not now"));
  REQUIRE_FALSE(rb);
  CHECK(rb.error().code == errc::rate_limited);  // b never reached the service
  CHECK(emu.requests() == 1);
}

TEST_CASE("limit::redis: limits per key (limits_for)", "[limit][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits_for = [](std::string_view, std::string_view model) {
    limit::token_bucket_options l;
    l.requests_per_minute = model == "gemini-2.5-pro" ? 1 : 3;
    return l;
  };
  limit::redis_limiter a(ioc.get_executor(), o);
  limit::cost pro, flash;
  pro.model = "gemini-2.5-pro";
  flash.model = "gemini-2.5-flash";
  CHECK(ask(ioc, a, pro).granted);
  CHECK_FALSE(ask(ioc, a, pro).granted);
  CHECK(ask(ioc, a, flash).granted);
  CHECK(ask(ioc, a, flash).granted);
  CHECK(ask(ioc, a, flash).granted);
  CHECK_FALSE(ask(ioc, a, flash).granted);
}

TEST_CASE("limit::redis read from a JSON configuration", "[limit][redis][config]") {
  auto r = gemini::config_from_json<basic_config<redis_limited>>(R"({
    "limit": {
      "limits": {"requests_per_minute": 600, "tokens_per_minute": 60000, "max_concurrency": 8},
      "by": "tenant_and_model",
      "server": {"host": "127.0.0.1", "port": 6380, "command_timeout": "100ms"},
      "name": "project-a",
      "on_failure": "fail_closed",
      "fallback": {"requests_per_minute": 150},
      "lease": "20s"
    }
  })");
  REQUIRE(r);
  CHECK(r->limit.limits.requests_per_minute == 600);
  CHECK(r->limit.by == limit::key_by::tenant_and_model);
  CHECK(r->limit.server.port == 6380);
  CHECK(r->limit.server.command_timeout == 100ms);
  CHECK(r->limit.on_failure == limit::on_store_failure::fail_closed);
  CHECK(r->limit.fallback.requests_per_minute == 150);
  CHECK(r->limit.lease == 20s);
  auto bad = gemini::config_from_json<basic_config<redis_limited>>(
      R"({"limit": {"on_failure": "fail_sideways"}})");
  REQUIRE_FALSE(bad);
  CHECK_THAT(bad.error().message, Catch::Contains("limit.on_failure"));
}

namespace {
struct shared_redis_limited : policies::defaults {
  using limit = gemini::shared<gemini::limit::redis>;
};
}  // namespace

TEST_CASE("shared<limit::redis>: two clients on one executor, one limiter object",
          "[limit][redis][shared]") {
  redis_server srv;
  gemini::testing::emulator emu;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits.requests_per_minute = 2;
  o.limits.max_wait = 0ms;
  basic_config<shared_redis_limited> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.limit.policy = std::make_shared<limit::redis>(ioc.get_executor(), o);
  basic_client<shared_redis_limited> a(ioc.get_executor(), cfg), b(ioc.get_executor(), cfg);
  CHECK(run(ioc, a.generate("one")));
  CHECK(run(ioc, b.generate("two")));
  CHECK_FALSE(run(ioc, a.generate("three")));
  CHECK(cfg.limit.policy->stats().granted == 2);  // one object, one connection
  // Without a policy object, each client builds its own from the options and its executor.
  basic_config<shared_redis_limited> own = cfg;
  own.limit.policy = nullptr;
  own.limit.options = o;
  basic_client<shared_redis_limited> c(ioc.get_executor(), own);
  CHECK(&c.limiter().get() != cfg.limit.policy.get());
  CHECK_FALSE(run(ioc, c.generate("four")));  // the limit in Redis is the same
  CHECK(emu.requests() == 2);
}

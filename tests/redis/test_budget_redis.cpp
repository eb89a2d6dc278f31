// budget::redis against a real redis-server each test starts: several budget objects stand
// for several processes sharing one budget (test_budget_processes.cpp runs real processes).
#include <gemini/budget/redis.hpp>
#include <gemini/client.hpp>
#include <gemini/testing/emulator.hpp>

#include "redis/redis_test_util.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <catch2/catch.hpp>

#include <thread>

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using cost::money;
using gemini::testing::redis_server;
using gemini::testing::run;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{};

/// 2026-12-01 12:00 UTC.
const auto noon = std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + 12h;

/// A model at 1 pico-dollar per token (input and output): amounts are token counts.
std::shared_ptr<const cost::price_table> unit_prices() {
  auto t = std::make_shared<cost::price_table>();
  cost::model_price p;
  p.model = "unit";
  p.standard.input = 1;
  p.standard.output = 1;
  t->set(p);
  return t;
}

budget::redis_options options_on(const redis_server& srv) {
  budget::redis_options o;
  o.server.port = srv.port();
  o.name = "test-budget";
  o.prices = unit_prices();
  o.wall_clock = [] { return noon; };
  return o;
}

budget::request unit_call(std::string_view tenant, std::int64_t in, std::int64_t out = 0) {
  return {tenant, "", "unit", in, out};
}

wire::usage_metadata used(std::int64_t prompt, std::int64_t out) {
  wire::usage_metadata u;
  u.prompt_token_count = prompt;
  u.candidates_token_count = out;
  u.total_token_count = prompt + out;
  return u;
}

/// Runs the io_context until the budgets' settlements have been answered.
void drain(asio::io_context& ioc, std::initializer_list<budget::redis_budget*> bs) {
  auto until = std::chrono::steady_clock::now() + 20s;
  auto busy = [&] {
    for (auto* b : bs)
      if (b->pending_sends() != 0) return true;
    return false;
  };
  ioc.restart();
  while (busy() && std::chrono::steady_clock::now() < until) ioc.run_one_for(10ms);
  REQUIRE_FALSE(busy());
}

std::int64_t spent(asio::io_context& ioc, budget::redis_budget& b, std::string_view tenant,
                   std::size_t rule = 0) {
  auto s = run(ioc, b.async_spent(tenant, {}, rule));
  REQUIRE(s);
  return s->pico();
}
std::int64_t reserved(asio::io_context& ioc, budget::redis_budget& b, std::string_view tenant) {
  auto s = run(ioc, b.async_reserved(tenant));
  REQUIRE(s);
  return s->pico();
}

}  // namespace

TEST_CASE("budget::redis models the budget concept (asynchronously)", "[budget][redis][unit]") {
  STATIC_REQUIRE(budget::budget_policy<budget::redis>);
  STATIC_REQUIRE(budget::async_budget_policy<budget::redis>);
}

TEST_CASE("budget::redis: two budget objects share one hard limit", "[budget][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits = {{budget::window::day, 0, 250e-12}};  // 250 pico-dollars a day
  budget::redis_budget a(ioc.get_executor(), o), b(ioc.get_executor(), o);

  auto r1 = run(ioc, a.async_reserve(unit_call("acme", 60, 40), t0));  // 100
  REQUIRE(r1);
  auto r2 = run(ioc, b.async_reserve(unit_call("acme", 100), t0));  // 200 reserved
  REQUIRE(r2);
  auto r3 = run(ioc, a.async_reserve(unit_call("acme", 51), t0));  // 251 > 250
  REQUIRE_FALSE(r3);
  CHECK(r3.error().code == errc::budget_exceeded);
  CHECK_THAT(r3.error().message, Catch::Contains("tenant 'acme'") && Catch::Contains("day") &&
                                     Catch::Contains("hard limit"));
  // Another tenant has its own budget.
  auto other = run(ioc, b.async_reserve(unit_call("globex", 250), t0));
  REQUIRE(other);
  CHECK(reserved(ioc, a, "acme") == 200);

  // The first call used 30 of its 100: 70 come back, 30 are spent.
  auto u = used(20, 10);
  a.settle(*r1, {&u, "unit"}, t0);
  drain(ioc, {&a, &b});
  CHECK(spent(ioc, b, "acme") == 30);
  CHECK(reserved(ioc, b, "acme") == 100);
  auto r4 = run(ioc, a.async_reserve(unit_call("acme", 120), t0));  // 30 + 100 + 120 = 250
  REQUIRE(r4);
  b.release(*r2, t0);
  a.release(*r4, t0);
  b.release(*other, t0);
  drain(ioc, {&a, &b});
  CHECK(reserved(ioc, a, "acme") == 0);
  CHECK(spent(ioc, a, "acme") == 30);
  CHECK(a.stats().admitted + b.stats().admitted == 4);
  CHECK(a.stats().refused == 1);
  CHECK(a.held() == 0);
  CHECK(b.held() == 0);
}

TEST_CASE("budget::redis: amounts past 2^53 pico-dollars compare exactly", "[budget][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits = {{budget::window::month, 0, 10'000}};  // $10,000 = 10^16 pico-dollars
  budget::redis_budget b(ioc.get_executor(), o);
  // Spent so far this month: 10^16 - 1 (a double cannot hold it: it rounds to 10^16).
  const std::string key = "{test-budget}:acme:s:0:month:" +
                          std::to_string(budget::detail::period_of(budget::window::month, noon));
  REQUIRE(run(ioc, b.connection().command("SET", key, "9999999999999999")));
  auto one = run(ioc, b.async_reserve(unit_call("acme", 1), t0));  // exactly at the limit
  REQUIRE(one);
  auto two = run(ioc, b.async_reserve(unit_call("acme", 1), t0));  // one pico-dollar over
  REQUIRE_FALSE(two);
  CHECK(two.error().code == errc::budget_exceeded);
  CHECK_THAT(two.error().message, Catch::Contains("month"));
  auto u = used(1, 0);
  b.settle(*one, {&u, "unit"}, t0);
  drain(ioc, {&b});
  CHECK(spent(ioc, b, "acme") == 10'000'000'000'000'000);
}

TEST_CASE("budget::redis: windows are counted apart, the soft limit is told once",
          "[budget][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits = {{budget::window::hour, 0, 100e-12}, {budget::window::day, 150e-12, 1000e-12}};
  int told = 0;
  money told_amount;
  o.on_soft_limit = [&](const budget::soft_limit_event& e) {
    ++told;
    CHECK(e.key == "acme");
    CHECK(e.per == budget::window::day);
    told_amount = e.spent_and_reserved;
  };
  auto wall = noon;
  o.wall_clock = [&] { return wall; };
  budget::redis_budget a(ioc.get_executor(), o), b(ioc.get_executor(), o);
  auto u = used(90, 0);
  auto r1 = run(ioc, a.async_reserve(unit_call("acme", 90), t0));
  REQUIRE(r1);
  CHECK_FALSE(r1->soft);
  a.settle(*r1, {&u, "unit"}, t0);
  drain(ioc, {&a});
  CHECK_FALSE(run(ioc, b.async_reserve(unit_call("acme", 20), t0)));  // the hour: 90 + 20
  wall += 1h;                                                         // a new hour, same day
  auto r2 = run(ioc, b.async_reserve(unit_call("acme", 80), t0));     // day: 90 + 80 > 150
  REQUIRE(r2);
  CHECK(r2->soft);
  CHECK(told == 1);
  CHECK(told_amount.pico() == 170);
  auto r3 = run(ioc, a.async_reserve(unit_call("acme", 5), t0));  // past it again: not told
  REQUIRE(r3);
  CHECK(r3->soft);
  CHECK(told == 1);
  b.release(*r2, t0);
  a.release(*r3, t0);
  drain(ioc, {&a, &b});
  CHECK(spent(ioc, a, "acme", 0) == 0);   // this hour
  CHECK(spent(ioc, a, "acme", 1) == 90);  // this day
}

TEST_CASE("budget::redis: the reservations of a budget that stopped renewing expire",
          "[budget][redis]") {
  redis_server srv;
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits = {{budget::window::day, 0, 100e-12}};
  o.lease = 300ms;
  budget::redis_budget b(ioc.get_executor(), o);
  {
    budget::redis_budget crashed(ioc.get_executor(), o);
    auto r = run(ioc, crashed.async_reserve(unit_call("acme", 100), t0));
    REQUIRE(r);
    // A long call: the lease is renewed while it runs.
    ioc.restart();
    ioc.run_for(700ms);
    CHECK(crashed.stats().renewals >= 1);
    CHECK_FALSE(run(ioc, b.async_reserve(unit_call("acme", 1), t0)));
  }  // gone without settling, as a process that dies: nothing renews the reservation
  std::this_thread::sleep_for(400ms);
  auto r = run(ioc, b.async_reserve(unit_call("acme", 100), t0));
  REQUIRE(r);
  b.release(*r, t0);
  drain(ioc, {&b});
  CHECK(reserved(ioc, b, "acme") == 0);
}

TEST_CASE("budget::redis: unreachable fails closed, or admits unchecked and charges later",
          "[budget][redis]") {
  asio::io_context ioc;
  budget::redis_options o;
  o.server.port = redis_server::free_port();  // nothing listens there
  o.prices = unit_prices();
  o.limits = {{budget::window::day, 0, 100e-12}};
  SECTION("fail closed") {
    budget::redis_budget b(ioc.get_executor(), o);
    auto r = run(ioc, b.async_reserve(unit_call("acme", 1), t0));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unavailable);
    CHECK_THAT(r.error().message, Catch::Contains("shared budget"));
    CHECK(b.stats().failed_closed == 1);
  }
  SECTION("fail open") {
    o.on_failure = budget::on_store_failure::fail_open;
    o.settle_retry = 200ms;
    budget::redis_budget b(ioc.get_executor(), o);
    auto r = run(ioc, b.async_reserve(unit_call("acme", 1), t0));
    REQUIRE(r);
    CHECK_FALSE(r->checked);
    CHECK(b.stats().unchecked == 1);
    auto u = used(1, 0);
    b.settle(*r, {&u, "unit"}, t0);
    drain(ioc, {&b});
    CHECK(b.stats().resent >= 1);
    CHECK(b.stats().lost == 1);  // nobody to tell for 200 ms: given up, and counted
  }
}

TEST_CASE("budget::redis: Redis restarted (AOF): spending survives, settlements are resent",
          "[budget][redis]") {
  gemini::testing::redis_server_options so;
  so.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  redis_server srv(so);
  asio::io_context ioc;
  auto o = options_on(srv);
  o.limits = {{budget::window::day, 0, 100e-12}};
  budget::redis_budget b(ioc.get_executor(), o);
  auto r1 = run(ioc, b.async_reserve(unit_call("acme", 40), t0));
  REQUIRE(r1);
  auto u = used(40, 0);
  b.settle(*r1, {&u, "unit"}, t0);
  drain(ioc, {&b});
  auto r2 = run(ioc, b.async_reserve(unit_call("acme", 30), t0));
  REQUIRE(r2);

  srv.stop();
  auto down = run(ioc, b.async_reserve(unit_call("acme", 1), t0));
  REQUIRE_FALSE(down);
  CHECK(down.error().code == errc::unavailable);
  auto u2 = used(30, 0);
  b.settle(*r2, {&u2, "unit"}, t0);  // sent while Redis is down: resent until it is back
  ioc.restart();
  ioc.run_for(300ms);
  srv.restart();
  drain(ioc, {&b});
  CHECK(b.stats().resent >= 1);
  CHECK(b.stats().lost == 0);
  CHECK(spent(ioc, b, "acme") == 70);
  CHECK(reserved(ioc, b, "acme") == 0);
  // The scripts were loaded again, and the limit still holds: 70 + 31 > 100.
  auto until = std::chrono::steady_clock::now() + 10s;
  result<budget::redis_budget::reservation> r3 = gemini::error(errc::unavailable, "");
  while (std::chrono::steady_clock::now() < until) {
    r3 = run(ioc, b.async_reserve(unit_call("acme", 31), t0));
    if (r3 || r3.error().code != errc::unavailable) break;
    std::this_thread::sleep_for(20ms);
  }
  REQUIRE_FALSE(r3);
  CHECK(r3.error().code == errc::budget_exceeded);
  CHECK(b.stats().scripts_loaded >= 3);
}

namespace {
struct redis_budgeted : policies::defaults {
  using budget = gemini::budget::redis;
};
}  // namespace

TEST_CASE("1,000 concurrent calls through two clients on budget::redis: N admitted, 0 overspent",
          "[budget][redis][emulator]") {
  redis_server srv;
  gemini::testing::emulator emu;
  emu.set_latency({.first_byte = 500ms});  // every call reserves long before any answer
  asio::io_context ioc;
  basic_config<redis_budgeted> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.client.timeout = 120s;
  cfg.budget.server.port = srv.port();
  cfg.budget.name = "test-budget";
  cfg.budget.server.command_timeout = 5s;  // 1,000 admissions queue on one connection
  generate_request req;
  req.contents.push_back(content::user("Say something short."));
  req.generation_config.emplace();
  req.generation_config->max_output_tokens = 256;

  money one;  // one call's reservation, as the soft-limit hook reports it
  {
    auto probe = cfg;
    probe.budget.name = "probe";
    probe.budget.limits = {{budget::window::day, 1e-12, 0}};
    probe.budget.on_soft_limit = [&](const budget::soft_limit_event& e) {
      one = e.spent_and_reserved;
    };
    basic_client<redis_budgeted> c(ioc.get_executor(), std::move(probe));
    REQUIRE(run(ioc, c.generate(req)));
  }
  REQUIRE(one.pico() > 0);

  constexpr int n = 40;
  cfg.budget.limits = {{budget::window::day, 0, static_cast<double>(n * one.pico()) / 1e12}};
  basic_client<redis_budgeted> c1(ioc.get_executor(), cfg), c2(ioc.get_executor(), cfg);
  int ok = 0, refused = 0, other = 0;
  money charged;
  for (int i = 0; i < 1000; ++i)
    asio::co_spawn(
        ioc,
        [&, i]() -> asio::awaitable<void> {
          auto r = co_await (i % 2 ? c1 : c2).generate(req);
          if (r) {
            ++ok;
            charged += cost::cost_of(cost::price_table::builtin(), r->usage, r->model_version,
                                     cost::today_utc())
                           ->total;
          } else if (r.error().code == errc::budget_exceeded) {
            ++refused;
          } else {
            ++other;
            UNSCOPED_INFO(r.error().message);
          }
        },
        asio::detached);
  ioc.restart();
  auto until = std::chrono::steady_clock::now() + 60s;
  while (ok + refused + other < 1000 && std::chrono::steady_clock::now() < until)
    ioc.run_one_for(10ms);
  CHECK(ok == n);
  CHECK(refused == 1000 - n);
  CHECK(other == 0);
  drain(ioc, {&c1.budget(), &c2.budget()});
  auto spent_now = run(ioc, c1.budget().async_spent(""));
  REQUIRE(spent_now);
  CHECK(spent_now->pico() == charged.pico());                           // exact, to the pico-dollar
  CHECK(spent_now->pico() <= money::from_pico(n * one.pico()).pico());  // overspend: 0
  CHECK(reserved(ioc, c1.budget(), "") == 0);
}

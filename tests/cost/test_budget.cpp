// budget::memory: atomic reservations, settlement with the exact cost, windows.
#include <gemini/budget/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

#include <atomic>
#include <thread>

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using cost::money;

namespace {

/// 2026-12-01 12:00 UTC, movable by the test.
struct fake_wall {
  std::chrono::system_clock::time_point t =
      std::chrono::sys_days{std::chrono::year{2026} / 12 / 1} + 12h;
  auto fn() {
    return [this] { return t; };
  }
};

budget::request flash_call(std::string_view tenant, std::int64_t in = 1'000,
                           std::int64_t out = 1'000) {
  return {tenant, "", "gemini-3.5-flash", in, out};
}

// gemini-3.5-flash (no audio rate): 1000 input tokens at $1.50/1M + 1000 output at $9/1M
constexpr std::int64_t worst_pico =
    std::int64_t{1'000} * 1'500'000 + std::int64_t{1'000} * 9'000'000;

wire::usage_metadata used(std::int64_t prompt, std::int64_t out) {
  wire::usage_metadata u;
  u.prompt_token_count = prompt;
  u.candidates_token_count = out;
  u.total_token_count = prompt + out;
  return u;
}

const auto t0 = std::chrono::steady_clock::time_point{};

}  // namespace

TEST_CASE("budget::memory models the budget concept", "[budget][unit]") {
  STATIC_REQUIRE(budget::budget_policy<budget::memory<>>);
  STATIC_REQUIRE(budget::budget_policy<budget::basic_memory<sync::multi_thread>>);
}

TEST_CASE("budget::memory: reserve the worst case, settle the actual cost", "[budget][unit]") {
  fake_wall wall;
  budget::memory_options o;
  o.limits = {{budget::window::day, 0, 1.0}};  // $1 a day
  o.wall_clock = wall.fn();
  budget::memory<> b(o);
  auto r = b.reserve(flash_call("acme"), t0);
  REQUIRE(r);
  CHECK(r->amount == worst_pico);
  CHECK(b.reserved("acme").pico() == worst_pico);
  CHECK(b.spent("acme").pico() == 0);
  auto u = used(400, 100);
  b.settle(*r, {&u, "gemini-3.5-flash", false}, t0);
  CHECK(b.reserved("acme").pico() == 0);
  CHECK(b.spent("acme").pico() == std::int64_t{400} * 1'500'000 + std::int64_t{100} * 9'000'000);
  // released: nothing charged
  auto r2 = b.reserve(flash_call("acme"), t0);
  REQUIRE(r2);
  b.release(*r2, t0);
  CHECK(b.reserved("acme").pico() == 0);
  CHECK(b.spent("acme").pico() == std::int64_t{400} * 1'500'000 + std::int64_t{100} * 9'000'000);
  // a cache hit costs nothing
  auto r3 = b.reserve(flash_call("acme"), t0);
  b.settle(*r3, {nullptr, "", true}, t0);
  CHECK(b.spent("acme").pico() == std::int64_t{400} * 1'500'000 + std::int64_t{100} * 9'000'000);
  auto s = b.stats();
  CHECK(s.admitted == 3);
  CHECK(s.settled == 2);
  CHECK(s.released == 1);
  CHECK(s.spent.pico() == std::int64_t{400} * 1'500'000 + std::int64_t{100} * 9'000'000);
}

TEST_CASE("budget::memory: a hard limit refuses with the tenant, window and amounts",
          "[budget][unit]") {
  fake_wall wall;
  budget::memory_options o;
  o.limits = {{budget::window::hour, 0, 0.021}};  // two worst cases fit ($0.0105 each)
  o.wall_clock = wall.fn();
  budget::memory<> b(o);
  auto a = b.reserve(flash_call("acme"), t0);
  auto c = b.reserve(flash_call("acme"), t0);
  REQUIRE(a);
  REQUIRE(c);
  auto refused = b.reserve(flash_call("acme"), t0);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == errc::budget_exceeded);
  CHECK(refused.error().message ==
        "budget of tenant 'acme' for this hour exceeded: $0.000000 spent + $0.021000 reserved + "
        "$0.010500 for this call > hard limit $0.021000");
  CHECK(b.reserve(flash_call("other"), t0));  // another tenant, its own budget
  b.release(*a, t0);
  CHECK(b.reserve(flash_call("acme"), t0));  // released: room again
}

TEST_CASE("budget::memory: windows reset at their UTC boundaries", "[budget][unit]") {
  fake_wall wall;
  wall.t = std::chrono::sys_days{std::chrono::year{2026} / 12 / 31} + 23h + 59min;
  budget::memory_options o;
  o.limits = {{budget::window::day, 0, 0.0105}, {budget::window::month, 0, 0.022}};
  o.wall_clock = wall.fn();
  budget::memory<> b(o);
  auto u = used(1'000, 1'000);  // costs the worst case exactly
  auto r = b.reserve(flash_call("acme"), t0);
  REQUIRE(r);
  b.settle(*r, {&u, "gemini-3.5-flash", false}, t0);
  CHECK_FALSE(b.reserve(flash_call("acme"), t0));  // the day's $0.0105 is spent
  wall.t += 2min;                                  // 2027-01-01 00:01: new day, new month
  auto r2 = b.reserve(flash_call("acme"), t0);
  REQUIRE(r2);
  b.settle(*r2, {&u, "gemini-3.5-flash", false}, t0);
  CHECK(b.spent("acme", "", 0).pico() == worst_pico);
  CHECK(b.spent("acme", "", 1).pico() == worst_pico);  // the month restarted too
  wall.t += 24h;
  auto r3 = b.reserve(flash_call("acme"), t0);
  REQUIRE(r3);
  b.settle(*r3, {&u, "gemini-3.5-flash", false}, t0);
  wall.t += 24h;  // a fresh day, the same month: 2 x 0.0105 + 0.0105 > 0.022
  auto r4 = b.reserve(flash_call("acme"), t0);
  REQUIRE_FALSE(r4);
  CHECK_THAT(r4.error().message, Catch::Contains("for this month"));
}

TEST_CASE("budget::memory: calls in flight across a window boundary stay reserved",
          "[budget][unit]") {
  fake_wall wall;
  wall.t += 59s;  // 12:00:59
  budget::memory_options o;
  o.limits = {{budget::window::minute, 0, worst_pico / 1e12}};  // one worst case a minute
  o.wall_clock = wall.fn();
  budget::memory<> b(o);
  auto r1 = b.reserve(flash_call("acme"), t0);
  REQUIRE(r1);
  wall.t += 2s;  // 12:01:01, r1 still in flight
  CHECK(b.reserved("acme").pico() == worst_pico);
  CHECK_FALSE(b.reserve(flash_call("acme"), t0));  // r1 may still cost its worst case here
  auto u = used(1'000, 1'000);
  b.settle(*r1, {&u, "gemini-3.5-flash", false}, t0);
  CHECK(b.spent("acme").pico() == worst_pico);  // charged in the minute it ended in
  CHECK(b.reserved("acme").pico() == 0);
  CHECK_FALSE(b.reserve(flash_call("acme"), t0));
}

TEST_CASE("budget::memory: the soft limit tells the hook once, the call goes on",
          "[budget][unit]") {
  fake_wall wall;
  budget::memory_options o;
  o.limits = {{budget::window::day, 0.015, 1.0}};
  o.wall_clock = wall.fn();
  std::vector<std::string> told;
  o.on_soft_limit = [&](const budget::soft_limit_event& e) {
    told.push_back(std::string(e.key) + " " + budget::to_string(e.per) + " " +
                   e.spent_and_reserved.usd());
  };
  budget::memory<> b(o);
  auto a = b.reserve(flash_call("acme"), t0);
  CHECK_FALSE(a->soft);
  auto c = b.reserve(flash_call("acme"), t0);
  REQUIRE(c);
  CHECK(c->soft);
  auto d = b.reserve(flash_call("acme"), t0);
  CHECK(d->soft);
  REQUIRE(told.size() == 1);
  CHECK(told[0] == "acme day $0.021000");
}

TEST_CASE("budget::memory: an unpriced model is refused unless admitted explicitly",
          "[budget][unit]") {
  budget::memory_options o;
  o.limits = {{budget::window::day, 0, 1.0}};
  budget::memory<> strict(o);
  auto r = strict.reserve({"acme", "", "gemini-9-ultra", 10, 10}, t0);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::not_found);
  CHECK_THAT(r.error().message, Catch::Contains("admit_unpriced"));
  o.admit_unpriced = true;
  budget::memory<> lax(o);
  auto r2 = lax.reserve({"acme", "", "gemini-9-ultra", 10, 10}, t0);
  REQUIRE(r2);
  CHECK(lax.stats().unpriced == 1);
}

TEST_CASE("1,000 concurrent reservations on four threads admit exactly N", "[budget][threads]") {
  constexpr int n = 137;
  budget::memory_options o;
  o.limits = {{budget::window::month, 0, n * (worst_pico / 1e12)}};
  budget::basic_memory<sync::multi_thread> b(o);
  std::atomic<int> admitted{0}, refused{0};
  std::vector<std::vector<budget::basic_memory<sync::multi_thread>::reservation>> held(4);
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        auto r = b.reserve(flash_call("acme"), t0);
        if (r) {
          ++admitted;
          held[static_cast<std::size_t>(t)].push_back(std::move(*r));
        } else {
          ++refused;
        }
      }
    });
  for (auto& t : ts) t.join();
  CHECK(admitted == n);
  CHECK(refused == 1000 - n);
  auto u = used(1'000, 1'000);  // every admitted call costs its worst case
  for (auto& v : held)
    for (auto& r : v) b.settle(r, {&u, "gemini-3.5-flash", false}, t0);
  CHECK(b.spent("acme").pico() == n * worst_pico);  // exactly the limit: overspend 0
  CHECK(b.reserved("acme").pico() == 0);
}

namespace {
struct budgeted : policies::defaults {
  using budget = gemini::budget::memory<>;
};
}  // namespace

TEST_CASE("1,000 concurrent calls through the client: N admitted, the exact cost charged",
          "[budget][emulator]") {
  gemini::testing::emulator emu;
  // Every call reserves when it starts, long before the first answer arrives.
  emu.set_latency({.first_byte = 500ms});
  asio::io_context ioc;
  basic_config<budgeted> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.client.timeout = 120s;
  generate_request req;
  req.contents.push_back(content::user("Say something short."));
  req.generation_config.emplace();
  req.generation_config->max_output_tokens = 256;

  // One call's reservation (its estimate at the input price + 256 output tokens), as the
  // soft-limit hook reports it at the first admission.
  money one;
  {
    auto probe = cfg;
    probe.budget.limits = {{budget::window::day, 1e-12, 0}};
    probe.budget.on_soft_limit = [&](const budget::soft_limit_event& e) {
      one = e.spent_and_reserved;
    };
    basic_client<budgeted> c(ioc.get_executor(), std::move(probe));
    REQUIRE(gemini::test::run(ioc, c.generate(req)));
  }
  REQUIRE(one.pico() > 0);

  constexpr int n = 40;
  cfg.budget.limits = {{budget::window::day, 0, static_cast<double>(n * one.pico()) / 1e12}};
  basic_client<budgeted> c(ioc.get_executor(), cfg);
  int ok = 0, refused = 0, other = 0;
  money charged;  // what the answers cost, priced here from their usageMetadata
  for (int i = 0; i < 1000; ++i)
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          auto r = co_await c.generate(req);
          if (r) {
            ++ok;
            charged += cost::cost_of(cost::price_table::builtin(), r->usage, r->model_version,
                                     cost::today_utc())
                           ->total;
          } else if (r.error().code == errc::budget_exceeded) {
            ++refused;
          } else {
            ++other;
          }
        },
        asio::detached);
  ioc.restart();
  ioc.run();
  CHECK(ok == n);
  CHECK(refused == 1000 - n);
  CHECK(other == 0);
  CHECK(emu.requests("generateContent") == n + 1);
  CHECK(c.budget().spent("").pico() == charged.pico());             // exact, to the pico-dollar
  CHECK(c.budget().spent("") <= money::from_pico(n * one.pico()));  // overspend: 0
  CHECK(c.budget().reserved("").pico() == 0);
}

namespace {

/// A budget that answers after a timer, as one kept in Redis would after a round trip:
/// admits up to `room` calls in flight, counts what the host does with them.
struct async_budget {
  using slot = gemini::slot::budget;
  struct reservation {
    int id = 0;
  };
  struct options_type {
    int room = 1;
    std::chrono::milliseconds delay{1};
    std::shared_ptr<int> settled = std::make_shared<int>(0);
    std::shared_ptr<int> released = std::make_shared<int>(0);
  };
  explicit async_budget(asio::any_io_executor ex, options_type o) : ex_(ex), o_(o) {}
  async_budget(const async_budget&) = delete;

  asio::awaitable<result<reservation>> async_reserve(const budget::request& q,
                                                     std::chrono::steady_clock::time_point) {
    std::string tenant(q.tenant);  // read before the wait: views live as long as the call
    asio::steady_timer t(ex_, o_.delay);
    co_await t.async_wait(asio::use_awaitable);
    if (in_flight_ >= o_.room)
      co_return gemini::error(errc::budget_exceeded, "no room for " + tenant);
    ++in_flight_;
    co_return reservation{++next_};
  }
  void settle(reservation&, const budget::actual&, std::chrono::steady_clock::time_point) {
    --in_flight_;
    ++*o_.settled;
  }
  void release(reservation&, std::chrono::steady_clock::time_point) {
    --in_flight_;
    ++*o_.released;
  }

  asio::any_io_executor ex_;
  options_type o_;
  int in_flight_ = 0, next_ = 0;
};

struct async_budgeted : policies::defaults {
  using budget = async_budget;
};

}  // namespace

TEST_CASE("a budget that admits through an awaitable", "[budget][emulator]") {
  STATIC_REQUIRE(budget::async_budget_policy<async_budget>);
  STATIC_REQUIRE_FALSE(budget::async_budget_policy<budget::memory<>>);
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_config<async_budgeted> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  auto settled = cfg.budget.settled, released = cfg.budget.released;
  basic_client<async_budgeted> c(ioc.get_executor(), cfg);
  call_options o;
  o.tenant = "acme";
  CHECK(gemini::test::run(ioc, c.generate("one", o)));
  CHECK(*settled == 1);
  // Two at once with room for one: the second is refused by the awaitable's answer.
  std::optional<result<generate_response>> a, b;
  asio::co_spawn(ioc, gemini::test::store(c.generate("two", o), &a), asio::detached);
  asio::co_spawn(ioc, gemini::test::store(c.generate("three", o), &b), asio::detached);
  ioc.restart();
  ioc.run();
  REQUIRE(a);
  REQUIRE(b);
  CHECK(*a);
  REQUIRE_FALSE(*b);
  CHECK(b->error().code == errc::budget_exceeded);
  CHECK(b->error().message == "no room for acme");
  CHECK(*settled == 2);
  // A failed call releases; a stream settles.
  emu.push_fault(gemini::testing::fault_kind::http_500);
  CHECK_FALSE(gemini::test::run(ioc, c.generate("four", o)));
  CHECK(*released == 1);
  std::string text;
  auto s = gemini::test::run(
      ioc, c.stream("five", [&](const generate_response& ch) { text += ch.text(); }));
  CHECK(s);
  CHECK(*settled == 3);
  CHECK(c.budget().in_flight_ == 0);
  CHECK(emu.requests() == 4);
}

TEST_CASE("a call cancelled while its budget is answering holds nothing", "[budget][emulator]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_config<async_budgeted> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.budget.delay = 60s;
  basic_client<async_budgeted> c(ioc.get_executor(), cfg);
  asio::cancellation_signal cancel;
  std::optional<result<generate_response>> r;
  asio::co_spawn(ioc, gemini::test::store(c.generate("never sent"), &r),
                 asio::bind_cancellation_slot(cancel.slot(), asio::detached));
  ioc.restart();
  ioc.poll();  // the call is waiting for the budget's timer
  cancel.emit(asio::cancellation_type::terminal);
  ioc.run();
  REQUIRE(r);
  REQUIRE_FALSE(*r);
  CHECK(r->error().code == errc::cancelled);
  CHECK(c.budget().in_flight_ == 0);
  CHECK(*cfg.budget.settled == 0);
  CHECK(*cfg.budget.released == 0);
  CHECK(emu.requests() == 0);
}

TEST_CASE("past the soft limit: the cheaper model and the compacted prompt, as configured",
          "[budget][emulator]") {
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_config<budgeted> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  cfg.budget.past_soft_limit = {{{"gemini-2.5-pro", "gemini-2.5-flash"}}, true};
  generate_request req;
  req.contents.push_back(content::user("Summarise   this:\n\n\n\nThe sea   is calm.   "));
  call_options pro;
  pro.model = "gemini-2.5-pro";

  SECTION("under it: as asked") {
    cfg.budget.limits = {{budget::window::day, 100, 0}};
    basic_client<budgeted> c(ioc.get_executor(), cfg);
    auto r = gemini::test::run(ioc, c.generate(req, pro));
    REQUIRE(r);
    CHECK_THAT(emu.last_request().target, Catch::Contains("gemini-2.5-pro:generateContent"));
    CHECK_THAT(emu.last_request().body, Catch::Contains("Summarise   this:"));
  }
  SECTION("past it: the cheaper model, compacted, charged at the cheaper price") {
    cfg.budget.limits = {{budget::window::day, 1e-12, 0}};
    int told = 0;
    cfg.budget.on_soft_limit = [&](const budget::soft_limit_event&) { ++told; };
    basic_client<budgeted> c(ioc.get_executor(), cfg);
    auto r = gemini::test::run(ioc, c.generate(req, pro));
    REQUIRE(r);
    CHECK(told == 1);
    CHECK_THAT(emu.last_request().target, Catch::Contains("gemini-2.5-flash:generateContent"));
    CHECK_THAT(emu.last_request().body, Catch::Contains("Summarise this:\\n\\nThe sea is calm."));
    auto priced = cost::cost_of(cost::price_table::builtin(), r->usage, "gemini-2.5-flash",
                                cost::today_utc());
    REQUIRE(priced);
    CHECK(c.budget().spent("").pico() == priced->total.pico());
    // A model without a cheaper one listed goes as asked, compacted.
    call_options lite;
    lite.model = "gemini-2.5-flash-lite";
    REQUIRE(gemini::test::run(ioc, c.generate(req, lite)));
    CHECK_THAT(emu.last_request().target, Catch::Contains("gemini-2.5-flash-lite:generateContent"));
  }
  SECTION("past it: a long conversation loses its oldest turns") {
    cfg.budget.limits = {{budget::window::day, 1e-12, 0}};
    cfg.budget.past_soft_limit = {{}, false, 200};
    basic_client<budgeted> c(ioc.get_executor(), cfg);
    generate_request chat;
    for (int i = 0; i < 10; ++i) {
      chat.contents.push_back(
          content::user("old question " + std::to_string(i) + " " + std::string(300, 'q')));
      chat.contents.push_back(content::model("old answer " + std::string(300, 'a')));
    }
    chat.contents.push_back(content::user("the latest question"));
    REQUIRE(gemini::test::run(ioc, c.generate(chat)));
    const auto& body = emu.last_request().body;
    CHECK_THAT(body, Catch::Contains("the latest question"));
    CHECK_THAT(body, !Catch::Contains("old question 0 "));
    CHECK(body.size() < 200 * 4 + 200);
  }
}

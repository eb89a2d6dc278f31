// budget::redis shared by real processes (tests/redis/budget_worker.cpp) on a redis-server
// this test starts: exactly N admitted across processes, 0 overspent; the reservations of a
// process killed with SIGKILL come back after their lease; Redis restarted mid-run.
#include <gemini/budget/redis.hpp>

#include "redis/process_util.hpp"
#include "redis/redis_test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#ifndef GEMINI_BUDGET_WORKER
#error "GEMINI_BUDGET_WORKER: the path of the budget_worker executable"
#endif

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::testing::redis_server;
using gemini::testing::wait_exit;

namespace {

pid_t spawn(std::vector<std::string> args) {
  return gemini::testing::spawn_process(GEMINI_BUDGET_WORKER, std::move(args));
}

/// What the workers' budget holds in Redis (worker calls cost 100 pico-dollars each).
struct view {
  asio::io_context ioc;
  budget::redis_budget b;
  view(const redis_server& srv, const std::string& name, std::int64_t hard_pico)
      : b(ioc.get_executor(), [&] {
          budget::redis_options o;
          o.server.port = srv.port();
          o.name = name;
          o.limits = {{budget::window::day, 0, static_cast<double>(hard_pico) / 1e12}};
          auto t = std::make_shared<cost::price_table>();
          cost::model_price p;
          p.model = "unit";
          p.standard.input = 1;
          t->set(p);
          o.prices = t;
          return o;
        }()) {}
  std::int64_t spent() {
    auto s = gemini::testing::run(ioc, b.async_spent("acme"));
    REQUIRE(s);
    return s->pico();
  }
  std::int64_t reserved() {
    auto s = gemini::testing::run(ioc, b.async_reserved("acme"));
    REQUIRE(s);
    return s->pico();
  }
  bool admits() {
    auto r = gemini::testing::run(ioc, b.async_reserve({"acme", "", "unit", 100, 0}, {}));
    if (!r) return false;
    b.release(*r, {});
    gemini::testing::run(ioc, [](budget::redis_budget& b) -> asio::awaitable<void> {
      asio::steady_timer t(co_await asio::this_coro::executor);
      while (b.pending_sends() != 0) {
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
      }
    }(b));
    return true;
  }
};

}  // namespace

TEST_CASE("four processes, 1,000 concurrent reservations: exactly N admitted, 0 overspent",
          "[budget][redis][processes]") {
  redis_server srv;
  auto dir = gemini::testing::temp_dir();
  constexpr int procs = 4, n = 100;
  const std::string hard = std::to_string(n * 100);
  std::vector<pid_t> pids;
  for (int i = 0; i < procs; ++i)
    pids.push_back(spawn({"race", std::to_string(srv.port()), "race", hard, "250",
                          (dir / std::to_string(i)).string()}));
  for (auto pid : pids) CHECK(wait_exit(pid) == 0);
  long total = 0, lost = 0;
  for (int i = 0; i < procs; ++i) {
    long a = -1, l = -1;
    std::ifstream(dir / std::to_string(i)) >> a >> l;
    REQUIRE(a >= 0);
    total += a;
    lost += l;
  }
  std::filesystem::remove_all(dir);
  CHECK(total == n);
  CHECK(lost == 0);
  view v(srv, "race", n * 100);
  CHECK(v.spent() == n * 100);  // every admitted call settled at its full cost: exactly the budget
  CHECK(v.reserved() == 0);
}

TEST_CASE("the reservations of a killed process come back after their lease",
          "[budget][redis][processes]") {
  redis_server srv;
  auto dir = gemini::testing::temp_dir();
  auto out = dir / "held";
  auto pid = spawn({"hold", std::to_string(srv.port()), "killed", "300", "3", "500", out.string()});
  REQUIRE(gemini::testing::wait_for_word(out, "held"));
  view v(srv, "killed", 300);
  std::this_thread::sleep_for(1500ms);  // three leases: the live worker renews them
  CHECK(v.reserved() == 300);
  CHECK_FALSE(v.admits());
  ::kill(pid, SIGKILL);
  CHECK(wait_exit(pid) == 128 + SIGKILL);
  bool admitted = false;
  auto until = std::chrono::steady_clock::now() + 20s;
  while (!admitted && std::chrono::steady_clock::now() < until) {
    admitted = v.admits();
    if (!admitted) std::this_thread::sleep_for(20ms);
  }
  CHECK(admitted);
  CHECK(v.reserved() == 0);  // all three were dropped, and the test's own released
  CHECK(v.spent() == 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("four processes while Redis restarts (AOF): N admitted, N charged, nothing lost",
          "[budget][redis][processes]") {
  gemini::testing::redis_server_options so;
  so.extra_args = {"--appendonly", "yes", "--appendfsync", "always"};
  redis_server srv(so);
  auto dir = gemini::testing::temp_dir();
  constexpr int procs = 4, n = 150;
  const std::string hard = std::to_string(n * 100);
  std::vector<pid_t> pids;
  for (int i = 0; i < procs; ++i)
    pids.push_back(spawn({"steady", std::to_string(srv.port()), "restart", hard, "4000",
                          (dir / std::to_string(i)).string()}));
  {
    view early(srv, "restart", n * 100);  // Redis goes down while the workers spend
    auto until = std::chrono::steady_clock::now() + 20s;
    while (early.spent() == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
  }
  srv.stop();
  std::this_thread::sleep_for(300ms);
  srv.restart();
  for (auto pid : pids) CHECK(wait_exit(pid) == 0);
  long total = 0, lost = 0, unavailable = 0;
  for (int i = 0; i < procs; ++i) {
    long a = -1, l = -1, u = -1;
    std::ifstream(dir / std::to_string(i)) >> a >> l >> u;
    REQUIRE(a >= 0);
    total += a;
    lost += l;
    unavailable += u;
  }
  std::filesystem::remove_all(dir);
  INFO(total << " admitted, " << unavailable << " refused while Redis was down");
  CHECK(unavailable > 0);  // the outage was seen
  CHECK(lost == 0);
  CHECK(total == n);
  view v(srv, "restart", n * 100);
  CHECK(v.spent() == n * 100);
}

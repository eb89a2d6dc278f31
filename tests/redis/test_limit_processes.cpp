// limit::redis shared by real processes (tests/redis/limit_worker.cpp), on a redis-server
// this test starts: the total admitted stays within the limit, no process is starved, and
// the slots of a process killed with SIGKILL come back after its lease.
#include <gemini/limit/redis.hpp>

#include "redis/process_util.hpp"
#include "redis/redis_test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#ifndef GEMINI_LIMIT_WORKER
#error "GEMINI_LIMIT_WORKER: the path of the limit_worker executable"
#endif

namespace asio = boost::asio;
using namespace gemini;
using namespace std::chrono_literals;
using gemini::testing::redis_server;

namespace {

pid_t spawn(std::vector<std::string> args) {
  return gemini::testing::spawn_process(GEMINI_LIMIT_WORKER, std::move(args));
}
using gemini::testing::temp_dir;
using gemini::testing::wait_exit;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

TEST_CASE("four processes share 600 RPM / 60,000 TPM", "[limit][redis][processes]") {
  redis_server srv;
  auto dir = temp_dir();
  constexpr int procs = 4;
  constexpr double scale = 20;  // 3 s of real time are a minute of the limiter's time
  const std::string epoch = std::to_string(wall_ms());
  auto t0 = std::chrono::steady_clock::now();
  std::vector<pid_t> pids;
  for (int i = 0; i < procs; ++i)
    pids.push_back(spawn({"race", std::to_string(srv.port()), "four-procs", epoch,
                          std::to_string(scale), "3000", (dir / std::to_string(i)).string()}));
  for (auto pid : pids) CHECK(wait_exit(pid) == 0);
  auto minutes =
      std::chrono::duration<double, std::ratio<60>>(std::chrono::steady_clock::now() - t0).count() *
      scale;  // an upper bound of the limiter time the workers ran

  long total = 0, tokens = 0;
  std::vector<long> each;
  for (int i = 0; i < procs; ++i) {
    long n = -1, t = -1;
    std::ifstream(dir / std::to_string(i)) >> n >> t;
    REQUIRE(n >= 0);
    each.push_back(n);
    total += n;
    tokens += t;
  }
  std::filesystem::remove_all(dir);
  INFO("admitted " << each[0] << ", " << each[1] << ", " << each[2] << ", " << each[3] << " (total "
                   << total << ", " << tokens << " tokens) in " << minutes << " limiter minutes");
  // Within the limit: the burst (0.1 of a minute) plus the rate over the time run, with
  // one unit of rounding.
  CHECK(total <= static_cast<long>(60 + 600 * minutes) + 1);
  CHECK(tokens <= static_cast<long>(6000 + 60000 * minutes) + 150);
  CHECK(total >= 300);  // the limit was used (half a minute's worth at least)
  for (long n : each) CHECK(n >= total * 15 / 100);  // nobody starved
}

TEST_CASE("the slots of a killed process come back after its lease", "[limit][redis][processes]") {
  redis_server srv;
  auto dir = temp_dir();
  auto out = (dir / "held").string();
  auto pid = spawn({"hold", std::to_string(srv.port()), "killed-proc", "3", "500", out});
  REQUIRE(gemini::testing::wait_for_word(out, "held"));

  asio::io_context ioc;
  limit::redis_limit_options o;
  o.server.port = srv.port();
  o.name = "killed-proc";
  o.on_failure = limit::on_store_failure::fail_closed;
  o.limits.max_concurrency = 3;
  limit::redis_limiter l(ioc.get_executor(), o);
  limit::cost c;
  c.model = "gemini-2.5-flash";
  auto ask = [&] {
    return gemini::testing::run(ioc, l.async_try_acquire(c, std::chrono::steady_clock::now()));
  };
  std::this_thread::sleep_for(1500ms);  // three leases: the live worker renews its slots
  CHECK_FALSE(ask().granted);
  ::kill(pid, SIGKILL);
  CHECK(wait_exit(pid) == 128 + SIGKILL);
  CHECK_FALSE(ask().granted);  // still held: the lease has not expired yet
  int granted = 0;
  auto until = std::chrono::steady_clock::now() + 20s;
  while (granted < 3 && std::chrono::steady_clock::now() < until) {
    if (ask().granted)
      ++granted;
    else
      std::this_thread::sleep_for(20ms);
  }
  CHECK(granted == 3);  // all three slots of the dead process came back
  std::filesystem::remove_all(dir);
}

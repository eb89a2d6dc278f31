// Redis: the cache-hit round trip through the client (cache::redis), an admission through
// limit::redis (the Lua script), and a bare GET on gemini::redis::connection, beside
// `redis-benchmark -t get` against the same server in the same run. The benchmark starts its own
// redis-server on a free loopback port. BM_redis_queue: jobs through the durable queue
// (redis_queue submits, a redis_worker with the default 5/3/1 lanes runs them through a
// client with an instant transport): jobs per second and Redis commands per job.
//
//   build/benchmarks/bm_redis --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <gemini/cache/redis.hpp>
#include <gemini/client.hpp>
#include <gemini/limit/redis.hpp>
#include <gemini/queue/redis.hpp>
#include <gemini/redis/connection.hpp>

#include "redis/redis_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <benchmark/benchmark.h>

#include "fixed_transport.hpp"

#include <cstdio>
#include <memory>

namespace asio = boost::asio;
using namespace gemini;
using gemini::bench::drive;
using gemini::bench::fixed_transport;

namespace {

gemini::testing::redis_server& server() {
  static gemini::testing::redis_server s;
  return s;
}

struct redis_policies : policies::defaults {
  using transport = fixed_transport;
  using cache = gemini::cache::redis;
};

constexpr int calls_per_iteration = 200;

/// A 1 KB cache hit through the whole client: key, GET, decode, copy.
void BM_client_redis_hit(benchmark::State& state) {
  asio::io_context ioc(1);
  client_options o;
  o.base_url = "http://127.0.0.1:1/v1beta";
  basic_client<redis_policies> c(ioc.get_executor(), o);
  cache::redis_options ro;
  ro.server.port = server().port();
  c.cache().reconfigure(ro);
  wire::generate_content_request req;
  req.contents.push_back(wire::content::user(std::string(1024, 'x')));
  std::size_t misses = 0;
  auto loop = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < calls_per_iteration; ++i) {
      auto fresh = req;
      auto r = co_await c.generate(std::move(fresh));
      if (!r || r->delivery.from != wire::source::cache) ++misses;
    }
  };
  asio::co_spawn(ioc, loop(), asio::detached);  // warm: the first call stores
  ioc.run();
  misses = 0;
  drive(state, ioc, loop, calls_per_iteration);
  if (misses) state.SkipWithError("cache misses in the measured loop");
}
BENCHMARK(BM_client_redis_hit)->Unit(benchmark::kMicrosecond)->UseRealTime();

struct fixed_policies : policies::defaults {
  using transport = fixed_transport;
};

void BM_redis_queue(benchmark::State& state) {
  asio::io_context ioc(1);
  redis::options ro;
  ro.port = server().port();
  redis::connection conn(ioc.get_executor(), ro);
  client_options o;
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.model = "gemini-2.5-flash";
  basic_client<fixed_policies> c(ioc.get_executor(), o);
  queue::redis_options qo;
  qo.prefix = "bm:queue";
  qo.poll = std::chrono::milliseconds(1);
  queue::redis_queue q(conn, qo);
  queue::redis_worker<decltype(c)> w(c, conn, qo);
  asio::co_spawn(ioc, w.run(), asio::detached);
  wire::generate_content_request req;
  req.contents.push_back(wire::content::user("Summarise the attached ticket in one line."));
  std::int64_t target = 0;
  std::uint64_t failures = 0, commands = 0;
  for (auto _ : state) {
    const auto sent_before = conn.stats().commands_sent;
    target += calls_per_iteration;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < calls_per_iteration; ++i) {
            queue::job j;
            j.request = req;
            j.lane = i % 3 == 0 ? "high" : i % 3 == 1 ? "medium" : "low";
            auto id = co_await q.submit(std::move(j));
            if (!id) ++failures;
          }
          asio::steady_timer t(ioc);
          for (;;) {
            auto n = co_await q.ended();
            if (!n) ++failures;
            if (!n || *n >= target) break;
            t.expires_after(std::chrono::microseconds(200));
            co_await t.async_wait(asio::use_awaitable);
          }
        },
        [&](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
          ioc.stop();
        });
    ioc.restart();
    ioc.run();
    commands += conn.stats().commands_sent - sent_before;
  }
  w.stop();
  ioc.restart();
  ioc.run_for(std::chrono::milliseconds(50));
  state.SetItemsProcessed(state.iterations() * calls_per_iteration);
  state.counters["redis_commands_per_job"] =
      double(commands) / double(state.iterations() * calls_per_iteration);
  if (failures) state.SkipWithError("a submit or a read failed");
}
BENCHMARK(BM_redis_queue)->Unit(benchmark::kMillisecond)->UseRealTime();

/// A bare GET of a small value on one pipelined connection, one at a time.
void BM_connection_get(benchmark::State& state) {
  asio::io_context ioc(1);
  redis::options ro;
  ro.port = server().port();
  redis::connection conn(ioc.get_executor(), ro);
  std::size_t failures = 0;
  auto loop = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < calls_per_iteration; ++i) {
      auto r = co_await conn.command("GET", "key:__rand_int__");
      if (!r) ++failures;
    }
  };
  drive(state, ioc, loop, calls_per_iteration);
  if (failures) state.SkipWithError("failures");
}
BENCHMARK(BM_connection_get)->Unit(benchmark::kMicrosecond)->UseRealTime();

/// An admission through limit::redis: one EVALSHA of the acquire script (RPM, TPM and a
/// concurrency cap checked and taken), one at a time. `settle`: the release sends the
/// settlement of tokens and the freed slot too (not awaited, pipelined with the next).
void limit_admission(benchmark::State& state, bool settle) {
  asio::io_context ioc(1);
  limit::redis_limit_options o;
  o.server.port = server().port();
  o.name = settle ? "bm-settle" : "bm-admit";
  o.limits.requests_per_minute = 1e12;
  o.limits.tokens_per_minute = 1e15;
  if (settle) o.limits.max_concurrency = 1'000'000;
  o.on_failure = limit::on_store_failure::fail_closed;
  limit::redis_limiter l(ioc.get_executor(), o);
  limit::cost c{100};
  c.model = "gemini-2.5-flash";
  std::size_t refused = 0;
  auto loop = [&]() -> asio::awaitable<void> {
    for (int i = 0; i < calls_per_iteration; ++i) {
      auto g = co_await l.async_try_acquire(c, std::chrono::steady_clock::now());
      if (!g.granted) ++refused;
      l.release(c, settle ? 80 : 100, std::chrono::steady_clock::now());
    }
  };
  drive(state, ioc, loop, calls_per_iteration);
  if (refused) state.SkipWithError("refused admissions");
}
void BM_limit_redis_admission(benchmark::State& state) { limit_admission(state, false); }
void BM_limit_redis_admission_and_settle(benchmark::State& state) { limit_admission(state, true); }
BENCHMARK(BM_limit_redis_admission)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_limit_redis_admission_and_settle)->Unit(benchmark::kMicrosecond)->UseRealTime();

/// Baseline: redis-benchmark's GET, one client, no pipelining, same server, in this run.
void BM_redis_benchmark_get(benchmark::State& state) {
  double us_per_request = 0;
  for (auto _ : state) {
    std::string cmd = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(server().port()) +
                      " -t get -n 20000 -c 1 -P 1 --csv 2>/dev/null";
    std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
    if (!p) {
      state.SkipWithError("redis-benchmark did not start");
      return;
    }
    char line[512];
    double rps = 0;
    while (std::fgets(line, sizeof line, p.get())) {
      // "GET","41322.31",... (the first number is requests per second)
      if (std::string_view(line).substr(0, 5) == "\"GET\"") rps = std::atof(line + 7);
    }
    if (rps <= 0) {
      state.SkipWithError("could not read redis-benchmark's output");
      return;
    }
    us_per_request = 1e6 / rps;
    state.SetIterationTime(us_per_request * 1e-6 * calls_per_iteration);
  }
  state.counters["us_per_get"] = us_per_request;
  state.SetItemsProcessed(state.iterations() * calls_per_iteration);
}
BENCHMARK(BM_redis_benchmark_get)->Unit(benchmark::kMicrosecond)->UseManualTime()->Iterations(1);

}  // namespace

BENCHMARK_MAIN();

// A process of the limit::redis multi-process tests (test_limit_processes.cpp).
//   limit_worker race <port> <name> <epoch ms> <scale> <run ms> <out file>
//     8 coroutines take admissions as fast as the shared limit allows for <run ms>, each
//     reserving 150 tokens and settling with 80..120; writes "<admitted> <tokens used>".
//   limit_worker hold <port> <name> <slots> <lease ms> <out file>
//     takes <slots> concurrency slots, writes "held", and keeps them (renewing the lease)
//     until it is killed.
#include <gemini/limit/redis.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

namespace asio = boost::asio;
using namespace gemini;
using clk = std::chrono::steady_clock;

namespace {

limit::cost model_cost(std::int64_t tokens) {
  limit::cost c{tokens};
  c.model = "gemini-2.5-flash";
  return c;
}

asio::awaitable<void> racer(limit::redis_limiter& l, clk::time_point end, unsigned seed,
                            long& admitted, long& tokens) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> used(80, 120);
  asio::steady_timer t(co_await asio::this_coro::executor);
  auto c = model_cost(150);
  while (clk::now() < end) {
    auto g = co_await l.async_try_acquire(c, clk::now());
    if (g.granted) {
      int u = used(rng);
      ++admitted;
      tokens += u;
      l.release(c, u, clk::now());
      continue;
    }
    if (g.error) {
      std::fprintf(stderr, "limit_worker: %s\n", g.error->message.c_str());
      std::exit(3);
    }
    t.expires_at(std::min(g.when, end));
    co_await t.async_wait(asio::use_awaitable);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  std::string mode = argv[1];
  asio::io_context ioc;
  limit::redis_limit_options o;
  o.on_failure = limit::on_store_failure::fail_closed;
  if (mode == "race" && argc == 8) {
    o.server.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    o.name = argv[3];
    o.time_epoch_ms = std::atoll(argv[4]);
    o.time_scale = std::atof(argv[5]);
    o.limits.requests_per_minute = 600;
    o.limits.tokens_per_minute = 60000;
    o.limits.burst = 0.1;
    limit::redis_limiter l(ioc.get_executor(), o);
    auto end = clk::now() + std::chrono::milliseconds(std::atol(argv[6]));
    long admitted = 0, tokens = 0;
    for (unsigned i = 0; i < 8; ++i)
      asio::co_spawn(ioc,
                     racer(l, end, 1000u * static_cast<unsigned>(::getpid()) + i, admitted, tokens),
                     asio::detached);
    ioc.run_until(end + std::chrono::seconds(5));  // the last releases are answered
    std::ofstream(argv[7]) << admitted << ' ' << tokens << '\n';
    return 0;
  }
  if (mode == "hold" && argc == 7) {
    o.server.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
    o.name = argv[3];
    int slots = std::atoi(argv[4]);
    o.limits.max_concurrency = static_cast<std::size_t>(slots);
    o.lease = std::chrono::milliseconds(std::atol(argv[5]));
    limit::redis_limiter l(ioc.get_executor(), o);
    std::string out = argv[6];
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < slots; ++i) {
            auto g = co_await l.async_try_acquire(model_cost(0), clk::now());
            if (!g.granted) std::exit(4);
          }
          std::ofstream(out) << "held\n";
        },
        asio::detached);
    ioc.run();  // the lease renewal keeps it running until the kill
    return 0;
  }
  return 2;
}

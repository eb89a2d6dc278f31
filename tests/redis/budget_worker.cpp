// A process of the budget::redis multi-process tests (test_budget_processes.cpp). Calls
// are of the 1-pico-dollar-per-token model "unit", 100 tokens each: 100 pico-dollars.
//   budget_worker race <port> <name> <hard pico> <calls> <out file>
//     reserves <calls> at once (all in flight together), then settles every admitted one
//     at its full cost; writes "<admitted> <lost>".
//   budget_worker steady <port> <name> <hard pico> <run ms> <out file>
//     reserve, settle, sleep 20 ms, for <run ms>; errors (Redis down) are counted and the
//     loop goes on; writes "<admitted> <lost> <unavailable>".
//   budget_worker hold <port> <name> <hard pico> <calls> <lease ms> <out file>
//     reserves <calls>, writes "held", and keeps them (renewing) until it is killed.
#include <gemini/budget/redis.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace gemini;
using clk = std::chrono::steady_clock;

namespace {

std::shared_ptr<const cost::price_table> unit_prices() {
  auto t = std::make_shared<cost::price_table>();
  cost::model_price p;
  p.model = "unit";
  p.standard.input = 1;
  p.standard.output = 1;
  t->set(p);
  return t;
}

const budget::request call{"acme", "", "unit", 100, 0};

wire::usage_metadata full_use() {
  wire::usage_metadata u;
  u.prompt_token_count = 100;
  u.total_token_count = 100;
  return u;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 7) return 2;
  const std::string mode = argv[1];
  asio::io_context ioc;
  budget::redis_options o;
  o.server.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  o.server.command_timeout = std::chrono::seconds(5);
  o.name = argv[3];
  o.prices = unit_prices();
  o.limits = {{budget::window::day, 0, static_cast<double>(std::atoll(argv[4])) / 1e12}};
  o.lease = std::chrono::seconds(1);
  const auto u = full_use();

  if (mode == "race" && argc == 7) {
    budget::redis_budget b(ioc.get_executor(), o);
    const int calls = std::atoi(argv[5]);
    std::vector<std::optional<budget::redis_budget::reservation>> held;
    int answered = 0;
    for (int i = 0; i < calls; ++i)
      asio::co_spawn(
          ioc,
          [&]() -> asio::awaitable<void> {
            auto r = co_await b.async_reserve(call, clk::now());
            if (r)
              held.emplace_back(std::move(*r));
            else if (r.error().code != errc::budget_exceeded)
              std::fprintf(stderr, "budget_worker: %s\n", r.error().message.c_str());
            if (++answered == calls)  // all in flight together: settle only now
              for (auto& h : held) b.settle(*h, {&u, "unit"}, clk::now());
          },
          asio::detached);
    while ((answered < calls || b.pending_sends() != 0) && !ioc.stopped())
      ioc.run_one_for(std::chrono::milliseconds(10));
    std::ofstream(argv[6]) << held.size() << ' ' << b.stats().lost << '\n';
    return 0;
  }
  if (mode == "steady" && argc == 7) {
    o.server.command_timeout = std::chrono::milliseconds(250);
    budget::redis_budget b(ioc.get_executor(), o);
    const auto end = clk::now() + std::chrono::milliseconds(std::atol(argv[5]));
    long admitted = 0, unavailable = 0;
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer t(co_await asio::this_coro::executor);
          while (clk::now() < end) {
            auto r = co_await b.async_reserve(call, clk::now());
            if (r) {
              ++admitted;
              b.settle(*r, {&u, "unit"}, clk::now());
            } else if (r.error().code == errc::unavailable) {
              ++unavailable;
            }
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(asio::use_awaitable);
          }
        },
        asio::detached);
    while ((clk::now() < end || b.pending_sends() != 0) && !ioc.stopped())
      ioc.run_one_for(std::chrono::milliseconds(10));
    std::ofstream(argv[6]) << admitted << ' ' << b.stats().lost << ' ' << unavailable << '\n';
    return 0;
  }
  if (mode == "hold" && argc == 8) {
    o.lease = std::chrono::milliseconds(std::atol(argv[6]));
    budget::redis_budget b(ioc.get_executor(), o);
    const int calls = std::atoi(argv[5]);
    std::vector<budget::redis_budget::reservation> held;
    std::string out = argv[7];
    asio::co_spawn(
        ioc,
        [&]() -> asio::awaitable<void> {
          for (int i = 0; i < calls; ++i) {
            auto r = co_await b.async_reserve(call, clk::now());
            if (!r) std::exit(4);
            held.push_back(std::move(*r));
          }
          std::ofstream(out) << "held\n";
        },
        asio::detached);
    ioc.run();  // the renewals keep it running until the kill
    return 0;
  }
  return 2;
}

// Routing: the cost of one choice (filtering every endpoint, the strategy's pick, the
// breaker permit, and the bookkeeping when the attempt ends) for 4, 16 and 64 endpoints,
// per strategy. Baseline in the same run: ordered_fallback (filters only, picks the first).
//
//   build/benchmarks/bm_route --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <gemini/route/router.hpp>

#include <benchmark/benchmark.h>

using namespace gemini;

namespace {

template <class Strategy>
void BM_choose(benchmark::State& state) {
  typename route::router<Strategy>::options_type o;
  for (int i = 0; i < state.range(0); ++i) {
    route::endpoint e;
    e.name = "endpoint-" + std::to_string(i);
    e.model = "model-" + std::to_string(i);
    e.weight = 1 + i % 3;
    e.price = {0.1 * (i % 5 + 1), 0.4 * (i % 7 + 1), 0.025};
    o.endpoints.push_back(e);
  }
  route::router<Strategy> r(o);
  std::vector<std::string> failed(o.endpoints.size());
  route::request_traits t;
  t.prompt_tokens = 500;
  auto now = std::chrono::steady_clock::now();
  std::int64_t n = 0;
  for (auto _ : state) {
    auto c = r.choose(t, failed, now);
    benchmark::DoNotOptimize(c);
    // Latencies differ per endpoint so that latency-aware strategies have work to do.
    r.finished(*c.index, nullptr, std::chrono::milliseconds(20 + *c.index % 13), now, 500, 400);
    now += std::chrono::microseconds(50);
    ++n;
  }
  state.SetItemsProcessed(n);
}

#define GEMINI_ROUTE_BENCH(S) BENCHMARK_TEMPLATE(BM_choose, route::S)->Arg(4)->Arg(16)->Arg(64)

GEMINI_ROUTE_BENCH(ordered_fallback);
GEMINI_ROUTE_BENCH(single);
GEMINI_ROUTE_BENCH(weighted);
GEMINI_ROUTE_BENCH(least_loaded);
GEMINI_ROUTE_BENCH(latency);
GEMINI_ROUTE_BENCH(power_of_two);
GEMINI_ROUTE_BENCH(scored);

}  // namespace

BENCHMARK_MAIN();

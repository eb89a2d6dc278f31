// Recording metrics: one call's full set through observe::telemetry (the GenAI histograms,
// the library's counters, its cost), on one thread and on four recording the same series;
// the registry's counter and histogram alone. Heap allocations per recorded call are
// counted (operator new is replaced in this TU) and reported as allocs/call. With
// prometheus-cpp found by CMake, the same records through it, in the same binary.
//
//   build/benchmarks/bm_observe --benchmark_repetitions=5 --benchmark_report_aggregates_only
#include <gemini/observe/prometheus.hpp>
#include <gemini/observe/telemetry.hpp>

#include <benchmark/benchmark.h>

#ifdef GEMINI_HAVE_PROMETHEUS_CPP
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#endif

#include <atomic>
#include <cstdlib>
#include <new>

#include "count_allocations.hpp"

using gemini_bench::allocations;

using namespace gemini;

namespace {

wire::usage_metadata usage() {
  wire::usage_metadata u;
  u.prompt_token_count = 1200;
  u.candidates_token_count = 300;
  u.thoughts_token_count = 120;
  u.total_token_count = 1620;
  return u;
}

observe::event call_end(const wire::usage_metadata& u) {
  observe::event e;
  e.kind = observe::event_kind::call_end;
  e.operation = observe::operation::generate_content;
  e.model = "gemini-2.5-flash";
  e.response_model = "gemini-2.5-flash";
  e.tenant = "tenant-42";
  e.usage = &u;
  e.elapsed = std::chrono::milliseconds(420);
  e.server_address = "generativelanguage.googleapis.com";
  e.server_port = 443;
  e.provider = "gcp.gemini";
  e.origin = 1;  // as the pipeline numbers its origin (fixed at construction)
  return e;
}

observe::telemetry& shared_telemetry() {
  static observe::telemetry t;
  return t;
}

// One call's metrics: call_end (duration, two token observations, calls, four token
// counters, duration by prompt size, cost) and its attempt_end.
void BM_record_call(benchmark::State& state) {
  auto& t = shared_telemetry();
  const auto u = usage();
  auto end = call_end(u);
  auto attempt = end;
  attempt.kind = observe::event_kind::attempt_end;
  attempt.attempt = 1;
  for (int i = 0; i < 100; ++i) {  // warm up: series made, price memo filled
    t.record(attempt);
    t.record(end);
  }
  const auto before = allocations.load();
  for (auto _ : state) {
    t.record(attempt);
    t.record(end);
  }
  if (state.thread_index() == 0)
    state.counters["allocs/call"] = benchmark::Counter(
        static_cast<double>(allocations.load() - before) / static_cast<double>(state.iterations()));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_record_call);
BENCHMARK(BM_record_call)->Threads(4)->UseRealTime();

void BM_registry_counter_add(benchmark::State& state) {
  static observe::registry reg;
  static auto& c = []() -> observe::family& {
    observe::metric_options o;
    o.name = "calls";
    o.labels = {"model", "outcome"};
    return reg.counter(o);
  }();
  for (auto _ : state) c.add({"gemini-2.5-flash", "ok"}, 1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_registry_counter_add);
BENCHMARK(BM_registry_counter_add)->Threads(4)->UseRealTime();

void BM_registry_histogram_observe(benchmark::State& state) {
  static observe::registry reg;
  static auto& h = []() -> observe::family& {
    observe::metric_options o;
    o.name = "d";
    o.unit = "s";
    o.labels = {"model"};
    o.buckets = {0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24};
    return reg.histogram(o);
  }();
  double v = 0.001;
  for (auto _ : state) {
    h.observe({"gemini-2.5-flash"}, v);
    v = v > 10 ? 0.001 : v * 1.7;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_registry_histogram_observe);

// A pre-resolved series handle: the cost of the atomics alone.
void BM_registry_counter_handle(benchmark::State& state) {
  static observe::registry reg;
  static auto& c = []() -> observe::family& {
    observe::metric_options o;
    o.name = "calls";
    o.labels = {"model"};
    return reg.counter(o);
  }();
  static auto& s = c.at({"gemini-2.5-flash"});
  for (auto _ : state) c.add(s, 1);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_registry_counter_handle);
BENCHMARK(BM_registry_counter_handle)->Threads(4)->UseRealTime();

#ifdef GEMINI_HAVE_PROMETHEUS_CPP
// The same records through prometheus-cpp (Debian prometheus-cpp-dev 1.0): a label lookup
// and an increment (Family::Add), and a held handle.
void BM_prometheus_cpp_counter_add(benchmark::State& state) {
  static prometheus::Registry reg;
  static auto& fam = prometheus::BuildCounter().Name("calls_total").Register(reg);
  for (auto _ : state) fam.Add({{"model", "gemini-2.5-flash"}, {"outcome", "ok"}}).Increment();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_prometheus_cpp_counter_add);
BENCHMARK(BM_prometheus_cpp_counter_add)->Threads(4)->UseRealTime();

void BM_prometheus_cpp_counter_handle(benchmark::State& state) {
  static prometheus::Registry reg;
  static auto& c = prometheus::BuildCounter()
                       .Name("calls_total")
                       .Register(reg)
                       .Add({{"model", "gemini-2.5-flash"}});
  for (auto _ : state) c.Increment();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_prometheus_cpp_counter_handle);
BENCHMARK(BM_prometheus_cpp_counter_handle)->Threads(4)->UseRealTime();

void BM_prometheus_cpp_histogram_observe(benchmark::State& state) {
  static prometheus::Registry reg;
  static auto& fam = prometheus::BuildHistogram().Name("d_seconds").Register(reg);
  static const prometheus::Histogram::BucketBoundaries bounds{0.01, 0.02, 0.04, 0.08, 0.16, 0.32,
                                                              0.64, 1.28, 2.56, 5.12, 10.24};
  double v = 0.001;
  for (auto _ : state) {
    fam.Add({{"model", "gemini-2.5-flash"}}, bounds).Observe(v);
    v = v > 10 ? 0.001 : v * 1.7;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_prometheus_cpp_histogram_observe);
#endif

void BM_exposition(benchmark::State& state) {
  auto& t = shared_telemetry();
  std::string out;
  for (auto _ : state) {
    out.clear();
    observe::write_exposition(*t.metrics(), out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_exposition);

}  // namespace

BENCHMARK_MAIN();

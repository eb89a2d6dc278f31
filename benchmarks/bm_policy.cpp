// The cost of composition, measured over an in-memory transport (no sockets), each figure
// beside its baseline in the same run:
//  - BM_direct: a hand-written call of the same transport doing the client's work by hand
//    (serialize the request, build the HTTP request, await the transport, parse the body);
//    both loops start each call from a fresh copy of the request, as real callers do;
//  - BM_direct_fn: the same hand-written work as a coroutine function with the client's
//    interface (request in, awaitable<result<response>> out), as one would write it;
//  - BM_noop_client: basic_client with every policy slot at its no-op default;
//  - BM_full_stack: retry::exponential + breaker::sliding_window + limit::token_bucket
//    (unlimited buckets, so nothing waits) over the same transport;
//  - the hot path of each policy alone, in ns per call.
//
//   build/benchmarks/bm_policy --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/client.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/shared.hpp>
#include <gemini/sync/multi_thread.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include "fixed_transport.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::bench::client_loop;
using gemini::bench::drive;
using gemini::bench::fixed_transport;

namespace {

struct noop_policies : policies::defaults {
  using transport = fixed_transport;
};
struct full_policies : policies::defaults {
  using transport = fixed_transport;
  using retry = gemini::retry::exponential;
  using breaker = gemini::breaker::sliding_window;
  using limit = gemini::limit::token_bucket;
};

client_options options() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  return o;
}

wire::generate_content_request prompt() {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("Summarize the benefits of connection pooling."));
  return r;
}

constexpr int calls_per_iteration = 1000;

/// The HTTP request a hand-written call builds: what the client sends, by hand.
transport::http_request direct_request(const transport::origin& origin,
                                       const wire::generate_content_request& req) {
  transport::http_request h;
  h.origin = origin;
  h.target = "/v1beta/models/gemini-2.5-flash:generateContent";
  h.body = wire::serialize(req);
  h.headers.push_back({"x-goog-api-key", "k"});
  h.headers.push_back({"x-goog-api-client", "gemini-cxx/0.1"});
  return h;
}

asio::awaitable<void> direct_loop(fixed_transport* t, const wire::generate_content_request* req,
                                  const transport::origin* origin, std::size_t* failures) {
  for (int i = 0; i < calls_per_iteration; ++i) {
    auto fresh = *req;  // a request built for this call, as the client loop gets one
    auto h = direct_request(*origin, fresh);
    transport::attempt_limits lim;
    auto resp = co_await t->request(std::move(h), lim);
    if (!resp || resp->status != 200) {
      ++*failures;
      continue;
    }
    auto parsed = wire::parse<wire::generate_content_response>(resp->body);
    if (!parsed) ++*failures;
    benchmark::DoNotOptimize(parsed);
  }
}

// The same work written as a function with the client's interface: a coroutine returning
// result<generate_content_response> (what a hand-written client call would look like).
asio::awaitable<result<wire::generate_content_response>> direct_call(
    fixed_transport* t, const transport::origin* origin,
    const wire::generate_content_request& req) {
  auto h = direct_request(*origin, req);
  transport::attempt_limits lim;
  auto resp = co_await t->request(std::move(h), lim);
  if (!resp) co_return std::move(resp).error();
  if (resp->status != 200) co_return gemini::error(errc::internal, "status");
  co_return wire::parse<wire::generate_content_response>(resp->body);
}

asio::awaitable<void> direct_fn_loop(fixed_transport* t, const wire::generate_content_request* req,
                                     const transport::origin* origin, std::size_t* failures) {
  for (int i = 0; i < calls_per_iteration; ++i) {
    auto fresh = *req;
    auto r = co_await direct_call(t, origin, fresh);
    if (!r) ++*failures;
    benchmark::DoNotOptimize(r);
  }
}

/// A hand-written loop (direct_loop or direct_fn_loop) over the in-memory transport.
template <auto Loop>
void direct_bench(benchmark::State& state) {
  asio::io_context ioc(1);
  fixed_transport t;
  auto req = prompt();
  auto origin = transport::parse_base_url(options().base_url)->origin;
  std::size_t failures = 0;
  drive(
      state, ioc, [&] { return Loop(&t, &req, &origin, &failures); }, calls_per_iteration);
  if (failures) state.SkipWithError("failures");
}
void BM_direct(benchmark::State& state) { direct_bench<direct_loop>(state); }
void BM_direct_fn(benchmark::State& state) { direct_bench<direct_fn_loop>(state); }
BENCHMARK(BM_direct)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_direct_fn)->Unit(benchmark::kMicrosecond);

template <class Policies>
void client_bench(benchmark::State& state) {
  asio::io_context ioc(1);
  basic_client<Policies> c(ioc.get_executor(), options());
  auto req = prompt();
  std::size_t failures = 0;
  drive(
      state, ioc, [&] { return client_loop(&c, &req, &failures, calls_per_iteration); },
      calls_per_iteration);
  if (failures) state.SkipWithError("failures");
}
void BM_noop_client(benchmark::State& state) { client_bench<noop_policies>(state); }
void BM_full_stack(benchmark::State& state) { client_bench<full_policies>(state); }
BENCHMARK(BM_noop_client)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_full_stack)->Unit(benchmark::kMicrosecond);

// The same four with a fixed number of iterations (20 000 calls), for counting
// instructions, which the VM's noise does not disturb (scripts/count_instructions.sh):
//   valgrind --tool=callgrind build/benchmarks/bm_policy --benchmark_filter='BM_direct/iter'
BENCHMARK(BM_direct)->Iterations(20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_direct_fn)->Iterations(20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_noop_client)->Iterations(20)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_full_stack)->Iterations(20)->Unit(benchmark::kMicrosecond);

// ---- the hot path of each policy alone ----

void BM_breaker_sliding_window(benchmark::State& state) {
  breaker::sliding_window b;
  auto now = std::chrono::steady_clock::now();
  for (auto _ : state) {
    bool ok = b.allow(now);
    b.record(breaker::outcome::success, std::chrono::milliseconds(20), now);
    benchmark::DoNotOptimize(ok);
    now += std::chrono::microseconds(100);
  }
}
BENCHMARK(BM_breaker_sliding_window);

void BM_token_bucket(benchmark::State& state) {
  limit::token_bucket_options o;
  o.requests_per_minute = 1'000'000'000;
  o.tokens_per_minute = 1'000'000'000;
  o.max_concurrency = 64;
  limit::token_bucket b(o);
  auto now = std::chrono::steady_clock::now();
  limit::cost c{100};
  for (auto _ : state) {
    auto g = b.try_acquire(c, now);
    benchmark::DoNotOptimize(g);
    b.release(c, 80, now);
    now += std::chrono::microseconds(100);
  }
}
BENCHMARK(BM_token_bucket);

/// One token bucket shared by every benchmark thread (gemini::shared, multi_thread): the
/// cost of an admission and its release with 1 and 4 threads (lock contention).
void BM_shared_token_bucket(benchmark::State& state) {
  using bucket = limit::basic_token_bucket<sync::multi_thread>;
  static gemini::shared<bucket>* shared_bucket = nullptr;
  if (state.thread_index() == 0) {
    limit::token_bucket_options o;
    o.requests_per_minute = 1'000'000'000;
    o.tokens_per_minute = 1'000'000'000;
    o.max_concurrency = 64;
    shared_bucket = new gemini::shared<bucket>(std::make_shared<bucket>(o));
  }
  auto now = std::chrono::steady_clock::now();
  limit::cost c{100};
  for (auto _ : state) {
    auto g = shared_bucket->try_acquire(c, now);
    benchmark::DoNotOptimize(g);
    shared_bucket->release(c, 80, now);
    now += std::chrono::microseconds(100);
  }
  if (state.thread_index() == 0) {
    delete shared_bucket;
    shared_bucket = nullptr;
  }
}
BENCHMARK(BM_shared_token_bucket)->Threads(1)->Threads(4)->UseRealTime();

void BM_retry_exponential_on_request(benchmark::State& state) {
  retry::exponential r;
  auto now = std::chrono::steady_clock::now();
  for (auto _ : state) {
    r.on_request(now);
    now += std::chrono::microseconds(100);
  }
}
BENCHMARK(BM_retry_exponential_on_request);

}  // namespace

BENCHMARK_MAIN();

// The response cache: the cache-hit path through the whole client (1 KB and 16 KB prompts)
// beside the same client's miss over an in-memory transport, key building, the memory
// backend alone, and SHA-256 throughput beside OpenSSL's one-shot EVP_Digest.
//
//   build/benchmarks/bm_cache --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <benchmark/benchmark.h>

#include "fixed_transport.hpp"

#include <openssl/evp.h>

namespace asio = boost::asio;
using namespace gemini;
using gemini::bench::client_loop;
using gemini::bench::fixed_transport;
using gemini::bench::ok_body;

namespace {

struct cached_policies : policies::defaults {
  using transport = fixed_transport;
  using cache = gemini::cache::memory<>;
};
struct plain_policies : policies::defaults {
  using transport = fixed_transport;
};

client_options options() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  return o;
}

/// A prompt of about `bytes` bytes of text (a short instruction and a document).
wire::generate_content_request prompt(std::size_t bytes) {
  std::string text = "Summarize this document in three sentences:\n";
  while (text.size() < bytes) text += "Connection pooling keeps sockets open between calls. ";
  text.resize(bytes);
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  r.generation_config.emplace();
  r.generation_config->temperature = 0.2;
  r.generation_config->max_output_tokens = 256;
  return r;
}

constexpr int calls_per_iteration = 1000;

template <class Policies>
void through_client(benchmark::State& state) {
  asio::io_context ioc(1);
  basic_client<Policies> c(ioc.get_executor(), options());
  auto req = prompt(static_cast<std::size_t>(state.range(0)));
  std::size_t failures = 0;
  auto once = [&] {
    asio::co_spawn(ioc, client_loop(&c, &req, &failures, calls_per_iteration),
                   [](std::exception_ptr e) {
                     if (e) std::rethrow_exception(e);
                   });
    ioc.restart();
    ioc.run();
  };
  once();  // warm: the cached client stores the answer here
  for (auto _ : state) once();
  state.SetItemsProcessed(state.iterations() * calls_per_iteration);
  if (failures) state.SkipWithError("failures");
}

/// The whole client, answered from cache::memory.
void BM_client_cache_hit(benchmark::State& state) { through_client<cached_policies>(state); }
/// Baseline: the same client without a cache, over the in-memory transport.
void BM_client_no_cache(benchmark::State& state) { through_client<plain_policies>(state); }
BENCHMARK(BM_client_cache_hit)->Arg(1024)->Arg(16384)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_client_no_cache)->Arg(1024)->Arg(16384)->Unit(benchmark::kMicrosecond);

/// What the caller's copy of the request costs (part of both loops above).
void BM_request_copy(benchmark::State& state) {
  auto req = prompt(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto fresh = req;
    benchmark::DoNotOptimize(fresh);
  }
}
BENCHMARK(BM_request_copy)->Arg(1024)->Arg(16384);

void BM_request_key(benchmark::State& state) {
  auto req = prompt(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto k = cache::request_key(req, "models/gemini-2.5-flash", "tenant");
    benchmark::DoNotOptimize(k);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_request_key)->Arg(1024)->Arg(16384);

void BM_memory_lookup_hit(benchmark::State& state) {
  cache::memory<> m;
  auto now = std::chrono::steady_clock::now();
  auto value = std::make_shared<const cache::response>(
      *wire::parse<wire::generate_content_response>(ok_body));
  std::vector<cache::key> keys;
  for (int i = 0; i < 1000; ++i) {
    keys.push_back(cache::sha256::of(std::to_string(i)));
    m.store(keys.back(), value, std::chrono::hours(1), now);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    auto hit = m.lookup(keys[i++ % keys.size()], now);
    benchmark::DoNotOptimize(hit);
  }
}
BENCHMARK(BM_memory_lookup_hit);

void BM_sha256_incremental(benchmark::State& state) {
  std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto k = cache::sha256::of(data);
    benchmark::DoNotOptimize(k);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
/// Baseline: OpenSSL's one-shot EVP_Digest (a context and an implicit fetch per call).
void BM_sha256_evp_digest(benchmark::State& state) {
  std::string data(static_cast<std::size_t>(state.range(0)), 'x');
  unsigned char out[32];
  unsigned int n = 0;
  for (auto _ : state) {
    EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr);
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_sha256_incremental)->Arg(64)->Arg(1024)->Arg(16384)->Arg(1 << 20);
BENCHMARK(BM_sha256_evp_digest)->Arg(64)->Arg(1024)->Arg(16384)->Arg(1 << 20);

}  // namespace

BENCHMARK_MAIN();

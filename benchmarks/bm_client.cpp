// Requests/s of gemini::client against the in-process emulator over loopback, beside
// hand-written raw Beast keep-alive loops sending the same request to the same emulator in
// the same run: BM_raw_beast (send + read only), BM_raw_beast_parse (plus
// boost::json::parse of the response, the least any client does with it) and
// BM_raw_beast_parse_kept (the same, each worker's connection kept for the whole run as the
// client's pool keeps it; the other raw loops connect again every 50 requests).
// Concurrency 1, 8 and 64 (coroutines on one client thread), one connection per worker.
//
//   build/benchmarks/bm_client --benchmark_filter=real --benchmark_repetitions=10
//     --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
//   (one command line)
// BM_CLIENT_CPUS=A,B puts the emulator's thread on CPU A and the benchmark's on CPU B (equal
// numbers: both on one CPU), so the scheduler's placement of the two cannot differ between
// the benchmarks of one run.
#include <gemini/client.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include <sched.h>

#include <benchmark/benchmark.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

void pin_this_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) std::perror("sched_setaffinity");
}

// Pins this thread to BM_CLIENT_CPUS's emulator CPU; returns its benchmark CPU (-1: unset).
int pin_for_emulator() {
  int emulator_cpu = -1, benchmark_cpu = -1;
  const char* cpus = std::getenv("BM_CLIENT_CPUS");
  if (!cpus || std::sscanf(cpus, "%d,%d", &emulator_cpu, &benchmark_cpu) != 2) return -1;
  pin_this_thread(emulator_cpu);
  return benchmark_cpu;
}

// Members in order: pin to the emulator CPU, start the emulator (its threads inherit that
// CPU), then pin this thread to the benchmark CPU.
struct pinned_emulator {
  int benchmark_cpu = pin_for_emulator();
  gemini::testing::emulator emu;
  pinned_emulator() {
    if (benchmark_cpu >= 0) pin_this_thread(benchmark_cpu);
  }
};

gemini::testing::emulator& shared_emulator() {
  static pinned_emulator e;
  return e.emu;
}

constexpr int requests_per_worker = 50;

gemini::wire::generate_content_request prompt() {
  gemini::wire::generate_content_request r;
  r.contents.push_back(gemini::wire::content::user("Benchmark prompt: say something short."));
  return r;
}

asio::awaitable<void> client_worker(gemini::client* c, std::size_t* failures) {
  const auto req = prompt();
  for (int i = 0; i < requests_per_worker; ++i) {
    auto r = co_await c->generate(req);  // a named argument (docs/decisions/0004)
    if (!r) ++*failures;
  }
}

void BM_client(benchmark::State& state) {
  auto& emu = shared_emulator();
  asio::io_context ioc(1);
  gemini::client_options o;
  o.key = gemini::api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  const int workers = static_cast<int>(state.range(0));
  // As many connections as the raw loop opens (one per worker); the default cap is 32.
  gemini::transport::https_options t;
  t.pool.max_connections_per_origin = static_cast<std::size_t>(workers);
  gemini::client c(ioc.get_executor(), o, t);
  std::size_t failures = 0;
  for (auto _ : state) {
    for (int w = 0; w < workers; ++w)
      asio::co_spawn(ioc, client_worker(&c, &failures), [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
    ioc.restart();
    ioc.run();
  }
  if (failures) state.SkipWithError("requests failed");
  state.SetItemsProcessed(state.iterations() * workers * requests_per_worker);
}

// `kept`: a connection that outlives the worker (opened by the first one), or null for a
// connection of its own.
asio::awaitable<void> raw_worker(std::string host, std::string port, std::string body, bool parse,
                                 std::size_t* failures, std::unique_ptr<beast::tcp_stream>* kept) {
  auto ex = co_await asio::this_coro::executor;
  std::unique_ptr<beast::tcp_stream> own;
  auto& conn = kept ? *kept : own;
  if (!conn) {
    asio::ip::tcp::resolver resolver(ex);
    auto eps = co_await resolver.async_resolve(host, port, asio::use_awaitable);
    conn = std::make_unique<beast::tcp_stream>(ex);
    co_await conn->async_connect(eps, asio::use_awaitable);
    conn->socket().set_option(asio::ip::tcp::no_delay(true));
  }
  auto& s = *conn;
  beast::flat_buffer buf;
  for (int i = 0; i < requests_per_worker; ++i) {
    http::request<http::string_body> req{http::verb::post,
                                         "/v1beta/models/gemini-2.5-flash:generateContent", 11};
    req.set(http::field::host, host + ":" + port);
    req.set(http::field::content_type, "application/json");
    req.set("x-goog-api-key", "test-key");
    req.body() = body;
    req.prepare_payload();
    co_await http::async_write(s, req, asio::use_awaitable);
    http::response<http::string_body> res;
    co_await http::async_read(s, buf, res, asio::use_awaitable);
    if (res.result_int() != 200) ++*failures;
    if (parse) {
      // What any client must do next: parse the JSON body and find the text.
      auto v = boost::json::parse(res.body());
      if (!v.as_object().contains("candidates")) ++*failures;
    }
  }
}

void raw_beast(benchmark::State& state, bool parse, bool keep_connections = false) {
  auto& emu = shared_emulator();
  asio::io_context ioc(1);
  std::string body = gemini::wire::serialize(prompt());
  std::size_t failures = 0;
  const int workers = static_cast<int>(state.range(0));
  std::vector<std::unique_ptr<beast::tcp_stream>> kept(workers);
  for (auto _ : state) {
    for (int w = 0; w < workers; ++w)
      asio::co_spawn(ioc,
                     raw_worker(emu.host(), std::to_string(emu.port()), body, parse, &failures,
                                keep_connections ? &kept[w] : nullptr),
                     [](std::exception_ptr e) {
                       if (e) std::rethrow_exception(e);
                     });
    ioc.restart();
    ioc.run();
  }
  if (failures) state.SkipWithError("requests failed");
  state.SetItemsProcessed(state.iterations() * workers * requests_per_worker);
}

void BM_raw_beast(benchmark::State& state) { raw_beast(state, false); }
void BM_raw_beast_parse(benchmark::State& state) { raw_beast(state, true); }
// Each worker's connection kept for the whole run, as the client's pool keeps it.
void BM_raw_beast_parse_kept(benchmark::State& state) { raw_beast(state, true, true); }

// 1, 8 and 64 concurrent requests; requests/s from the wall clock.
void concurrency_levels(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
}

// Constructing a transport, with the system trust store on (the default) and off: the store
// is read before the first TLS connection, so neither reads it here.
void BM_https_transport_construction(benchmark::State& state) {
  asio::io_context ioc(1);
  gemini::transport::https_options o;
  o.tls.use_system_store = state.range(0) != 0;
  for (auto _ : state) {
    gemini::transport::https_transport t(ioc.get_executor(), o);
    benchmark::DoNotOptimize(&t);
  }
}

}  // namespace

BENCHMARK(BM_https_transport_construction)->ArgName("system_store")->Arg(0)->Arg(1);
BENCHMARK(BM_raw_beast_parse)->Apply(concurrency_levels);
BENCHMARK(BM_raw_beast_parse_kept)->Apply(concurrency_levels);
BENCHMARK(BM_raw_beast)->Apply(concurrency_levels);
BENCHMARK(BM_client)->Apply(concurrency_levels);
// Fixed-iteration runs for scripts/count_client_instructions.sh (callgrind, per thread):
// the difference between 102 and 2 iterations is 5000 requests without the set-up.
BENCHMARK(BM_raw_beast_parse)->Arg(1)->Iterations(2);
BENCHMARK(BM_raw_beast_parse)->Arg(1)->Iterations(102);
BENCHMARK(BM_client)->Arg(1)->Iterations(2);
BENCHMARK(BM_client)->Arg(1)->Iterations(102);

BENCHMARK_MAIN();

// Requests/s of gemini::client against the in-process emulator over loopback, beside two
// hand-written raw Beast keep-alive loops sending the same request to the same emulator in
// the same run: BM_raw_beast (send + read only) and BM_raw_beast_parse (plus
// boost::json::parse of the response, the least any client does with it). Concurrency 1, 8
// and 64 (coroutines on one client thread), one connection per worker everywhere.
//
//   build/benchmarks/bm_client --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <gemini/client.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <benchmark/benchmark.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

gemini::testing::emulator& shared_emulator() {
  static gemini::testing::emulator emu;
  return emu;
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

asio::awaitable<void> raw_worker(std::string host, std::string port, std::string body, bool parse,
                                 std::size_t* failures) {
  auto ex = co_await asio::this_coro::executor;
  asio::ip::tcp::resolver resolver(ex);
  auto eps = co_await resolver.async_resolve(host, port, asio::use_awaitable);
  beast::tcp_stream s(ex);
  co_await s.async_connect(eps, asio::use_awaitable);
  s.socket().set_option(asio::ip::tcp::no_delay(true));
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

void raw_beast(benchmark::State& state, bool parse) {
  auto& emu = shared_emulator();
  asio::io_context ioc(1);
  std::string body = gemini::wire::serialize(prompt());
  std::size_t failures = 0;
  const int workers = static_cast<int>(state.range(0));
  for (auto _ : state) {
    for (int w = 0; w < workers; ++w)
      asio::co_spawn(ioc,
                     raw_worker(emu.host(), std::to_string(emu.port()), body, parse, &failures),
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

}  // namespace

BENCHMARK(BM_raw_beast_parse)
    ->Arg(1)
    ->Arg(8)
    ->Arg(64)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_raw_beast)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_client)->Arg(1)->Arg(8)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);
// Fixed-iteration runs for scripts/count_instructions.sh (callgrind, client thread only): the
// difference between 102 and 2 iterations is 5000 requests without the set-up.
BENCHMARK(BM_raw_beast_parse)->Arg(1)->Iterations(2);
BENCHMARK(BM_raw_beast_parse)->Arg(1)->Iterations(102);
BENCHMARK(BM_client)->Arg(1)->Iterations(2);
BENCHMARK(BM_client)->Arg(1)->Iterations(102);

BENCHMARK_MAIN();

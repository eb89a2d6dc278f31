// metrics: serves Prometheus metrics at http://127.0.0.1:<port>/metrics while it runs calls
// (unary and streamed, some failing on purpose against the emulator, some answered from the
// cache), and writes one JSON log line per call to stderr. A failure opens the breaker and
// the next call closes it again (its alerts go to stderr too). At the end it prints the
// exposition it serves.
//
// Without GEMINI_API_KEY the calls go to the embedded emulator on 127.0.0.1; with it, to
// the real service.
//
//   metrics [calls] [seconds to keep serving afterwards] [port]
//   curl -s http://127.0.0.1:9464/metrics        # while it serves
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/observe/http_exporter.hpp>
#include <gemini/observe/prometheus.hpp>
#include <gemini/observe/sinks.hpp>
#include <gemini/observe/telemetry.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

namespace asio = boost::asio;

struct observed : gemini::policies::defaults {
  using observe = gemini::observe::telemetry;
  using breaker = gemini::breaker::consecutive_failures;
  using cache = gemini::cache::memory<>;
};
using client_t = gemini::basic_client<observed>;

asio::awaitable<int> run(client_t& client, gemini::testing::emulator* emu, int calls, int linger,
                         gemini::observe::metrics_server& server) {
  int failed = 0;
  for (int i = 0; i < calls; ++i) {
    gemini::call_options o;
    o.tenant = i % 3 == 0 ? "alpha" : "beta";
    o.user = i % 2 ? "ada" : "grace";
    o.labels = {{"feature", i % 2 ? "summary" : "chat"}};
    if (emu && i % 7 == 6) emu->push_fault(gemini::testing::fault_kind::http_503);
    // Every fifth question repeats the first: answered from the cache.
    std::string prompt =
        "Question " + std::to_string(i % 5 == 4 ? 1 : i + 1) + ": why is the sky blue?";
    std::optional<gemini::result<gemini::generate_response>> r;
    if (i % 4 == 3)
      r.emplace(co_await client.stream(
          prompt, [](const gemini::generate_response&) {}, o));
    else
      r.emplace(co_await client.generate(prompt, o));
    if (!*r) ++failed;
  }
  client.observer().record_business_metric("example.batches.done", 1, {{"kind", "demo"}});
  if (linger > 0) {
    std::cout << "serving http://127.0.0.1:" << server.port() << "/metrics for " << linger
              << " s\n";
    asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::seconds(linger));
    co_await t.async_wait(asio::use_awaitable);
  }
  server.stop();
  std::cout << gemini::observe::exposition_text(*client.observer().metrics());
  std::cout << calls - failed << " calls succeeded, " << failed << " failed (on purpose)\n";
  co_return 0;
}

int main(int argc, char** argv) {
  int calls = argc > 1 ? std::atoi(argv[1]) : 14;
  int linger = argc > 2 ? std::atoi(argv[2]) : 0;
  auto port = static_cast<std::uint16_t>(argc > 3 ? std::atoi(argv[3]) : 0);
  gemini::basic_config<observed> cfg;
  std::optional<gemini::testing::emulator> emu;
  if (cfg.client.key.empty()) {
    emu.emplace();
    cfg.client.key = gemini::api_key("test-key");
    cfg.client.base_url = emu->base_url() + "/v1beta";
    std::cout << "GEMINI_API_KEY is not set: calling the embedded emulator at " << emu->base_url()
              << "\n";
  }
  cfg.client.model = "gemini-2.5-flash";
  cfg.observe.log = gemini::observe::ostream_sink(std::cerr);
  cfg.observe.on_alert = [](const gemini::observe::alert& a) {
    std::cerr << "ALERT " << gemini::observe::to_string(a.what) << ": " << a.reason
              << (a.endpoint.empty() ? "" : " at ") << a.endpoint << '\n';
  };
  // A demo breaker: one failure opens it, and the next call is its probe.
  cfg.breaker.failure_threshold = 1;
  cfg.breaker.recovery_timeout = std::chrono::milliseconds(0);
  asio::io_context ioc;
  client_t client(ioc.get_executor(), std::move(cfg));
  gemini::observe::metrics_server_options so;
  so.port = port;
  gemini::observe::metrics_server server(ioc.get_executor(), client.observer().metrics(), so);
  int rc = 1;
  asio::co_spawn(ioc, run(client, emu ? &*emu : nullptr, calls, linger, server),
                 [&](std::exception_ptr e, int n) {
                   if (e) std::rethrow_exception(e);
                   rc = n;
                 });
  ioc.run();
  return rc;
}

// A real Prometheus server (Debian package prometheus) on loopback scrapes a client's
// /metrics (observe::metrics_server) and answers a PromQL query over its HTTP API with the
// calls made. The test starts and stops the server; without the package it says so.
#include <gemini/client.hpp>
#include <gemini/observe/http_exporter.hpp>
#include <gemini/observe/telemetry.hpp>
#include <gemini/testing/emulator.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"
#include "redis/process_util.hpp"
#include "redis/redis_server.hpp"

#include <signal.h>

#include <fstream>
#include <thread>

#ifndef GEMINI_PROMETHEUS
#define GEMINI_PROMETHEUS ""
#endif

namespace asio = boost::asio;
namespace http = boost::beast::http;
using namespace gemini;
using namespace std::chrono_literals;

namespace {

struct observed : policies::defaults {
  using observe = gemini::observe::telemetry;
};

/// GET http://127.0.0.1:port/target; "" when nothing answers.
std::string get(std::uint16_t port, const std::string& target,
                const std::string& accept = "application/json") {
  asio::io_context ioc;
  asio::ip::tcp::socket sock(ioc);
  boost::system::error_code ec;
  sock.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return {};
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::accept, accept);
  http::write(sock, req, ec);
  if (ec) return {};
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(sock, buf, res, ec);
  if (ec) return {};
  return res.body();
}

std::string url_encode(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char b[4];
      std::snprintf(b, sizeof b, "%%%02X", c);
      out += b;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("metrics_server: GET /metrics in either format, 404 elsewhere", "[observe][emulator]") {
  asio::io_context ioc;
  auto reg = std::make_shared<observe::registry>();
  observe::metric_options mo;
  mo.name = "gemini.client.calls";
  mo.unit = "{call}";
  mo.help = "Calls";
  reg->counter(mo).add({}, 3);
  observe::metrics_server server(ioc.get_executor(), reg);
  std::thread t([&] { ioc.run(); });
  const auto text = get(server.port(), "/metrics", "text/plain");
  const auto om = get(server.port(), "/metrics", "application/openmetrics-text; version=1.0.0");
  const auto other = get(server.port(), "/elsewhere");
  asio::post(ioc, [&] { server.stop(); });
  t.join();
  CHECK_THAT(text, Catch::Contains("gemini_client_calls_total 3\n"));
  CHECK_THAT(text, !Catch::Contains("# EOF"));
  CHECK_THAT(om, Catch::EndsWith("# EOF\n"));
  CHECK_THAT(other, Catch::Contains("not found"));
}

TEST_CASE("a real Prometheus server scrapes /metrics and answers PromQL",
          "[observe][prometheus][emulator]") {
  if (std::string(GEMINI_PROMETHEUS).empty()) {
    WARN("prometheus not installed (Debian package prometheus): test skipped");
    return;
  }
  gemini::testing::emulator emu;
  asio::io_context ioc;
  basic_config<observed> cfg;
  cfg.client.key = api_key("test-key");
  cfg.client.base_url = emu.base_url() + "/v1beta";
  cfg.client.model = "gemini-2.5-flash";
  basic_client<observed> c(ioc.get_executor(), cfg);
  constexpr int calls = 7;
  for (int i = 0; i < calls; ++i) REQUIRE(gemini::test::run(ioc, c.generate("Say hi.")));

  observe::metrics_server server(ioc.get_executor(), c.observer().metrics());
  auto work = asio::make_work_guard(ioc);
  std::thread t([&] {
    ioc.restart();
    ioc.run();
  });

  auto dir = gemini::testing::temp_dir();
  const auto web = gemini::testing::redis_server::free_port();
  std::ofstream(dir / "prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
         "scrape_configs:\n  - job_name: gemini\n    static_configs:\n      - targets: ['127.0.0.1:"
      << server.port() << "']\n";
  auto pid = gemini::testing::spawn_process(
      GEMINI_PROMETHEUS,
      {"--config.file=" + (dir / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(web), "--log.level=error"});

  // Poll the query API until the scraped counter is there (or 30 s pass).
  const std::string query =
      "/api/v1/query?query=" + url_encode("sum(gemini_client_calls_total{outcome=\"ok\"})");
  std::string value;
  auto until = std::chrono::steady_clock::now() + 30s;
  while (value.empty() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(200ms);
    auto body = get(web, query);
    if (body.empty()) continue;
    boost::system::error_code ec;
    auto j = boost::json::parse(body, ec);
    if (ec || !j.is_object()) continue;
    auto* data = j.as_object().if_contains("data");
    if (!data || !data->is_object()) continue;
    auto* res = data->as_object().if_contains("result");
    if (!res || !res->is_array() || res->as_array().empty()) continue;
    value = std::string(res->as_array()[0].as_object().at("value").as_array()[1].as_string());
  }
  auto targets = get(web, "/api/v1/targets");
  ::kill(pid, SIGTERM);
  CHECK(gemini::testing::wait_exit(pid) == 0);
  asio::post(ioc, [&] { server.stop(); });
  work.reset();
  t.join();
  std::filesystem::remove_all(dir);
  CHECK(value == std::to_string(calls));
  CHECK_THAT(targets, Catch::Contains("\"health\":\"up\""));
  CHECK(server.scrapes() >= 1);
}

// Prometheus text 0.0.4 and OpenMetrics: names, escaping, histograms; the real promtool
// (Debian package prometheus) checks the output when it is installed.
#include <gemini/observe/prometheus.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

using namespace gemini::observe;

#ifndef GEMINI_PROMTOOL
#define GEMINI_PROMTOOL ""
#endif

namespace {

metric_options opts(std::string name, std::string unit, std::string help,
                    std::vector<std::string> labels, std::vector<double> buckets = {}) {
  metric_options o;
  o.name = std::move(name);
  o.unit = std::move(unit);
  o.help = std::move(help);
  o.labels = std::move(labels);
  o.buckets = std::move(buckets);
  return o;
}

/// `promtool check metrics` on `text`: its output, "" when it found nothing; nullopt when
/// promtool is not installed.
std::optional<std::string> promtool(const std::string& text) {
  if (std::string(GEMINI_PROMTOOL).empty()) return std::nullopt;
  char path[] = "/tmp/gemini-metrics-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path, std::ios::binary) << text;
  std::string cmd = std::string(GEMINI_PROMTOOL) + " check metrics < " + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  int status = ::pclose(p);
  std::remove(path);
  if (status != 0 && out.empty()) out = "promtool exited with " + std::to_string(status);
  return out;
}

}  // namespace

TEST_CASE("exposition: OpenTelemetry names become Prometheus names", "[observe][unit]") {
  registry reg;
  reg.histogram(opts("gen_ai.client.operation.duration", "s", "d", {"gen_ai.request.model"}, {1}))
      .observe({"m"}, 0.5);
  reg.histogram(opts("gen_ai.client.token.usage", "{token}", "t", {}, {1})).observe({}, 3);
  reg.counter(opts("gemini.client.cost", "USD", "c", {})).add({}, 0.25);
  reg.counter(opts("gemini.client.calls", "{call}", "n", {})).add({}, 1);
  reg.counter(opts("bytes.sent.total", "By", "b", {})).add({}, 10);
  reg.gauge(opts("cache.fill", "1", "f", {})).set({}, 0.5);
  auto text = exposition_text(reg);
  CHECK_THAT(text, Catch::Contains("gen_ai_client_operation_duration_seconds_bucket{"
                                   "gen_ai_request_model=\"m\",le=\"1\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE gen_ai_client_token_usage histogram\n"));
  CHECK_THAT(text, Catch::Contains("gemini_client_cost_usd_total 0.25\n"));
  CHECK_THAT(text, Catch::Contains("# TYPE gemini_client_calls_total counter\n"));
  CHECK_THAT(text, Catch::Contains("bytes_sent_bytes_total 10\n"));
  CHECK_THAT(text, Catch::Contains("cache_fill_ratio 0.5\n"));
}

TEST_CASE("exposition: a histogram's buckets are cumulative and end at +Inf = count",
          "[observe][unit]") {
  registry reg;
  auto& h = reg.histogram(opts("lat", "s", "Latency", {"m"}, {0.1, 1}));
  for (double v : {0.05, 0.5, 0.7, 3.0}) h.observe({"a"}, v);
  auto text = exposition_text(reg);
  CHECK(text ==
        "# HELP lat_seconds Latency\n"
        "# TYPE lat_seconds histogram\n"
        "lat_seconds_bucket{m=\"a\",le=\"0.1\"} 1\n"
        "lat_seconds_bucket{m=\"a\",le=\"1\"} 3\n"
        "lat_seconds_bucket{m=\"a\",le=\"+Inf\"} 4\n"
        "lat_seconds_sum{m=\"a\"} 4.25\n"
        "lat_seconds_count{m=\"a\"} 4\n");
}

TEST_CASE("exposition: label values and help text are escaped", "[observe][unit]") {
  registry reg;
  reg.counter(opts("odd", "", "line one\nback\\slash", {"v"})).add({"q\"uote\\ and\nnewline"}, 1);
  auto text = exposition_text(reg);
  CHECK_THAT(text, Catch::Contains("# HELP odd_total line one\\nback\\\\slash\n"));
  CHECK_THAT(text, Catch::Contains("odd_total{v=\"q\\\"uote\\\\ and\\nnewline\"} 1\n"));
  if (auto lint = promtool(text)) CHECK(*lint == "");
}

TEST_CASE("exposition: a label value that is not UTF-8 is repaired, not passed on",
          "[observe][unit]") {
  registry reg;
  reg.counter(opts("bad", "", "h", {"tenant"})).add({"caf\xe9 \xff"}, 1);
  auto text = exposition_text(reg);
  CHECK_THAT(text, Catch::Contains("bad_total{tenant=\"caf\xEF\xBF\xBD \xEF\xBF\xBD\"} 1\n"));
  if (auto lint = promtool(text)) CHECK(*lint == "");
}

TEST_CASE("exposition: OpenMetrics names the counter family, adds UNIT and # EOF",
          "[observe][unit]") {
  registry reg;
  reg.counter(opts("gemini.client.calls", "{call}", "Calls", {"m"})).add({"x"}, 2);
  reg.histogram(opts("d", "s", "D", {}, {1})).observe({}, 2);
  auto text = exposition_text(reg, exposition::openmetrics);
  CHECK_THAT(text, Catch::Contains("# TYPE gemini_client_calls counter\n"
                                   "gemini_client_calls_total{m=\"x\"} 2\n"));
  CHECK_THAT(text, Catch::Contains("# UNIT d_seconds seconds\n"));
  CHECK_THAT(text, Catch::EndsWith("# EOF\n"));
  CHECK(content_type(exposition::openmetrics).starts_with("application/openmetrics-text"));
}

TEST_CASE("exposition: promtool accepts what the library exposes", "[observe][promtool]") {
  registry reg;
  reg.histogram(opts("gen_ai.client.operation.duration", "s", "GenAI operation duration",
                     {"gen_ai.operation.name", "gen_ai.request.model", "error.type"},
                     {0.01, 0.02, 0.04}))
      .observe({"generate_content", "gemini-2.5-flash", ""}, 0.03);
  reg.counter(opts("gemini.client.calls", "{call}", "Calls", {"outcome"})).add({"ok"}, 3);
  reg.gauge(opts("gemini.client.pool.open", "{connection}", "Open connections", {})).set({}, 2);
  auto lint = promtool(exposition_text(reg));
  if (!lint) {
    WARN("promtool not installed (Debian package prometheus): lint skipped");
    return;
  }
  CHECK(*lint == "");
}

#ifndef GEMINI_HAVE_PROMETHEUS_CPP
TEST_CASE("prometheus-cpp: gemini's metrics next to the service's own",
          "[observe][prometheus-cpp]") {
  WARN("prometheus-cpp not found by CMake (Debian prometheus-cpp-dev): adapter test skipped");
}
#endif

// The library's metrics beside a service's own prometheus-cpp Registry, serialized by
// prometheus-cpp's TextSerializer, checked by promtool. Built only when CMake finds
// prometheus-cpp (Debian prometheus-cpp-dev).
#include <gemini/observe/prometheus_cpp.hpp>
#include <gemini/observe/telemetry.hpp>

#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#ifndef GEMINI_PROMTOOL
#define GEMINI_PROMTOOL ""
#endif

using namespace gemini;

TEST_CASE("prometheus-cpp: gemini's metrics next to the service's own",
          "[observe][prometheus-cpp]") {
  observe::telemetry t;
  wire::usage_metadata u;
  u.prompt_token_count = 10;
  u.candidates_token_count = 5;
  u.total_token_count = 15;
  observe::event e;
  e.kind = observe::event_kind::call_end;
  e.model = e.response_model = "gemini-2.5-flash";
  e.usage = &u;
  e.elapsed = std::chrono::milliseconds(30);
  e.server_address = "127.0.0.1";
  e.server_port = 8080;
  t.record(e);
  t.record(e);

  auto service = std::make_shared<prometheus::Registry>();
  auto& orders =
      prometheus::BuildCounter().Name("shop_orders_total").Help("Orders").Register(*service);
  orders.Add({{"channel", "web"}}).Increment(3);

  observe::prometheus_cpp_collectable gemini_metrics(t.metrics());
  auto families = service->Collect();
  for (auto& f : gemini_metrics.Collect()) families.push_back(std::move(f));
  const std::string text = prometheus::TextSerializer().Serialize(families);

  CHECK_THAT(text, Catch::Contains("shop_orders_total{channel=\"web\"} 3"));
  CHECK_THAT(text, Catch::Contains(
                       "gemini_client_calls_total{gen_ai_operation_name=\"generate_content\""));
  CHECK_THAT(text, Catch::Contains("gen_ai_client_operation_duration_seconds_count{"));
  CHECK_THAT(text, Catch::Contains("le=\"+Inf\"} 2"));
  if (std::string(GEMINI_PROMTOOL).empty()) {
    WARN("promtool not installed: lint skipped");
    return;
  }
  char path[] = "/tmp/gemini-promcpp-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << text;
  std::string cmd = std::string(GEMINI_PROMTOOL) + " check metrics < " + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  CHECK(::pclose(p) == 0);
  std::remove(path);
  CHECK(out == "");
}

// The metrics registry and observe::telemetry recorded from several threads at once (run
// under ThreadSanitizer by scripts/test.sh): nothing lost, no race reported.
#include <gemini/observe/prometheus.hpp>
#include <gemini/observe/telemetry.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace gemini;

TEST_CASE("telemetry: eight threads record calls while another exposes them",
          "[observe][threads]") {
  observe::telemetry t;
  wire::usage_metadata u;
  u.prompt_token_count = 100;
  u.candidates_token_count = 20;
  u.total_token_count = 120;
  constexpr int threads = 10, per = 2000;  // more threads than exclusive shards
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done.load()) (void)observe::exposition_text(*t.metrics());
  });
  std::vector<std::thread> ts;
  for (int i = 0; i < threads; ++i)
    ts.emplace_back([&, i] {
      const std::string tenant = "tenant-" + std::to_string(i % 3);
      for (int k = 0; k < per; ++k) {
        observe::event e;
        e.kind = observe::event_kind::call_end;
        e.model = "gemini-2.5-flash";
        e.response_model = "gemini-2.5-flash";
        e.tenant = tenant;
        e.usage = &u;
        e.elapsed = std::chrono::milliseconds(5 + k % 50);
        e.server_address = "127.0.0.1";
        e.server_port = 443;
        t.record(e);
      }
    });
  for (auto& th : ts) th.join();
  done = true;
  reader.join();
  const auto* calls = t.metrics()->find("gemini.client.calls");
  REQUIRE(calls);
  double total = 0;
  calls->each([&](const observe::series& s) { total += s.total(0); });
  CHECK(total == threads * per);
  const auto* tokens = t.metrics()->find("gemini.client.tokens");
  REQUIRE(tokens);
  double in = 0;
  tokens->each([&](const observe::series& s) {
    if (s.values()[1] == "input") in += s.total(0);
  });
  CHECK(in == threads * per * 100.0);
}

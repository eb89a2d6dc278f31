// quickstart: a production client — response cache, rate limits, circuit breaker, retry
// with back-off and failover between two models — configured in one place, then one
// prompt; prints the answer, the endpoint that gave it and the token usage.
//
// Without GEMINI_API_KEY it starts the library's Gemini emulator in-process on 127.0.0.1
// and says so; with it, it calls the real service (GEMINI_BASE_URL / GEMINI_MODEL override).
//
//   quickstart ["your prompt"]
#include <gemini/gemini.hpp>
#include <gemini/testing/emulator.hpp>

#include <iostream>
#include <optional>

// Each policy is a type; the client is assembled from them at compile time.
struct production : gemini::policies::defaults {
  using cache = gemini::cache::memory<>;                  // identical prompts answered once
  using limit = gemini::limit::token_bucket;              // RPM, TPM and concurrency
  using breaker = gemini::breaker::consecutive_failures;  // stop calling a failing service
  using retry = gemini::retry::exponential;               // 429 / 5xx retried with jitter
  using route = gemini::route::router<gemini::route::ordered_fallback>;  // failover
};

int main(int argc, char** argv) {
  gemini::basic_config<production> cfg;  // key, base URL and model from the environment
  std::optional<gemini::testing::emulator> emulator;
  if (cfg.client.key.empty()) {
    emulator.emplace();
    cfg.client.base_url = emulator->base_url() + "/v1beta";
    cfg.client.key = gemini::api_key("test-key");
    std::cout << "GEMINI_API_KEY is not set: talking to the embedded emulator at "
              << emulator->base_url() << "\n\n";
  }

  // Every policy's options, in one place (or: gemini::config_from_file<...>("gemini.json")).
  cfg.cache.ttl = std::chrono::minutes(10);
  cfg.limit.requests_per_minute = 60;
  cfg.limit.tokens_per_minute = 250'000;
  cfg.limit.max_concurrency = 8;
  cfg.breaker.failure_threshold = 5;
  cfg.retry.max_attempts = 4;
  for (const char* model : {cfg.client.model.c_str(), "gemini-2.5-flash-lite"}) {
    gemini::route::endpoint ep;
    ep.name = model;
    ep.base_url = cfg.client.base_url;
    ep.model = model;
    cfg.route.endpoints.push_back(std::move(ep));
  }

  gemini::basic_sync_client<production> client(std::move(cfg));
  auto r = client.generate(argc > 1 ? argv[1] : "Why does connection pooling matter?");
  if (!r) {
    std::cerr << "error: " << r.error() << '\n';  // typed: rate_limited, unavailable, ...
    return 1;
  }
  int via = r->delivery.endpoint;  // which endpoint of the route answered
  std::cout << r->model_version << " answered (endpoint "
            << (via >= 0 ? client.async_client().router().at(static_cast<std::size_t>(via)).name
                         : "?")
            << "):\n\n"
            << r->text() << "\n\n"
            << "tokens: prompt " << r->usage.prompt_token_count << ", answer "
            << r->usage.candidates_token_count << ", thoughts " << r->usage.thoughts_token_count
            << ", total " << r->usage.total_token_count << '\n';
  return 0;
}

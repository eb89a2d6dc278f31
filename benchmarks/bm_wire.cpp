// JSON throughput of the wire model: parsing a realistic ~4 KB generateContent response into
// wire::generate_content_response, beside plain boost::json::parse of the same bytes (heap
// and stack-buffer storage) in the same binary; plus request serialization, stream
// accumulation and error-body parsing. Allocations are counted per iteration.
//
//   build/benchmarks/bm_wire --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <gemini/wire/accumulator.hpp>
#include <gemini/wire/error_body.hpp>
#include <gemini/wire/json.hpp>
#include <gemini/wire/types.hpp>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

// ---- allocation counter (this binary only) ---------------------------------------------------
// g++ 12 flags free() of memory from the replaced operator new once both are inlined
// (a known false positive for replacement allocation functions).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<std::size_t> g_allocs{0};
}
void* operator new(std::size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace wire = gemini::wire;

namespace {

/// A generateContent response as the service sends it (Google's spacing), ~4 KB: thoughts,
/// a multi-paragraph answer with a signature, safety ratings, citations, usage details.
std::string response_body() {
  std::string answer;
  const char* para =
      "A connection pool keeps idle TLS connections open so that the next request can skip the "
      "TCP and TLS handshakes. Size it to the concurrency you expect, bound the idle time, and "
      "never return a connection whose exchange was cancelled, because its stream state is "
      "undefined.\\n\\n";
  for (int i = 0; i < 10; ++i) answer += para;
  std::string b;
  b += R"({"candidates": [{"content": {"parts": [{"text": "**Planning the answer**\n\nThe user )"
       R"(wants to know how pools work; I will explain idle connections, sizing and )"
       R"(cancellation.","thought": true},{"text": ")";
  b += answer;
  b +=
      R"(","thoughtSignature": "EtoBCtcBAdHtim9tH1sS1gNaTuReEtoBCtcBAdHtim9tH1sS1gNaTuReEtoBCtcBAdHtim9tH1sS1gNaTuRe"}],"role": "model"},)"
      R"("finishReason": "STOP","index": 0,"safetyRatings": [)"
      R"({"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT","probability": "NEGLIGIBLE"},)"
      R"({"category": "HARM_CATEGORY_HATE_SPEECH","probability": "NEGLIGIBLE"},)"
      R"({"category": "HARM_CATEGORY_HARASSMENT","probability": "NEGLIGIBLE"},)"
      R"({"category": "HARM_CATEGORY_DANGEROUS_CONTENT","probability": "NEGLIGIBLE"}],)"
      R"("citationMetadata": {"citationSources": [{"startIndex": 12,"endIndex": 140,)"
      R"("uri": "https://example.com/pools","license": "CC-BY-SA"},{"startIndex": 300,)"
      R"("endIndex": 420,"uri": "https://example.com/tls"}]},"avgLogprobs": -0.31}],)"
      R"("usageMetadata": {"promptTokenCount": 412,"candidatesTokenCount": 388,)"
      R"("totalTokenCount": 1211,"thoughtsTokenCount": 411,"cachedContentTokenCount": 256,)"
      R"("promptTokensDetails": [{"modality": "TEXT","tokenCount": 412}],)"
      R"("cacheTokensDetails": [{"modality": "TEXT","tokenCount": 256}],)"
      R"("candidatesTokensDetails": [{"modality": "TEXT","tokenCount": 388}],)"
      R"("serviceTier": "standard"},"modelVersion": "gemini-3.5-flash",)"
      R"("responseId": "IiYaau_fNqqajrEP2K2QqQU"})";
  return b;
}

const std::string& body() {
  static const std::string b = response_body();
  return b;
}

void report(benchmark::State& state, std::size_t bytes, std::size_t allocs_before) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(g_allocs.load() - allocs_before) /
                         static_cast<double>(state.iterations()));
  state.counters["body_bytes"] = static_cast<double>(bytes);
}

// Baseline: plain Boost.JSON parse into a heap-backed value.
void BM_boost_json_parse(benchmark::State& state) {
  auto const& b = body();
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    boost::json::value v = boost::json::parse(b);
    benchmark::DoNotOptimize(v);
  }
  report(state, b.size(), a0);
}
BENCHMARK(BM_boost_json_parse);

// Baseline: Boost.JSON parse into a stack buffer (what wire::parse does before reading).
void BM_boost_json_parse_monotonic(benchmark::State& state) {
  auto const& b = body();
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    alignas(std::max_align_t) unsigned char buf[8192];
    boost::json::monotonic_resource mr(buf, sizeof buf);
    auto v = wire::parse_value(b, &mr);
    benchmark::DoNotOptimize(v);
  }
  report(state, b.size(), a0);
}
BENCHMARK(BM_boost_json_parse_monotonic);

// The wire model: text → generate_content_response (parse + typed read + copies out).
void BM_wire_parse_response(benchmark::State& state) {
  auto const& b = body();
  if (!wire::parse<wire::generate_content_response>(b)) state.SkipWithError("parse failed");
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    auto r = wire::parse<wire::generate_content_response>(b);
    benchmark::DoNotOptimize(r);
  }
  report(state, b.size(), a0);
}
BENCHMARK(BM_wire_parse_response);

void BM_wire_serialize_response(benchmark::State& state) {
  auto r = *wire::parse<wire::generate_content_response>(body());
  std::size_t bytes = wire::serialize(r).size();
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    auto s = wire::serialize(r);
    benchmark::DoNotOptimize(s);
  }
  report(state, bytes, a0);
}
BENCHMARK(BM_wire_serialize_response);

void BM_wire_serialize_request(benchmark::State& state) {
  wire::generate_content_request q;
  q.system_instruction = wire::content::system("You are a terse assistant.");
  for (int i = 0; i < 4; ++i) {
    q.contents.push_back(wire::content::user("Explain connection pools in two paragraphs."));
    q.contents.push_back(wire::content::model(std::string(400, 'x')));
  }
  q.generation_config.emplace();
  q.generation_config->temperature = 0.7;
  q.generation_config->max_output_tokens = 1024;
  q.generation_config->thinking_config.emplace();
  q.generation_config->thinking_config->thinking_budget = 512;
  std::size_t bytes = wire::serialize(q).size();
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    auto s = wire::serialize(q);
    benchmark::DoNotOptimize(s);
  }
  report(state, bytes, a0);
}
BENCHMARK(BM_wire_serialize_request);

// 40 SSE-sized chunks of ~100 bytes of text each, parsed and accumulated.
void BM_wire_stream_accumulate(benchmark::State& state) {
  std::vector<std::string> events;
  std::size_t bytes = 0;
  for (int i = 0; i < 40; ++i) {
    std::string e =
        R"({"candidates": [{"content": {"parts": [{"text": ")" + std::string(100, 'a') +
        R"("}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 12,)"
        R"("totalTokenCount": )" +
        std::to_string(12 + i) +
        R"(},"modelVersion": "gemini-3.5-flash","responseId": "IiYaau_fNqqajrEP2K2QqQU"})";
    bytes += e.size();
    events.push_back(std::move(e));
  }
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    wire::response_accumulator acc;
    for (auto const& e : events) {
      auto c = wire::parse<wire::generate_content_response>(e);
      acc.add(std::move(*c));
    }
    auto r = acc.take();
    benchmark::DoNotOptimize(r);
  }
  report(state, bytes, a0);
}
BENCHMARK(BM_wire_stream_accumulate);

void BM_wire_parse_error_body_429(benchmark::State& state) {
  const std::string b =
      R"({"error": {"code": 429,"message": "You exceeded your current quota.",)"
      R"("status": "RESOURCE_EXHAUSTED","details": [{"@type": )"
      R"("type.googleapis.com/google.rpc.QuotaFailure","violations": [)"
      R"({"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",)"
      R"("quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",)"
      R"("quotaDimensions": {"location": "global","model": "gemini-2.5-flash"},)"
      R"("quotaValue": "5"}]},{"@type": "type.googleapis.com/google.rpc.RetryInfo",)"
      R"("retryDelay": "45.837906927s"}]}})";
  auto a0 = g_allocs.load();
  for (auto _ : state) {
    auto e = wire::parse_error_body(429, b);
    benchmark::DoNotOptimize(e);
  }
  report(state, b.size(), a0);
}
BENCHMARK(BM_wire_parse_error_body_429);

}  // namespace

BENCHMARK_MAIN();

// Throughput of the streaming framers (wire/sse.hpp, wire/json_stream.hpp) over a realistic
// ~64 KB streamGenerateContent body fed in TCP-segment-sized chunks (1460 bytes), beside
// baselines from the same run:
//  - floor_memchr_lines: memchr for every '\n' in the same chunks (the least a line splitter
//    must do);
//  - floor_find_crlfcrlf: string_view::find("\r\n\r\n") per chunk (event boundaries only);
//  - boost_json_parse: boost::json::parse of the same payloads (what the caller does next).
// Counters: bytes/s (SetBytesProcessed), events/s (items), heap allocations per stream
// (operator new is counted in this TU; a new parser per stream, as a client would use).
//
//   build/benchmarks/bm_stream --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <gemini/wire/json_stream.hpp>
#include <gemini/wire/sse.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "count_allocations.hpp"

using gemini_bench::allocations;

namespace {

constexpr std::size_t segment = 1460;
constexpr std::size_t target_body_bytes = 64 * 1024;

// Gemini-style events (Google's spacing: a space after ':' but none after ','), text deltas
// of varying length, cumulative usage, the final event with finishReason and a signature.
std::vector<std::string> make_payloads() {
  static const char words[] =
      "Connection pools keep TLS sessions warm, so a second request skips the handshake and "
      "the first byte arrives sooner. Under load the pool bounds concurrency per host; an "
      "idle timeout closes sockets the server would drop anyway. \\\"Quoted\\\" text, a path "
      "C:\\\\tmp and braces {like these} appear in real answers too. ";
  std::vector<std::string> out;
  std::size_t total = 0, i = 0, tokens = 0;
  while (total < target_body_bytes) {
    const std::size_t len = 80 + (i * 137) % 700;
    std::string text;
    while (text.size() < len) text += words;
    text.resize(len);
    while (!text.empty() && text.back() == '\\') text.pop_back();
    tokens += len / 4;
    std::string p = R"({"candidates": [{"content": {"parts": [{"text": ")" + text +
                    R"("}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 12,)"
                    R"("candidatesTokenCount": )" +
                    std::to_string(tokens) + R"(,"totalTokenCount": )" +
                    std::to_string(tokens + 12) +
                    R"(,"thoughtsTokenCount": 24},"modelVersion": "gemini-3.5-flash",)"
                    R"("responseId": "IiYaau_fNqqajrEP2K2QqQU"})";
    total += p.size() + 10;
    out.push_back(std::move(p));
    ++i;
  }
  out.push_back(
      R"({"candidates": [{"content": {"parts": [{"text": "","thoughtSignature": "RXQ4RC1maW5hbA=="}],)"
      R"("role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 12,)"
      R"("candidatesTokenCount": 9000,"totalTokenCount": 9012},"modelVersion": "gemini-3.5-flash",)"
      R"("responseId": "IiYaau_fNqqajrEP2K2QqQU"})");
  return out;
}

const std::vector<std::string>& payloads() {
  static const auto p = make_payloads();
  return p;
}

const std::string& sse_body() {
  static const std::string b = [] {
    std::string s;
    for (auto const& p : payloads()) s += "data: " + p + "\r\n\r\n";
    return s;
  }();
  return b;
}

const std::string& array_body() {
  static const std::string b = [] {
    std::string s = "[";
    bool first = true;
    for (auto const& p : payloads()) {
      if (!first) s += "\r\n,\r\n";
      first = false;
      s += p;
    }
    s += "\r\n]";
    return s;
  }();
  return b;
}

std::size_t payload_bytes() {
  std::size_t n = 0;
  for (auto const& p : payloads()) n += p.size();
  return n;
}

void report(benchmark::State& state, std::size_t bytes_per_iter, std::size_t items_per_iter,
            std::size_t allocs) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes_per_iter));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items_per_iter));
  state.counters["allocs_per_stream"] =
      benchmark::Counter(static_cast<double>(allocs) / static_cast<double>(state.iterations()));
}

void BM_sse_parser(benchmark::State& state) {
  const std::string& body = sse_body();
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::size_t events = 0;
  const std::size_t a0 = allocations.load();
  for (auto _ : state) {
    gemini::wire::sse_parser p;
    gemini::wire::sse_event ev;
    events = 0;
    for (std::size_t off = 0; off < body.size(); off += chunk) {
      if (!p.feed(std::string_view(body).substr(off, chunk))) state.SkipWithError("feed failed");
      while (p.next(ev)) {
        benchmark::DoNotOptimize(ev.data.data());
        ++events;
      }
    }
    if (!p.finish()) state.SkipWithError("finish failed");
  }
  const std::size_t a1 = allocations.load();
  if (events != payloads().size()) state.SkipWithError("wrong event count");
  report(state, body.size(), events, a1 - a0);
}
BENCHMARK(BM_sse_parser)->Arg(segment)->Arg(64)->Arg(16384);

void BM_json_array_parser(benchmark::State& state) {
  const std::string& body = array_body();
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::size_t elements = 0;
  const std::size_t a0 = allocations.load();
  for (auto _ : state) {
    gemini::wire::json_array_stream_parser p;
    std::string element;
    elements = 0;
    for (std::size_t off = 0; off < body.size(); off += chunk) {
      if (!p.feed(std::string_view(body).substr(off, chunk))) state.SkipWithError("feed failed");
      while (p.next(element)) {
        benchmark::DoNotOptimize(element.data());
        ++elements;
      }
    }
    if (!p.finish()) state.SkipWithError("finish failed");
  }
  const std::size_t a1 = allocations.load();
  if (elements != payloads().size()) state.SkipWithError("wrong element count");
  report(state, body.size(), elements, a1 - a0);
}
BENCHMARK(BM_json_array_parser)->Arg(segment)->Arg(64)->Arg(16384);

// Floor: find every line end in the same chunks, nothing else.
void BM_floor_memchr_lines(benchmark::State& state) {
  const std::string& body = sse_body();
  std::size_t lines = 0;
  for (auto _ : state) {
    lines = 0;
    for (std::size_t off = 0; off < body.size(); off += segment) {
      const char* b = body.data() + off;
      const char* e = b + std::min(segment, body.size() - off);
      while (const void* p = std::memchr(b, '\n', static_cast<std::size_t>(e - b))) {
        ++lines;
        b = static_cast<const char*>(p) + 1;
      }
    }
    benchmark::DoNotOptimize(lines);
  }
  report(state, body.size(), payloads().size(), 0);
}
BENCHMARK(BM_floor_memchr_lines);

// Floor: find the event delimiters only (misses the ones cut by a chunk boundary).
void BM_floor_find_crlfcrlf(benchmark::State& state) {
  const std::string& body = sse_body();
  std::size_t found = 0;
  for (auto _ : state) {
    found = 0;
    for (std::size_t off = 0; off < body.size(); off += segment) {
      const std::string_view c = std::string_view(body).substr(off, segment);
      for (std::size_t p = c.find("\r\n\r\n"); p != std::string_view::npos;
           p = c.find("\r\n\r\n", p + 4))
        ++found;
    }
    benchmark::DoNotOptimize(found);
  }
  report(state, body.size(), payloads().size(), 0);
}
BENCHMARK(BM_floor_find_crlfcrlf);

// What comes next for the caller: a full JSON parse of each payload (DOM, default resource).
void BM_boost_json_parse(benchmark::State& state) {
  const auto& ps = payloads();
  const std::size_t a0 = allocations.load();
  for (auto _ : state) {
    for (auto const& p : ps) {
      boost::json::error_code ec;
      boost::json::value v = boost::json::parse(p, ec);
      if (ec) state.SkipWithError("parse failed");
      benchmark::DoNotOptimize(v);
    }
  }
  const std::size_t a1 = allocations.load();
  report(state, payload_bytes(), ps.size(), a1 - a0);
}
BENCHMARK(BM_boost_json_parse);

}  // namespace

BENCHMARK_MAIN();

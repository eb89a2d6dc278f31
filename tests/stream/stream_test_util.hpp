// Shared helpers for tests/stream: feed one input to a parser under many different splits
// (whole, byte by byte, random cuts with fixed seeds) and check every split gives the same
// outcome as the whole-input run.
#pragma once

#include <gemini/error.hpp>
#include <gemini/wire/json_stream.hpp>
#include <gemini/wire/sse.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <iterator>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace stream_test {

using gemini::errc;

inline constexpr unsigned random_seeds = 200;

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(GEMINI_TEST_DATA_DIR) + "/wire/" + name, std::ios::binary);
  REQUIRE(in.good());
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::vector<std::string> fixture_lines(const std::string& name) {
  std::vector<std::string> out;
  std::istringstream in(fixture(name));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(line);
  REQUIRE_FALSE(out.empty());
  return out;
}

inline std::string escape(std::string_view s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '\r': o += "\\r"; break;
      case '\n': o += "\\n"; break;
      case '\0': o += "\\0"; break;
      default: o += c;
    }
  }
  return o;
}

/// Chunks, each a separate std::string (so a parser that keeps a view into an earlier chunk
/// reads freed memory, which the sanitizers report).
using chunks = std::vector<std::string>;

inline chunks split_whole(std::string_view s) { return {std::string(s)}; }

inline chunks split_bytes(std::string_view s) {
  chunks out;
  for (char c : s) out.emplace_back(1, c);
  return out;
}

/// Random cut points (sometimes few, sometimes many) and occasional empty chunks.
inline chunks split_random(std::string_view s, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::size_t> cuts;
  const std::size_t max_cuts = s.size();
  const std::size_t ncuts = max_cuts == 0 ? 0 : rng() % (rng() % 2 ? max_cuts + 1 : 8);
  for (std::size_t i = 0; i < ncuts; ++i) cuts.push_back(rng() % (s.size() + 1));
  std::sort(cuts.begin(), cuts.end());  // duplicates give empty chunks
  chunks out;
  std::size_t prev = 0;
  for (std::size_t c : cuts) {
    out.emplace_back(s.substr(prev, c - prev));
    prev = c;
  }
  out.emplace_back(s.substr(prev));
  return out;
}

/// What a parser produced: items in order, then the first error (success if none).
template <class Item>
struct outcome {
  std::vector<Item> items;
  errc error = errc::success;
  bool operator==(const outcome&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const gemini::wire::sse_event& e) {
  os << "{data=\"" << escape(e.data) << '"';
  if (!e.event.empty()) os << " event=\"" << escape(e.event) << '"';
  if (!e.id.empty()) os << " id=\"" << escape(e.id) << '"';
  if (e.raw_json) os << " raw_json";
  return os << '}';
}

template <class Item>
std::ostream& operator<<(std::ostream& os, const outcome<Item>& o) {
  os << '[';
  for (auto const& i : o.items) {
    if constexpr (std::is_same_v<Item, std::string>)
      os << "\n  \"" << escape(i) << '"';
    else
      os << "\n  " << i;
  }
  os << "\n] error=" << gemini::make_error_code(o.error).message();
  return os;
}

inline void drain(gemini::wire::sse_parser& p, std::vector<gemini::wire::sse_event>& out) {
  gemini::wire::sse_event e;  // one reused event, as a real caller would do
  while (p.next(e)) out.push_back(e);
}
inline void drain(gemini::wire::json_array_stream_parser& p, std::vector<std::string>& out) {
  std::string s;
  while (p.next(s)) out.push_back(s);
}

inline errc code_of(const gemini::result<void>& r) {
  return r ? errc::success : static_cast<errc>(r.error().code.value());
}

/// Feeds `parts` then calls finish(); stops at the first error (but drains what was ready).
template <class Parser, class Item>
outcome<Item> run(const chunks& parts, std::size_t max) {
  Parser p(max);
  outcome<Item> o;
  for (auto const& c : parts) {
    o.error = code_of(p.feed(c));
    drain(p, o.items);
    if (o.error != errc::success) {
      // Sticky: the next calls report the same error.
      CHECK(code_of(p.feed("data: x\n\n")) == o.error);
      CHECK(code_of(p.finish()) == o.error);
      return o;
    }
  }
  o.error = code_of(p.finish());
  drain(p, o.items);
  return o;
}

/// Runs `input` whole, byte by byte and under `random_seeds` random splits; every run must
/// give the whole-input outcome, which is returned.
template <class Parser, class Item>
outcome<Item> all_splits(std::string_view input, std::size_t max) {
  const auto whole = run<Parser, Item>(split_whole(input), max);
  INFO("input: \"" << escape(input) << '"');
  {
    INFO("byte by byte");
    CHECK(run<Parser, Item>(split_bytes(input), max) == whole);
  }
  for (unsigned seed = 1; seed <= random_seeds; ++seed) {
    INFO("random split, seed " << seed);
    const auto o = run<Parser, Item>(split_random(input, seed), max);
    CHECK(o == whole);
    if (o != whole) break;  // one report is enough
  }
  return whole;
}

using sse_outcome = outcome<gemini::wire::sse_event>;
using array_outcome = outcome<std::string>;

inline sse_outcome sse_all_splits(
    std::string_view input, std::size_t max = gemini::wire::sse_parser::default_max_event_bytes) {
  return all_splits<gemini::wire::sse_parser, gemini::wire::sse_event>(input, max);
}

inline array_outcome array_all_splits(
    std::string_view input,
    std::size_t max = gemini::wire::json_array_stream_parser::default_max_element_bytes) {
  return all_splits<gemini::wire::json_array_stream_parser, std::string>(input, max);
}

}  // namespace stream_test

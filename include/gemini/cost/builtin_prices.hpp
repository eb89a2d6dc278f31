// gemini-cxx — the price table shipped with the library: the text of
// gemini/cost/prices.json (tests/cost checks the two are the same). Included by
// price_table.hpp.
#pragma once

#include <gemini/cost/price_table.hpp>

#include <cstdlib>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace cost {

inline constexpr std::string_view builtin_prices_json = R"json({
  "source": "https://ai.google.dev/gemini-api/docs/pricing as quoted by pydantic/genai-prices prices/providers/google.yml @ 47df840a (2026-08-21); Standard (paid) tier, USD per million tokens",
  "checked": "2026-08-21",
  "discounts": {"flex_percent": 50, "batch_percent": 50},
  "aliases": {
    "gemini-flash-latest": "gemini-3.5-flash",
    "gemini-pro-latest": "gemini-3.1-pro-preview",
    "gemini-flash-lite-latest": "gemini-3.1-flash-lite"
  },
  "models": [
    {"model": "gemini-2.5-pro", "input": 1.25, "output": 10.00, "cached_input": 0.125,
     "long_prompt": {"above": 200000, "input": 2.50, "output": 15.00, "cached_input": 0.25},
     "checked": "2025-10-31"},
    {"model": "gemini-2.5-flash", "input": 0.30, "input_audio": 1.00, "output": 2.50,
     "cached_input": 0.03, "cached_input_audio": 0.10, "checked": "2025-10-31"},
    {"model": "gemini-2.5-flash-lite", "input": 0.10, "input_audio": 0.30, "output": 0.40,
     "cached_input": 0.01, "cached_input_audio": 0.03, "checked": "2025-10-31"},
    {"model": "gemini-2.0-flash", "input": 0.10, "input_audio": 0.70, "output": 0.40,
     "cached_input": 0.025, "cached_input_audio": 0.175, "checked": "2025-07-04",
     "note": "deprecated"},
    {"model": "gemini-2.0-flash-lite", "input": 0.075, "output": 0.30, "checked": "2025-07-04"},
    {"model": "gemini-3-pro-preview", "input": 2.00, "output": 12.00, "cached_input": 0.20,
     "long_prompt": {"above": 200000, "input": 4.00, "output": 18.00, "cached_input": 0.40},
     "checked": "2025-11-18"},
    {"model": "gemini-3.1-pro-preview", "input": 2.00, "output": 12.00, "cached_input": 0.20,
     "long_prompt": {"above": 200000, "input": 4.00, "output": 18.00, "cached_input": 0.40},
     "checked": "2026-02-23"},
    {"model": "gemini-3-flash-preview", "input": 0.50, "input_audio": 1.00, "output": 3.00,
     "cached_input": 0.05, "cached_input_audio": 0.10, "checked": "2025-12-19"},
    {"model": "gemini-3.1-flash-lite", "input": 0.25, "input_audio": 0.50, "output": 1.50,
     "cached_input": 0.025, "cached_input_audio": 0.05, "checked": "2026-05-12"},
    {"model": "gemini-3.5-flash", "input": 1.50, "output": 9.00, "cached_input": 0.15,
     "checked": "2026-05-19"},
    {"model": "gemini-3.5-flash-lite", "input": 0.30, "output": 2.50, "cached_input": 0.03,
     "checked": "2026-07-22"},
    {"model": "gemini-3.6-flash", "input": 0.75, "output": 3.75, "cached_input": 0.075,
     "cache_storage_per_hour": 0.50, "checked": "2026-08-13",
     "note": "introductory price until 2026-12-31"},
    {"model": "gemini-3.6-flash", "from": "2027-01-01", "input": 1.50, "output": 7.50,
     "cached_input": 0.15, "cache_storage_per_hour": 0.50, "checked": "2026-08-13"},
    {"model": "gemini-3.7-flash", "input": 0.75, "output": 3.75, "cached_input": 0.075,
     "cache_storage_per_hour": 0.50, "checked": "2026-08-13",
     "note": "introductory price until 2026-12-31"},
    {"model": "gemini-3.7-flash", "from": "2027-01-01", "input": 1.50, "output": 7.50,
     "cached_input": 0.15, "cache_storage_per_hour": 0.50, "checked": "2026-08-13"},
    {"model": "gemini-embedding-001", "input": 0.15, "output": 0}
  ]
}
)json";

inline const price_table& price_table::builtin() {
  static const price_table t = [] {
    auto r = from_json(builtin_prices_json);
    if (!r) std::abort();  // the shipped file is checked by the tests
    return std::move(*r);
  }();
  return t;
}

}  // namespace cost
}  // namespace v1
}  // namespace gemini

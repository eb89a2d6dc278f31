// gemini-cxx — route endpoints: where a request can go (provider, model, URL, key), what it
// costs, what it can do, and how much of the traffic it should take.
#pragma once

#include <gemini/config.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/wire/types.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace gemini {
inline namespace v1 {
namespace route {

enum class provider {
  gemini,  ///< the native REST API: models/{model}:generateContent
  openai,  ///< OpenAI-compatible chat completions: {base}/chat/completions
};
BOOST_DESCRIBE_ENUM(provider, gemini, openai)

inline const char* to_string(provider p) noexcept {
  return p == provider::gemini ? "gemini" : "openai";
}

/// US dollars per million tokens.
struct price {
  double input = 0;
  double output = 0;
  double cached_input = 0;
};
BOOST_DESCRIBE_STRUCT(price, (), (input, output, cached_input))

struct capabilities {
  bool multimodal = true;                   ///< accepts inline / file data parts
  bool tools = true;                        ///< function calling, built-in tools
  bool code = true;                         ///< code execution tool
  std::int64_t context_window = 1'048'576;  ///< input tokens
};
BOOST_DESCRIBE_STRUCT(capabilities, (), (multimodal, tools, code, context_window))

struct endpoint {
  std::string name;  ///< for errors, logs and metrics, e.g. "flash-eu"
  route::provider provider = route::provider::gemini;
  std::string base_url{default_base_url};  ///< ".../v1beta" or an OpenAI-compatible ".../v1"
  std::string model{default_model};
  gemini::api_key key;  ///< empty: client_options::key
  route::price price;
  route::capabilities caps;
  double weight = 1;  ///< share of traffic for route::weighted
  /// This endpoint's own rate limits (unset: none); a saturated endpoint is skipped.
  std::optional<limit::token_bucket_options> limits;
};
BOOST_DESCRIBE_STRUCT(endpoint, (),
                      (name, provider, base_url, model, key, price, caps, weight, limits))

/// What the router needs to know about a request to filter endpoints.
struct request_traits {
  std::int64_t prompt_tokens = 0;  ///< estimated
  bool multimodal = false;
  bool tools = false;
  bool code = false;

  static request_traits of(const wire::generate_content_request& r, std::size_t body_bytes) {
    request_traits t;
    t.prompt_tokens = static_cast<std::int64_t>(body_bytes / 4);
    auto scan = [&](const wire::content& c) {
      for (auto const& p : c.parts)
        if (p.inline_data || p.file_data) t.multimodal = true;
    };
    for (auto const& c : r.contents) scan(c);
    if (r.system_instruction) scan(*r.system_instruction);
    for (auto const& tool : r.tools) {
      if (tool.code_execution)
        t.code = true;
      else
        t.tools = true;
    }
    return t;
  }
};

}  // namespace route
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the emulator's option and fault types (documented in testing/emulator.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace testing {

/// Artificial latency. Waits use Asio timers; no server thread ever sleeps.
struct latency_options {
  std::chrono::milliseconds first_byte{0};  ///< before the status line of every response
  std::chrono::milliseconds per_chunk{0};   ///< before every streamed event after the first
  std::chrono::microseconds per_token{0};   ///< per generated (answer + thought) token
};

/// What an injected fault does (see docs/emulator.md for the exact bodies).
enum class fault_kind {
  none,
  http_429_per_minute,    ///< 429 RESOURCE_EXHAUSTED, QuotaFailure per-minute id, RetryInfo, Help
  http_429_per_day,       ///< 429 RESOURCE_EXHAUSTED, QuotaFailure per-day id, RetryInfo, Help
  http_400,               ///< 400 INVALID_ARGUMENT
  http_403,               ///< 403 PERMISSION_DENIED
  http_404,               ///< 404 NOT_FOUND (the real "models/X is not found ..." body)
  http_500,               ///< 500 INTERNAL
  http_503,               ///< 503 UNAVAILABLE "The model is overloaded. Please try again later."
  http_504,               ///< 504 DEADLINE_EXCEEDED
  reset_before_response,  ///< the connection is reset (SO_LINGER 0) without any answer
  cut_mid_stream,    ///< streams: some events then close; unary: headers + half the body then close
  stall_first_byte,  ///< never answers (until the client closes or the emulator stops)
  malformed_json,    ///< 200 with a body that is not valid JSON
  safety_block_prompt,  ///< 200, promptFeedback.blockReason SAFETY, no candidates
  safety_finish,        ///< 200, finishReason SAFETY with safetyRatings, no content
  max_tokens,           ///< 200, answer cut to half, finishReason MAX_TOKENS
};

/// The enumerator name ("http_503"), also accepted by the `[[fault:NAME]]` prompt token.
constexpr std::string_view to_string(fault_kind k) noexcept {
  switch (k) {
    case fault_kind::none: return "none";
    case fault_kind::http_429_per_minute: return "http_429_per_minute";
    case fault_kind::http_429_per_day: return "http_429_per_day";
    case fault_kind::http_400: return "http_400";
    case fault_kind::http_403: return "http_403";
    case fault_kind::http_404: return "http_404";
    case fault_kind::http_500: return "http_500";
    case fault_kind::http_503: return "http_503";
    case fault_kind::http_504: return "http_504";
    case fault_kind::reset_before_response: return "reset_before_response";
    case fault_kind::cut_mid_stream: return "cut_mid_stream";
    case fault_kind::stall_first_byte: return "stall_first_byte";
    case fault_kind::malformed_json: return "malformed_json";
    case fault_kind::safety_block_prompt: return "safety_block_prompt";
    case fault_kind::safety_finish: return "safety_finish";
    case fault_kind::max_tokens: return "max_tokens";
  }
  return "none";
}

/// Parses an enumerator name; false when unknown.
constexpr bool fault_kind_from_string(std::string_view s, fault_kind& out) noexcept {
  for (int i = 0; i <= static_cast<int>(fault_kind::max_tokens); ++i) {
    auto k = static_cast<fault_kind>(i);
    if (to_string(k) == s) {
      out = k;
      return true;
    }
  }
  return false;
}

/// One injected fault.
struct fault {
  fault_kind kind = fault_kind::none;
  std::chrono::milliseconds retry_delay{7000};  ///< RetryInfo.retryDelay of the 429s
  std::string model;                            ///< only requests for this model id; empty = any
};

struct emulator_options {
  /// The accepted key (header `x-goog-api-key` or `?key=`). Missing key: 403
  /// PERMISSION_DENIED; another key: 400 INVALID_ARGUMENT / API_KEY_INVALID. The chat
  /// completions endpoints take it as `Authorization: Bearer KEY` (missing or wrong: 401).
  /// An empty string disables the check (any or no key is accepted).
  std::string api_key = "test-key";
  bool tls = false;                    ///< HTTPS with a certificate generated at start-up
  std::string tls_host = "127.0.0.1";  ///< name/IP the server certificate is issued for
  latency_options latency{};
  std::uint32_t rpm_limit = 0;     ///< requests/minute per key (generate, stream, chat); 0 = off
  std::uint32_t tpm_limit = 0;     ///< prompt tokens per minute per key; 0 = off
  double fault_probability = 0.0;  ///< chance that a request gets a random fault
  std::uint64_t seed = 1;          ///< seeds the random faults (and responseIds)
  std::vector<fault_kind> random_faults;  ///< drawn uniformly; empty = {429/min, 500, 503}
  std::size_t threads = 1;                ///< server threads (each connection on a strand)
  unsigned short port = 0;                ///< 0 = ephemeral
};

/// The last request the emulator read (for tests that check what a client sent).
struct recorded_request {
  std::string method;  ///< "POST"
  std::string target;  ///< "/v1beta/models/gemini-2.5-flash:generateContent"
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const {
    for (auto const& h : headers) {
      if (h.first.size() != name.size()) continue;
      bool eq = true;
      for (std::size_t i = 0; i < name.size() && eq; ++i)
        eq = (h.first[i] | 0x20) == (name[i] | 0x20);
      if (eq) return h.second;
    }
    return {};
  }
};

}  // namespace testing
}  // namespace v1
}  // namespace gemini

// gemini-cxx — client configuration: API key (never printed), base URL, model, timeouts.
#pragma once

#include <gemini/error.hpp>

#include <chrono>
#include <cstdlib>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {

/// An API key. It is sent in the `x-goog-api-key` header and nowhere else; every
/// printing path (operator<<, redacted()) shows only a fingerprint-free placeholder.
class api_key {
 public:
  api_key() = default;
  explicit api_key(std::string k) : key_(std::move(k)) {}

  /// Reads GEMINI_API_KEY (then GOOGLE_API_KEY); empty when neither is set.
  static api_key from_environment() {
    for (const char* name : {"GEMINI_API_KEY", "GOOGLE_API_KEY"})
      if (const char* v = std::getenv(name); v && *v) return api_key(v);
    return {};
  }

  bool empty() const noexcept { return key_.empty(); }
  /// The secret itself, for the one place that sends it.
  const std::string& reveal() const noexcept { return key_; }
  /// "<redacted>" or "<none>".
  std::string_view redacted() const noexcept { return key_.empty() ? "<none>" : "<redacted>"; }
  friend std::ostream& operator<<(std::ostream& os, const api_key& k) { return os << k.redacted(); }
  friend bool operator==(const api_key&, const api_key&) = default;

 private:
  std::string key_;
};

inline constexpr std::string_view default_base_url =
    "https://generativelanguage.googleapis.com/v1beta";
inline constexpr std::string_view default_model = "gemini-2.5-flash";

/// Settings common to every call of one client.
struct client_options {
  api_key key;                             ///< from GEMINI_API_KEY by from_environment()
  std::string base_url{default_base_url};  ///< GEMINI_BASE_URL overrides
  std::string model{default_model};        ///< GEMINI_MODEL overrides
  std::chrono::milliseconds timeout{std::chrono::seconds(120)};  ///< whole call
  std::chrono::milliseconds attempt_timeout{
      std::chrono::seconds(60)};              ///< one attempt / stream gap
  std::size_t max_request_bytes = 20u << 20;  ///< larger bodies are refused locally

  /// Defaults overridden by GEMINI_API_KEY, GEMINI_BASE_URL and GEMINI_MODEL.
  static client_options from_environment() {
    client_options o;
    o.key = api_key::from_environment();
    if (const char* v = std::getenv("GEMINI_BASE_URL"); v && *v) o.base_url = v;
    if (const char* v = std::getenv("GEMINI_MODEL"); v && *v) o.model = v;
    return o;
  }

  friend std::ostream& operator<<(std::ostream& os, const client_options& o) {
    return os << "client_options{base_url=" << o.base_url << ", model=" << o.model
              << ", key=" << o.key << ", timeout=" << o.timeout.count()
              << "ms, attempt_timeout=" << o.attempt_timeout.count() << "ms}";
  }
};

/// Response-cache control for one call (used by the cache policy).
enum class cache_mode {
  use,       ///< read and store as the policy says
  no_store,  ///< neither read nor store
  refresh,   ///< skip the lookup, store the fresh answer (HTTP "no-cache")
};

enum class priority : int { low = 0, normal = 1, high = 2, critical = 3 };

/// Per-call options. All optional; defaults come from client_options.
struct call_options {
  using clock = std::chrono::steady_clock;
  clock::time_point deadline = clock::time_point::max();  ///< absolute; min with timeout
  std::chrono::milliseconds timeout{0};                   ///< 0: client_options::timeout
  std::chrono::milliseconds attempt_timeout{0};           ///< 0: client_options::attempt_timeout
  std::string model;                                      ///< empty: client_options::model
  std::string tenant;                                     ///< cache scope, budgets, limits
  std::string user;
  gemini::priority priority = gemini::priority::normal;
  cache_mode cache = cache_mode::use;
  std::chrono::milliseconds cache_ttl{0};                   ///< 0: the cache policy's default
  std::vector<std::pair<std::string, std::string>> labels;  ///< copied into logs and metrics
  /// The prompt's tokens when known (e.g. cost::token_counter); 0: estimated from the
  /// request's size. Limits and budgets reserve by it.
  std::int64_t prompt_tokens = 0;
  /// W3C trace context ("00-<trace id>-<parent id>-<flags>") sent upstream as the
  /// `traceparent` header and given to the observer; a malformed value is not sent (as the
  /// W3C spec has receivers ignore it).
  std::string traceparent;
};

}  // namespace v1
}  // namespace gemini

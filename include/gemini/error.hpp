// gemini-cxx — error model (DESIGN.md §3 "Errors").
//
// Expected failures are values: `gemini::result<T>` holds a T or a
// `gemini::error`. `gemini::error` carries an `error_code` in the library's
// own category plus the details the service sent (HTTP status, Google status
// string, message, RetryInfo delay, QuotaFailure violations, ErrorInfo, Help).
//
// Policies test conditions, not codes:  `if (e.code == condition::retryable)`.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace gemini {
inline namespace v1 {

using boost::system::error_code;
using boost::system::error_condition;

/// Specific failures. Values are stable (they appear in logs and metrics).
enum class errc : int {
  success = 0,
  invalid_argument = 1,     ///< HTTP 400 INVALID_ARGUMENT, or a bad request built locally
  failed_precondition = 2,  ///< HTTP 400 FAILED_PRECONDITION (billing, region)
  unauthenticated = 3,      ///< missing / invalid API key (400 API_KEY_INVALID, 401)
  permission_denied = 4,    ///< HTTP 403
  not_found = 5,            ///< HTTP 404
  payload_too_large = 6,    ///< HTTP 413, or a prompt over a configured limit
  rate_limited = 7,         ///< HTTP 429 on a per-minute quota (retry after RetryInfo)
  quota_exhausted = 8,      ///< HTTP 429 on a per-day quota, or 402 credit exhausted
  cancelled = 9,            ///< the caller cancelled, or HTTP 499
  internal = 10,            ///< HTTP 500
  unavailable = 11,         ///< HTTP 502 / 503
  upstream_timeout = 12,    ///< HTTP 504 / 408, or a per-attempt timeout
  deadline_exceeded = 13,   ///< the caller's overall deadline passed
  content_blocked = 14,     ///< prompt blocked (promptFeedback.blockReason) or SAFETY finish
  circuit_open = 15,        ///< a breaker refused the call without touching the network
  budget_exceeded = 16,     ///< a tenant's cost budget refused the call
  rejected_by_guard = 17,   ///< the guard policy refused the request
  transport = 18,           ///< connect / read / write failure, connection reset
  tls = 19,                 ///< TLS handshake or certificate verification failure
  malformed_response = 20,  ///< body is not the JSON the protocol promises
  truncated_stream = 21,    ///< a stream ended without a finishReason
  bad_json = 22,            ///< JSON text does not parse (path + offset in message)
  bad_type = 23,            ///< JSON parses but a field has the wrong type (path in message)
  bad_configuration = 24,   ///< invalid option values
  invalid_utf8 = 25,        ///< text that is not valid UTF-8
  unknown = 26,             ///< any other HTTP status
};

/// Classes of failure that policies reason about.
enum class condition : int {
  retryable = 1,        ///< worth another attempt (maybe after a delay)
  throttled = 2,        ///< rate_limited or quota_exhausted
  quota_exhausted = 3,  ///< will not succeed before the quota window resets
  client_error = 4,     ///< the request is wrong; retrying cannot help
  server_error = 5,     ///< the service failed
  cancelled = 6,        ///< cancelled or out of time
  network = 7,          ///< transport / TLS
};

}  // namespace v1
}  // namespace gemini

namespace boost::system {
template <>
struct is_error_code_enum<gemini::errc> : std::true_type {};
template <>
struct is_error_condition_enum<gemini::condition> : std::true_type {};
}  // namespace boost::system

namespace gemini {
inline namespace v1 {

namespace detail {

class error_category_impl final : public boost::system::error_category {
 public:
  // Fixed id (as Beast does) so that categories compare equal across DSOs.
  error_category_impl() noexcept : error_category(0x8a3f5c1e2d7b4e91ULL) {}
  const char* name() const noexcept override { return "gemini"; }
  std::string message(int ev) const override { return std::string(describe(ev)); }
  char const* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }

  static constexpr const char* describe(int ev) noexcept {
    switch (static_cast<errc>(ev)) {
      case errc::success: return "success";
      case errc::invalid_argument: return "invalid argument";
      case errc::failed_precondition: return "failed precondition";
      case errc::unauthenticated: return "unauthenticated (missing or invalid API key)";
      case errc::permission_denied: return "permission denied";
      case errc::not_found: return "not found";
      case errc::payload_too_large: return "payload too large";
      case errc::rate_limited: return "rate limited";
      case errc::quota_exhausted: return "quota exhausted";
      case errc::cancelled: return "cancelled";
      case errc::internal: return "internal server error";
      case errc::unavailable: return "service unavailable";
      case errc::upstream_timeout: return "upstream timeout";
      case errc::deadline_exceeded: return "deadline exceeded";
      case errc::content_blocked: return "content blocked";
      case errc::circuit_open: return "circuit open";
      case errc::budget_exceeded: return "budget exceeded";
      case errc::rejected_by_guard: return "rejected by guard";
      case errc::transport: return "transport failure";
      case errc::tls: return "TLS failure";
      case errc::malformed_response: return "malformed response";
      case errc::truncated_stream: return "truncated stream";
      case errc::bad_json: return "malformed JSON";
      case errc::bad_type: return "JSON value has the wrong type";
      case errc::bad_configuration: return "bad configuration";
      case errc::invalid_utf8: return "invalid UTF-8";
      case errc::unknown: return "unknown error";
    }
    return "unrecognized gemini error";
  }

  bool equivalent(int ev, const error_condition& cond) const noexcept override;
  error_condition default_error_condition(int ev) const noexcept override {
    return error_condition(ev, *this);
  }
};

class condition_category_impl final : public boost::system::error_category {
 public:
  condition_category_impl() noexcept : error_category(0x8a3f5c1e2d7b4e92ULL) {}
  const char* name() const noexcept override { return "gemini.condition"; }
  std::string message(int ev) const override {
    switch (static_cast<condition>(ev)) {
      case condition::retryable: return "retryable";
      case condition::throttled: return "throttled";
      case condition::quota_exhausted: return "quota exhausted";
      case condition::client_error: return "client error";
      case condition::server_error: return "server error";
      case condition::cancelled: return "cancelled";
      case condition::network: return "network";
    }
    return "unrecognized gemini condition";
  }
  bool equivalent(const error_code& code, int cv) const noexcept override;
};

}  // namespace detail

inline const boost::system::error_category& error_category() noexcept {
  static const detail::error_category_impl instance;
  return instance;
}
inline const boost::system::error_category& condition_category() noexcept {
  static const detail::condition_category_impl instance;
  return instance;
}

inline error_code make_error_code(errc e) noexcept {
  return error_code(static_cast<int>(e), error_category());
}
inline error_condition make_error_condition(condition c) noexcept {
  return error_condition(static_cast<int>(c), condition_category());
}

/// The default classification of a code into conditions.
constexpr bool is_in(errc e, condition c) noexcept {
  switch (c) {
    case condition::retryable:
      return e == errc::rate_limited || e == errc::internal || e == errc::unavailable ||
             e == errc::upstream_timeout || e == errc::transport || e == errc::truncated_stream;
    case condition::throttled: return e == errc::rate_limited || e == errc::quota_exhausted;
    case condition::quota_exhausted: return e == errc::quota_exhausted;
    case condition::client_error:
      return e == errc::invalid_argument || e == errc::failed_precondition ||
             e == errc::unauthenticated || e == errc::permission_denied || e == errc::not_found ||
             e == errc::payload_too_large || e == errc::bad_configuration ||
             e == errc::invalid_utf8 || e == errc::content_blocked;
    case condition::server_error:
      return e == errc::internal || e == errc::unavailable || e == errc::upstream_timeout ||
             e == errc::malformed_response;
    case condition::cancelled: return e == errc::cancelled || e == errc::deadline_exceeded;
    case condition::network: return e == errc::transport || e == errc::tls;
  }
  return false;
}

namespace detail {
inline bool error_category_impl::equivalent(int ev, const error_condition& cond) const noexcept {
  if (cond.category() == condition_category())
    return is_in(static_cast<errc>(ev), static_cast<condition>(cond.value()));
  return error_category::equivalent(ev, cond);
}
inline bool condition_category_impl::equivalent(const error_code& code, int cv) const noexcept {
  if (code.category() == gemini::error_category())
    return is_in(static_cast<errc>(code.value()), static_cast<condition>(cv));
  // Asio cancellation counts as cancelled.
  if (static_cast<condition>(cv) == condition::cancelled)
    return code == boost::system::errc::operation_canceled;
  return false;
}
}  // namespace detail

/// One violation from a google.rpc.QuotaFailure detail.
struct quota_violation {
  /// quotaMetric, e.g. generativelanguage.googleapis.com/generate_content_free_tier_requests
  std::string metric;
  /// quotaId, e.g. GenerateRequestsPerDayPerProjectPerModel-FreeTier
  std::string id;
  /// quotaDimensions (model, location)
  std::vector<std::pair<std::string, std::string>> dimensions;
  std::string value;  ///< quotaValue (a string on the wire)

  /// True when the quota resets daily: retrying within minutes cannot succeed.
  bool per_day() const noexcept {
    return id.find("PerDay") != std::string::npos || metric.find("per_day") != std::string::npos;
  }
  bool per_minute() const noexcept {
    return id.find("PerMinute") != std::string::npos ||
           metric.find("per_minute") != std::string::npos;
  }
  friend bool operator==(const quota_violation&, const quota_violation&) = default;
};

struct help_link {
  std::string description;
  std::string url;
  friend bool operator==(const help_link&, const help_link&) = default;
};

/// The longest delay the library takes from a server: every delay a server gives
/// (RetryInfo.retryDelay, a "retry in 41s" hint in the message, Retry-After, the OpenAI
/// "try again in" hint) is clamped to it when parsed. A day is longer than any quota window
/// that a retry could wait for; larger values (protobuf allows 10^4 years) would overflow
/// `steady_clock::now() + delay`.
inline constexpr std::chrono::milliseconds max_server_delay = std::chrono::hours(24);

namespace detail {
/// `t + d` clamped to [time_point::min(), time_point::max()] instead of overflowing
/// (for user- or server-given durations added to a clock reading).
constexpr std::chrono::steady_clock::time_point saturating_add(
    std::chrono::steady_clock::time_point t, std::chrono::milliseconds d) noexcept {
  using tp = std::chrono::steady_clock::time_point;
  using dur = tp::duration;
  constexpr auto ms_max = std::chrono::duration_cast<std::chrono::milliseconds>(dur::max());
  constexpr auto ms_min = std::chrono::duration_cast<std::chrono::milliseconds>(dur::min());
  if (d > ms_max) return tp::max();  // beyond any time point (292 years of nanoseconds)
  if (d < ms_min) return tp::min();
  auto n = std::chrono::duration_cast<dur>(d);  // in range: no overflow
  if (n > dur::zero() && t.time_since_epoch() > dur::max() - n) return tp::max();
  if (n < dur::zero() && t.time_since_epoch() < dur::min() - n) return tp::min();
  return t + n;
}
}  // namespace detail

/// A failure with everything the service (or the library) said about it.
struct error {
  error_code code;      ///< in gemini::error_category() (or a system/asio code)
  int http_status = 0;  ///< 0 when no HTTP response was received
  std::string status;   ///< Google status string, e.g. "RESOURCE_EXHAUSTED"
  std::string message;  ///< human-readable; never contains an API key
  std::optional<std::chrono::milliseconds> retry_delay;  ///< RetryInfo.retryDelay
  std::vector<quota_violation> quota;                    ///< QuotaFailure.violations
  std::string reason;  ///< ErrorInfo.reason, e.g. "API_KEY_INVALID"
  std::string domain;  ///< ErrorInfo.domain
  std::vector<std::pair<std::string, std::string>> metadata;  ///< ErrorInfo.metadata
  std::vector<help_link> help;                                ///< Help.links
  std::string partial_text;  ///< streams: the text delivered before the failure

  error() = default;
  error(error_code ec, std::string msg = {}) : code(ec), message(std::move(msg)) {}
  error(errc e, std::string msg = {}) : code(make_error_code(e)), message(std::move(msg)) {}

  /// True when any QuotaFailure violation is a per-day quota.
  bool per_day_quota() const noexcept {
    for (auto const& v : quota)
      if (v.per_day()) return true;
    return false;
  }

  /// "rate limited (HTTP 429 RESOURCE_EXHAUSTED): You exceeded ..."
  std::string what() const {
    std::string s = code.message();
    if (http_status != 0 || !status.empty()) {
      s += " (";
      if (http_status != 0) s += "HTTP " + std::to_string(http_status);
      if (!status.empty()) {
        if (http_status != 0) s += ' ';
        s += status;
      }
      s += ')';
    }
    if (!message.empty()) {
      s += ": ";
      s += message;
    }
    return s;
  }

  friend std::ostream& operator<<(std::ostream& os, const error& e) { return os << e.what(); }
};

/// Thrown only by result<T>::value() on an error (and for programming errors).
class exception : public boost::system::system_error {
 public:
  explicit exception(gemini::error e)
      : boost::system::system_error(e.code, e.message), error_(std::move(e)) {}
  const gemini::error& error() const noexcept { return error_; }

 private:
  gemini::error error_;
};

/// Checked access: with GEMINI_CHECKED_ACCESS (on by default unless NDEBUG), `*r`, `r->` and
/// `r.error()` on the wrong alternative print what the result holds and abort, instead of
/// undefined behaviour. value() always checks (it throws gemini::exception).
#if !defined(GEMINI_CHECKED_ACCESS)
#if defined(NDEBUG)
#define GEMINI_CHECKED_ACCESS 0
#else
#define GEMINI_CHECKED_ACCESS 1
#endif
#endif

template <class T>
class result;

namespace detail {
[[noreturn]] inline void bad_result_access(const char* access, const gemini::error* held) {
  if (held)
    std::fprintf(stderr, "gemini: %s on a result that holds an error: %s\n", access,
                 held->what().c_str());
  else
    std::fprintf(stderr, "gemini: %s on a result that holds a value\n", access);
  std::abort();
}

template <class>
inline constexpr bool is_result = false;
template <class T>
inline constexpr bool is_result<result<T>> = true;

// and_then / transform for both result<T> and result<void>: F receives the value (in
// `self`'s value category), or nothing for result<void>; it is not called on an error.
template <class Self, class F>
decltype(auto) invoke_on_value(Self&& self, F&& f) {
  if constexpr (std::is_void_v<typename std::remove_cvref_t<Self>::value_type>)
    return std::invoke(std::forward<F>(f));
  else
    return std::invoke(std::forward<F>(f), *std::forward<Self>(self));
}
template <class Self, class F>
using invoke_on_value_t = decltype(invoke_on_value(std::declval<Self>(), std::declval<F>()));

template <class Self, class F>
auto and_then(Self&& self, F&& f) {
  using R = std::remove_cvref_t<invoke_on_value_t<Self, F>>;
  static_assert(is_result<R>, "gemini: result::and_then needs a function returning a result<U>");
  if (!self.has_value()) return R(std::forward<Self>(self).error());
  return invoke_on_value(std::forward<Self>(self), std::forward<F>(f));
}
template <class Self, class F>
auto transform(Self&& self, F&& f) {
  using U = std::remove_cvref_t<invoke_on_value_t<Self, F>>;
  if (!self.has_value()) return result<U>(std::forward<Self>(self).error());
  if constexpr (std::is_void_v<U>) {
    invoke_on_value(std::forward<Self>(self), std::forward<F>(f));
    return result<U>();
  } else {
    return result<U>(invoke_on_value(std::forward<Self>(self), std::forward<F>(f)));
  }
}
}  // namespace detail

/// Either a T or a gemini::error. Cheap to move; no exceptions unless value() is
/// called on an error. The monadic helpers follow std::expected (C++23): value_or,
/// and_then, transform, or_else, transform_error, error_or.
template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;
  // By reference, not by value: a conversion from a T is one move, not two (responses
  // are large aggregates whose move is not free; see docs/performance.md).
  result(const T& v) : v_(std::in_place_index<0>, v) {}
  result(T&& v) : v_(std::in_place_index<0>, std::move(v)) {}
  /// A default-constructed T, to be filled in place (parsers build their result in it).
  explicit result(std::in_place_t) : v_(std::in_place_index<0>) {}
  result(gemini::error e) : v_(std::in_place_index<1>, std::move(e)) {}
  result(errc e, std::string msg = {}) : v_(std::in_place_index<1>, e, std::move(msg)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    check();
    return std::get<0>(v_);
  }
  const T& value() const& {
    check();
    return std::get<0>(v_);
  }
  T&& value() && {
    check();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & noexcept { return *get("operator*"); }
  const T& operator*() const& noexcept { return *get("operator*"); }
  T&& operator*() && noexcept { return std::move(*get("operator*")); }
  T* operator->() noexcept { return get("operator->"); }
  const T* operator->() const noexcept { return get("operator->"); }

  gemini::error& error() & noexcept { return *get_error(); }
  const gemini::error& error() const& noexcept { return *get_error(); }
  gemini::error&& error() && noexcept { return std::move(*get_error()); }

  /// The value, or `fallback` converted to T.
  template <class U = T>
  T value_or(U&& fallback) const& {
    return has_value() ? **this : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U = T>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(**this) : static_cast<T>(std::forward<U>(fallback));
  }
  /// The error, or `fallback` when there is a value.
  template <class G = gemini::error>
  gemini::error error_or(G&& fallback) const& {
    return has_value() ? gemini::error(std::forward<G>(fallback)) : error();
  }

  /// f(value) -> result<U>; an error is passed on without calling f.
  template <class F>
  auto and_then(F&& f) & {
    return detail::and_then(*this, std::forward<F>(f));
  }
  template <class F>
  auto and_then(F&& f) const& {
    return detail::and_then(*this, std::forward<F>(f));
  }
  template <class F>
  auto and_then(F&& f) && {
    return detail::and_then(std::move(*this), std::forward<F>(f));
  }
  /// f(value) -> U gives result<U> (result<void> for a void f); an error is passed on.
  template <class F>
  auto transform(F&& f) & {
    return detail::transform(*this, std::forward<F>(f));
  }
  template <class F>
  auto transform(F&& f) const& {
    return detail::transform(*this, std::forward<F>(f));
  }
  template <class F>
  auto transform(F&& f) && {
    return detail::transform(std::move(*this), std::forward<F>(f));
  }
  /// f(error) -> result<T>, called only on an error (to recover or replace it).
  template <class F>
  result or_else(F&& f) const& {
    if (has_value()) return *this;
    return std::invoke(std::forward<F>(f), error());
  }
  template <class F>
  result or_else(F&& f) && {
    if (has_value()) return std::move(*this);
    return std::invoke(std::forward<F>(f), std::move(*this).error());
  }
  /// f(error) -> gemini::error, called only on an error (to add context).
  template <class F>
  result transform_error(F&& f) const& {
    if (has_value()) return *this;
    return result(gemini::error(std::invoke(std::forward<F>(f), error())));
  }
  template <class F>
  result transform_error(F&& f) && {
    if (has_value()) return std::move(*this);
    return result(gemini::error(std::invoke(std::forward<F>(f), std::move(*this).error())));
  }

 private:
  T* get(const char* access) const noexcept {
    auto* p = std::get_if<0>(&v_);
    if constexpr (GEMINI_CHECKED_ACCESS)
      if (!p) detail::bad_result_access(access, std::get_if<1>(&v_));
    return const_cast<T*>(p);
  }
  gemini::error* get_error() const noexcept {
    auto* p = std::get_if<1>(&v_);
    if constexpr (GEMINI_CHECKED_ACCESS)
      if (!p) detail::bad_result_access("error()", nullptr);
    return const_cast<gemini::error*>(p);
  }
  void check() const {
    if (v_.index() != 0) throw exception(std::get<1>(v_));
  }
  std::variant<T, gemini::error> v_;
};

/// result<void>
template <>
class [[nodiscard]] result<void> {
 public:
  using value_type = void;
  result() = default;
  result(gemini::error e) : e_(std::move(e)) {}
  result(errc e, std::string msg = {}) : e_(gemini::error(e, std::move(msg))) {}
  bool has_value() const noexcept { return !e_; }
  explicit operator bool() const noexcept { return has_value(); }
  void value() const {
    if (e_) throw exception(*e_);
  }
  const gemini::error& error() const& noexcept { return *get_error(); }
  gemini::error&& error() && noexcept { return std::move(*get_error()); }
  template <class G = gemini::error>
  gemini::error error_or(G&& fallback) const& {
    return has_value() ? gemini::error(std::forward<G>(fallback)) : error();
  }

  template <class F>
  auto and_then(F&& f) const& {
    return detail::and_then(*this, std::forward<F>(f));
  }
  template <class F>
  auto and_then(F&& f) && {
    return detail::and_then(std::move(*this), std::forward<F>(f));
  }
  template <class F>
  auto transform(F&& f) const& {
    return detail::transform(*this, std::forward<F>(f));
  }
  template <class F>
  auto transform(F&& f) && {
    return detail::transform(std::move(*this), std::forward<F>(f));
  }
  template <class F>
  result or_else(F&& f) const& {
    if (has_value()) return *this;
    return std::invoke(std::forward<F>(f), error());
  }
  template <class F>
  result transform_error(F&& f) const& {
    if (has_value()) return *this;
    return result(gemini::error(std::invoke(std::forward<F>(f), error())));
  }

 private:
  gemini::error* get_error() const noexcept {
    if constexpr (GEMINI_CHECKED_ACCESS)
      if (!e_) detail::bad_result_access("error()", nullptr);
    return const_cast<gemini::error*>(&*e_);
  }
  std::optional<gemini::error> e_;
};

/// Map an HTTP status and Google status string to the library's code.
/// A 429 is `rate_limited` unless `per_day_quota` is true.
inline errc errc_from_http(int http_status, std::string_view google_status = {},
                           bool per_day_quota = false, std::string_view reason = {}) noexcept {
  if (reason == "API_KEY_INVALID" || http_status == 401 || google_status == "UNAUTHENTICATED")
    return errc::unauthenticated;
  switch (http_status) {
    case 400:
      return google_status == "FAILED_PRECONDITION" ? errc::failed_precondition
                                                    : errc::invalid_argument;
    case 402: return errc::quota_exhausted;
    case 403: return errc::permission_denied;
    case 404: return errc::not_found;
    case 408: return errc::upstream_timeout;
    case 413: return errc::payload_too_large;
    case 429: return per_day_quota ? errc::quota_exhausted : errc::rate_limited;
    case 499: return errc::cancelled;
    case 500: return errc::internal;
    case 502:
    case 503: return errc::unavailable;
    case 504: return errc::upstream_timeout;
    default: break;
  }
  if (google_status == "INVALID_ARGUMENT") return errc::invalid_argument;
  if (google_status == "PERMISSION_DENIED") return errc::permission_denied;
  if (google_status == "NOT_FOUND") return errc::not_found;
  if (google_status == "RESOURCE_EXHAUSTED")
    return per_day_quota ? errc::quota_exhausted : errc::rate_limited;
  if (google_status == "UNAVAILABLE") return errc::unavailable;
  if (google_status == "DEADLINE_EXCEEDED") return errc::upstream_timeout;
  if (google_status == "INTERNAL") return errc::internal;
  if (google_status == "CANCELLED") return errc::cancelled;
  if (http_status >= 500) return errc::internal;
  return errc::unknown;
}

}  // namespace v1
}  // namespace gemini

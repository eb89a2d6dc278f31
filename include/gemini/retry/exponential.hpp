// gemini-cxx — retry::exponential: error classification, exponential backoff with full or
// decorrelated jitter, RetryInfo honoured, deadline-aware, with a retry budget.
#pragma once

#include <gemini/error.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/slots.hpp>
#include <gemini/sync/single_thread.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>

namespace gemini {
inline namespace v1 {
namespace retry {

/// The default classification (override with exponential_options::classify):
/// - a 429 naming a per-day quota (QuotaFailure quotaId contains "PerDay"), or a 402
///   credit exhaustion, fails over: retrying before tomorrow cannot succeed;
/// - rate_limited (per-minute 429), 500, 502/503, 504/408, transport failures and
///   truncated streams are retried;
/// - everything else (400, 403, 404, content blocks, cancellation, deadlines) gives up.
inline action classify(const gemini::error& e) noexcept {
  if (e.code == errc::quota_exhausted || (e.code == errc::rate_limited && e.per_day_quota()))
    return action::fail_over;
  if (e.code == condition::retryable) return action::retry;
  return action::give_up;
}

enum class jitter {
  none,          ///< delay = min(cap, initial * multiplier^n)
  full,          ///< delay = U(0, min(cap, initial * multiplier^n))          (AWS "full")
  decorrelated,  ///< delay = min(cap, U(initial, previous * 3))               (AWS "decorrelated")
};
BOOST_DESCRIBE_ENUM(jitter, none, full, decorrelated)

struct exponential_options {
  int max_attempts = 5;  ///< attempts in all, the first included (1 = never retry)
  std::chrono::milliseconds initial{1000};
  double multiplier = 2.0;
  std::chrono::milliseconds max_delay{60000};         ///< cap of one back-off
  std::chrono::milliseconds max_total_delay{120000};  ///< sum of back-offs of one call
  retry::jitter jitter = retry::jitter::full;
  /// Retry budget: retries in the last `budget_window` may not exceed
  /// budget_ratio * requests + budget_min_per_second * window seconds.
  double budget_ratio = 0.2;
  double budget_min_per_second = 1.0;
  std::chrono::seconds budget_window{10};
  std::uint64_t seed = 0x9e3779b97f4a7c15ULL;
  std::function<action(const gemini::error&)> classify;  ///< empty: retry::classify
};
BOOST_DESCRIBE_STRUCT(exponential_options, (),
                      (max_attempts, initial, multiplier, max_delay, max_total_delay, jitter,
                       budget_ratio, budget_min_per_second, budget_window, seed))

/// Stateless apart from the budget and the random generator; per-call state lives in the
/// host's retry_state. With Sync = sync::multi_thread one object serves several threads.
template <class Sync = sync::single_thread>
class basic_exponential {
 public:
  using slot = gemini::slot::retry;
  using options_type = exponential_options;
  using time_point = std::chrono::steady_clock::time_point;

  explicit basic_exponential(exponential_options o = {}) : o_(std::move(o)), rng_(o_.seed) {}
  basic_exponential(const basic_exponential& other) : basic_exponential(other.o_) {}

  const exponential_options& options() const noexcept { return o_; }

  /// A new call starts (counts towards the budget).
  void on_request(time_point now) {
    std::lock_guard lock(mutex_);
    slot_at(now).requests += 1;
  }

  /// Decides what follows failure `e` of attempt number `st.attempts` (1-based).
  decision on_failure(const gemini::error& e, retry_state& st, time_point now) {
    action a = o_.classify ? o_.classify(e) : classify(e);
    if (a == action::give_up) return {action::give_up, {}, "not retryable"};
    if (a == action::fail_over) return {action::fail_over, {}, "per-day quota: fail over"};
    if (st.attempts >= o_.max_attempts) return {action::give_up, {}, "max attempts reached"};

    std::lock_guard lock(mutex_);
    auto delay = backoff(st);
    if (e.retry_delay && *e.retry_delay > delay) delay = *e.retry_delay;  // never earlier
    // No sums that could overflow: user- and server-given delays may be huge.
    if (st.total_delay > o_.max_total_delay || delay > o_.max_total_delay - st.total_delay)
      return {action::give_up, {}, "max total delay reached"};
    if (gemini::detail::saturating_add(now, delay) >= st.deadline)
      return {action::give_up, {}, "the deadline comes first"};
    if (!budget_allows(now)) return {action::give_up, {}, "retry budget exhausted"};
    slot_at(now).retries += 1;
    st.previous_delay = delay;
    st.total_delay += delay;
    return {action::retry, delay, "retry"};
  }

 private:
  struct bucket {
    std::int64_t second = -1;
    double requests = 0;
    double retries = 0;
  };

  /// Whole milliseconds of `v`, saturated (a cap of milliseconds::max() must not overflow).
  static std::chrono::milliseconds to_ms(double v) noexcept {
    constexpr double top = 9.0e18;  // below 2^63, exactly representable bounds are not needed
    if (!(v > 0)) return std::chrono::milliseconds::zero();
    if (v >= top) return std::chrono::milliseconds(static_cast<std::int64_t>(top));
    return std::chrono::milliseconds(static_cast<std::int64_t>(v));
  }

  std::chrono::milliseconds backoff(const retry_state& st) {
    double cap = static_cast<double>(o_.max_delay.count());
    double base = static_cast<double>(o_.initial.count());
    switch (o_.jitter) {
      case jitter::none:
        return to_ms(std::min(cap, base * std::pow(o_.multiplier, st.attempts - 1)));
      case jitter::full: {
        double hi = std::min(cap, base * std::pow(o_.multiplier, st.attempts - 1));
        return to_ms(std::uniform_real_distribution<double>(0, hi)(rng_));
      }
      case jitter::decorrelated: {
        double prev =
            st.previous_delay.count() > 0 ? static_cast<double>(st.previous_delay.count()) : base;
        double hi = std::max(base, prev * 3);
        return to_ms(std::min(cap, std::uniform_real_distribution<double>(base, hi)(rng_)));
      }
    }
    return o_.initial;
  }

  bucket& slot_at(time_point now) {
    auto sec = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto& b = window_[static_cast<std::size_t>(sec) % window_.size()];
    if (b.second != sec) b = bucket{sec, 0, 0};
    return b;
  }

  bool budget_allows(time_point now) {
    auto sec = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto span = std::min<std::int64_t>(o_.budget_window.count(), window_.size());
    double requests = 0, retries = 0;
    for (auto const& b : window_)
      if (b.second >= 0 && sec - b.second < span) {
        requests += b.requests;
        retries += b.retries;
      }
    double allowed =
        o_.budget_ratio * requests + o_.budget_min_per_second * static_cast<double>(span);
    return retries + 1 <= allowed;
  }

  exponential_options o_;
  std::mt19937_64 rng_;
  std::array<bucket, 60> window_{};
  [[no_unique_address]] typename Sync::mutex mutex_;
};

using exponential = basic_exponential<>;

}  // namespace retry
}  // namespace v1
}  // namespace gemini

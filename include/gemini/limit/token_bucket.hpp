// gemini-cxx — limit::token_bucket: requests per minute, tokens per minute and a
// concurrency cap, with 429 RetryInfo pauses. Passive: try_acquire answers "granted" or
// "not before t"; the host queues callers (priority first, FIFO within a priority) and
// waits on Asio timers.
#pragma once

#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/sync/single_thread.hpp>

#include <boost/describe/class.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace gemini {
inline namespace v1 {
namespace limit {

struct token_bucket_options {
  double requests_per_minute = 0;   ///< 0: unlimited
  double tokens_per_minute = 0;     ///< 0: unlimited (input + reserved output tokens)
  std::size_t max_concurrency = 0;  ///< 0: unlimited
  /// Bucket capacity as a fraction of a minute's allowance (1.0: a full minute may burst).
  double burst = 1.0;
  std::size_t max_queue = 1024;               ///< waiting callers beyond this: rejected
  std::chrono::milliseconds max_wait{30000};  ///< longest wait before rate_limited
};
BOOST_DESCRIBE_STRUCT(token_bucket_options, (),
                      (requests_per_minute, tokens_per_minute, max_concurrency, burst, max_queue,
                       max_wait))

template <class Sync = sync::single_thread>
class basic_token_bucket {
 public:
  using slot = gemini::slot::limit;
  using options_type = token_bucket_options;
  using time_point = std::chrono::steady_clock::time_point;

  explicit basic_token_bucket(token_bucket_options o = {}) : o_(o) {
    requests_ = request_capacity();
    tokens_ = capacity(o_.tokens_per_minute);
  }
  /// A copy has the same options and a fresh (full) state.
  basic_token_bucket(const basic_token_bucket& other) : basic_token_bucket(other.o_) {}
  basic_token_bucket& operator=(const basic_token_bucket&) = delete;

  /// New limits; the buckets refill to the new capacity, calls in flight stay counted.
  void reconfigure(token_bucket_options o) {
    std::lock_guard lock(mutex_);
    o_ = o;
    requests_ = request_capacity();
    tokens_ = capacity(o_.tokens_per_minute);
  }

  /// A copy, taken under the lock (reconfigure() may run on another thread).
  token_bucket_options options() const {
    std::lock_guard lock(mutex_);
    return o_;
  }

  /// Takes one request, `c.tokens` tokens and a concurrency slot now, or tells when to
  /// ask again (`time_point::max()`: when a running call releases its slot).
  grant try_acquire(const cost& c, time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    time_point when = now;
    if (now < paused_until_) when = paused_until_;
    if (o_.max_concurrency && in_flight_ >= o_.max_concurrency) when = time_point::max();
    double want = wanted_tokens(c);
    if (o_.requests_per_minute > 0 && requests_ < 1.0)
      when = std::max(when, refilled_at(now, 1.0 - requests_, o_.requests_per_minute));
    if (o_.tokens_per_minute > 0 && tokens_ < want)
      when = std::max(when, refilled_at(now, want - tokens_, o_.tokens_per_minute));
    if (when != now) return {false, when};
    if (o_.requests_per_minute > 0) requests_ -= 1.0;
    if (o_.tokens_per_minute > 0) tokens_ -= want;
    ++in_flight_;
    return {true, now};
  }

  /// A granted call ended: frees its slot and reconciles the reservation with the
  /// tokens it really used (usageMetadata), refunding or charging the difference.
  void release(const cost& reserved, std::int64_t actual_tokens, time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    if (in_flight_ > 0) --in_flight_;
    if (o_.tokens_per_minute > 0 && actual_tokens >= 0) {
      double delta = wanted_tokens(reserved) - static_cast<double>(actual_tokens);
      tokens_ = std::clamp(tokens_ + delta, 0.0, capacity(o_.tokens_per_minute));
    }
  }

  /// The service answered 429 with RetryInfo: no grants before `until`. Callers compute
  /// `until` with gemini::detail::saturating_add(now, delay): it never wraps.
  void pause_until(time_point until) {
    std::lock_guard lock(mutex_);
    paused_until_ = std::max(paused_until_, until);
  }

  std::size_t in_flight() const {
    std::lock_guard lock(mutex_);
    return in_flight_;
  }
  double available_tokens(time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    return tokens_;
  }
  double available_requests(time_point now) {
    std::lock_guard lock(mutex_);
    refill(now);
    return requests_;
  }

 private:
  double capacity(double per_minute) const { return per_minute * o_.burst; }
  /// At least one whole request: a smaller bucket (requests_per_minute * burst < 1) could
  /// never admit one, although each refusal promises a time to ask again.
  double request_capacity() const {
    return std::max(capacity(o_.requests_per_minute), o_.requests_per_minute > 0 ? 1.0 : 0.0);
  }

  /// A request larger than the whole bucket could never pass: clamp it to the capacity.
  double wanted_tokens(const cost& c) const {
    return std::min(static_cast<double>(std::max<std::int64_t>(c.tokens, 0)),
                    capacity(o_.tokens_per_minute));
  }

  /// When `missing` units have refilled at `per_minute`; time_point::max() when that is past
  /// any time point (a tiny rate), never an overflow.
  static time_point refilled_at(time_point now, double missing, double per_minute) {
    double ns = missing / per_minute * 60e9;
    auto room = now < time_point{} ? time_point::duration::max() : time_point::max() - now;
    if (!(ns < static_cast<double>(room.count()) - 2.0)) return time_point::max();
    auto d = std::chrono::nanoseconds(static_cast<std::int64_t>(ns) + 1);
    return room > d ? now + d : time_point::max();
  }

  void refill(time_point now) {
    if (last_ == time_point{}) last_ = now;
    if (now <= last_) return;
    double minutes = std::chrono::duration<double, std::ratio<60>>(now - last_).count();
    last_ = now;
    if (o_.requests_per_minute > 0)
      requests_ = std::min(request_capacity(), requests_ + minutes * o_.requests_per_minute);
    if (o_.tokens_per_minute > 0)
      tokens_ = std::min(capacity(o_.tokens_per_minute), tokens_ + minutes * o_.tokens_per_minute);
  }

  token_bucket_options o_;
  double requests_ = 0;
  double tokens_ = 0;
  std::size_t in_flight_ = 0;
  time_point last_{};
  time_point paused_until_{};
  [[no_unique_address]] mutable typename Sync::mutex mutex_;
};

using token_bucket = basic_token_bucket<>;

}  // namespace limit
}  // namespace v1
}  // namespace gemini

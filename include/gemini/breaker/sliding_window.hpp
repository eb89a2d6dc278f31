// gemini-cxx — breaker::sliding_window: failure-rate and slow-call-rate circuit breaker
// over a count- or time-based window (the resilience4j model).
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/sync/single_thread.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace breaker {

enum class window_kind {
  count,  ///< the last `window_size` calls
  time,   ///< the calls of the last `window_size` seconds
};
BOOST_DESCRIBE_ENUM(window_kind, count, time)

struct sliding_window_options {
  window_kind kind = window_kind::count;
  std::size_t window_size = 100;        ///< calls (count) or seconds (time)
  std::size_t minimum_calls = 10;       ///< no judgement before this many calls
  double failure_rate_threshold = 0.5;  ///< open when failures / calls >= this
  std::chrono::milliseconds slow_call_duration{10000};
  double slow_call_rate_threshold = 1.0;  ///< open when slow / calls >= this (1.0: all slow)
  std::size_t permitted_calls_in_half_open = 3;
  std::chrono::milliseconds wait_in_open{30000};
  /// Called after every state change, in order, with the breaker's lock released (it may
  /// call the breaker).
  std::function<void(state from, state to)> on_state_change;
};
BOOST_DESCRIBE_STRUCT(sliding_window_options, (),
                      (kind, window_size, minimum_calls, failure_rate_threshold, slow_call_duration,
                       slow_call_rate_threshold, permitted_calls_in_half_open, wait_in_open))

template <class Sync = sync::single_thread>
class basic_sliding_window {
 public:
  using slot = gemini::slot::breaker;
  using options_type = sliding_window_options;
  using time_point = std::chrono::steady_clock::time_point;

  explicit basic_sliding_window(sliding_window_options o = {}) : o_(std::move(o)) {
    if (o_.window_size == 0) o_.window_size = 1;
    if (o_.permitted_calls_in_half_open == 0) o_.permitted_calls_in_half_open = 1;
    cells_.resize(o_.window_size);
  }
  basic_sliding_window(const basic_sliding_window& other) : basic_sliding_window(other.o_) {}

  const sliding_window_options& options() const noexcept { return o_; }

  bool allow(time_point now) {
    transitions t;
    bool ok;
    {
      std::lock_guard lock(mutex_);
      ok = allow_locked(now, t);
    }
    t.notify(o_.on_state_change);  // unlocked: the callback may call back into the breaker
    return ok;
  }

  void record(outcome o, std::chrono::steady_clock::duration took, time_point now) {
    transitions t;
    {
      std::lock_guard lock(mutex_);
      record_locked(o, took, now, t);
    }
    t.notify(o_.on_state_change);
  }

  state current(time_point now) const {
    std::lock_guard lock(mutex_);
    if (state_ == state::open && now >= reopens_at()) return state::half_open;
    return state_;
  }

  /// Failure rate in the current window (0 when empty).
  double failure_rate(time_point now) const {
    std::lock_guard lock(mutex_);
    auto t = totals(now);
    return t.calls ? double(t.failures) / double(t.calls) : 0.0;
  }

 private:
  struct counts {
    std::size_t calls = 0, failures = 0, slow = 0;
  };
  struct cell {
    std::int64_t second = -1;  // time windows: the second this cell counts
    counts c;
  };

  /// State changes made under the lock, reported to on_state_change after it is released.
  struct transitions {
    std::array<std::pair<state, state>, 2> changes{};
    std::size_t n = 0;
    void add(state from, state to) {
      if (from != to && n < changes.size()) changes[n++] = {from, to};
    }
    void notify(const std::function<void(state, state)>& f) const {
      if (!f) return;
      for (std::size_t i = 0; i < n; ++i) f(changes[i].first, changes[i].second);
    }
  };

  time_point reopens_at() const {
    return gemini::detail::saturating_add(opened_at_, o_.wait_in_open);
  }

  bool allow_locked(time_point now, transitions& t) {
    if (state_ == state::open) {
      if (now < reopens_at()) return false;
      to_half_open(t);
    }
    if (state_ == state::half_open) {
      if (half_open_admitted_ >= o_.permitted_calls_in_half_open) return false;
      ++half_open_admitted_;
      return true;
    }
    return true;
  }

  void record_locked(outcome o, std::chrono::steady_clock::duration took, time_point now,
                     transitions& t) {
    bool slow = took >= o_.slow_call_duration;
    if (state_ == state::half_open) {
      if (o == outcome::ignored) {  // the probe's permit is free again
        if (half_open_admitted_ > 0) --half_open_admitted_;
        return;
      }
      ++probe_.calls;
      probe_.failures += o == outcome::failure;
      probe_.slow += slow;
      if (probe_.calls >= o_.permitted_calls_in_half_open) {
        if (exceeded(probe_))
          to_open(now, t);
        else
          to_closed(t);
      }
      return;
    }
    if (o == outcome::ignored || state_ == state::open) return;
    add(o == outcome::failure, slow, now);
    auto c = totals(now);
    if (c.calls >= o_.minimum_calls && exceeded(c)) to_open(now, t);
  }

  bool exceeded(const counts& t) const {
    double calls = double(t.calls);
    return double(t.failures) / calls >= o_.failure_rate_threshold ||
           double(t.slow) / calls >= o_.slow_call_rate_threshold;
  }

  void add(bool failed, bool slow, time_point now) {
    if (o_.kind == window_kind::count) {
      auto& c = cells_[next_];
      next_ = (next_ + 1) % cells_.size();
      if (c.second >= 0) {  // the oldest call leaves the window
        running_.calls -= c.c.calls;
        running_.failures -= c.c.failures;
        running_.slow -= c.c.slow;
      }
      c.c = counts{1, std::size_t(failed), std::size_t(slow)};
      c.second = 0;
      ++running_.calls;
      running_.failures += std::size_t(failed);
      running_.slow += std::size_t(slow);
      return;
    }
    auto sec = seconds(now);
    auto& c = cells_[static_cast<std::size_t>(sec) % cells_.size()];
    if (c.second != sec) c = cell{sec, {}};
    ++c.c.calls;
    c.c.failures += failed;
    c.c.slow += slow;
  }

  counts totals(time_point now) const {
    if (o_.kind == window_kind::count) return running_;  // O(1): kept up to date by add()
    counts t;
    auto sec = seconds(now);
    for (auto const& c : cells_) {
      if (c.second < 0) continue;
      if (o_.kind == window_kind::time && sec - c.second >= std::int64_t(cells_.size())) continue;
      t.calls += c.c.calls;
      t.failures += c.c.failures;
      t.slow += c.c.slow;
    }
    return t;
  }

  static std::int64_t seconds(time_point now) {
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  }

  void clear() {
    for (auto& c : cells_) c = cell{};
    next_ = 0;
    running_ = {};
  }
  void to_open(time_point now, transitions& t) {
    opened_at_ = now;
    move_to(state::open, t);
  }
  void to_half_open(transitions& t) {
    half_open_admitted_ = 0;
    probe_ = counts{};
    move_to(state::half_open, t);
  }
  void to_closed(transitions& t) {
    clear();
    move_to(state::closed, t);
  }
  void move_to(state s, transitions& t) {
    t.add(state_, s);
    state_ = s;
  }

  sliding_window_options o_;
  std::vector<cell> cells_;
  counts running_{};  ///< count windows: the sum of cells_, maintained incrementally
  std::size_t next_ = 0;
  state state_ = state::closed;
  time_point opened_at_{};
  std::size_t half_open_admitted_ = 0;
  counts probe_;
  [[no_unique_address]] mutable typename Sync::mutex mutex_;
};

using sliding_window = basic_sliding_window<>;

}  // namespace breaker
}  // namespace v1
}  // namespace gemini

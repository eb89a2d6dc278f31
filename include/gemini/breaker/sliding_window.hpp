// gemini-cxx — breaker::sliding_window: failure-rate and slow-call-rate circuit breaker
// over a count- or time-based window (the resilience4j model).
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/sync/single_thread.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace breaker {

enum class window_kind {
  count,  ///< the last `window_size` calls
  time,   ///< the calls of the last `window_size` seconds
};

struct sliding_window_options {
  window_kind kind = window_kind::count;
  std::size_t window_size = 100;        ///< calls (count) or seconds (time)
  std::size_t minimum_calls = 10;       ///< no judgement before this many calls
  double failure_rate_threshold = 0.5;  ///< open when failures / calls >= this
  std::chrono::milliseconds slow_call_duration{10000};
  double slow_call_rate_threshold = 1.0;  ///< open when slow / calls >= this (1.0: all slow)
  std::size_t permitted_calls_in_half_open = 3;
  std::chrono::milliseconds wait_in_open{30000};
  std::function<void(state from, state to)> on_state_change;
};

template <class Sync = sync::single_thread>
class basic_sliding_window {
 public:
  using slot = gemini::slot::breaker;
  using time_point = std::chrono::steady_clock::time_point;

  explicit basic_sliding_window(sliding_window_options o = {}) : o_(std::move(o)) {
    if (o_.window_size == 0) o_.window_size = 1;
    if (o_.permitted_calls_in_half_open == 0) o_.permitted_calls_in_half_open = 1;
    cells_.resize(o_.window_size);
  }
  basic_sliding_window(const basic_sliding_window& other) : basic_sliding_window(other.o_) {}

  bool allow(time_point now) {
    std::lock_guard lock(mutex_);
    if (state_ == state::open) {
      if (now < opened_at_ + o_.wait_in_open) return false;
      to_half_open();
    }
    if (state_ == state::half_open) {
      if (half_open_admitted_ >= o_.permitted_calls_in_half_open) return false;
      ++half_open_admitted_;
      return true;
    }
    return true;
  }

  void record(outcome o, std::chrono::steady_clock::duration took, time_point now) {
    std::lock_guard lock(mutex_);
    bool slow = took >= o_.slow_call_duration;
    if (state_ == state::half_open) {
      if (o == outcome::ignored) {
        if (half_open_admitted_ > 0) --half_open_admitted_;
        return;
      }
      ++probe_.calls;
      probe_.failures += o == outcome::failure;
      probe_.slow += slow;
      if (probe_.calls >= o_.permitted_calls_in_half_open) {
        if (exceeded(probe_))
          to_open(now);
        else
          to_closed();
      }
      return;
    }
    if (o == outcome::ignored || state_ == state::open) return;
    add(o == outcome::failure, slow, now);
    auto t = totals(now);
    if (t.calls >= o_.minimum_calls && exceeded(t)) to_open(now);
  }

  state current(time_point now) const {
    std::lock_guard lock(mutex_);
    if (state_ == state::open && now >= opened_at_ + o_.wait_in_open) return state::half_open;
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
  void to_open(time_point now) {
    opened_at_ = now;
    move_to(state::open);
  }
  void to_half_open() {
    half_open_admitted_ = 0;
    probe_ = counts{};
    move_to(state::half_open);
  }
  void to_closed() {
    clear();
    move_to(state::closed);
  }
  void move_to(state s) {
    state from = state_;
    state_ = s;
    if (o_.on_state_change && from != s) o_.on_state_change(from, s);
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

// gemini-cxx — breaker::consecutive_failures: the classic circuit breaker.
// closed → open after N consecutive failures; open → half-open after the recovery
// timeout, admitting a single probe; the probe's success closes, its failure re-opens.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/sync/single_thread.hpp>

#include <chrono>
#include <functional>
#include <mutex>

namespace gemini {
inline namespace v1 {
namespace breaker {

struct consecutive_failures_options {
  int failure_threshold = 5;
  std::chrono::milliseconds recovery_timeout{30000};
  std::function<void(state from, state to)> on_state_change;
};

template <class Sync = sync::single_thread>
class basic_consecutive_failures {
 public:
  using slot = gemini::slot::breaker;
  using time_point = std::chrono::steady_clock::time_point;

  explicit basic_consecutive_failures(consecutive_failures_options o = {}) : o_(std::move(o)) {}
  basic_consecutive_failures(const basic_consecutive_failures& other)
      : basic_consecutive_failures(other.o_) {}

  bool allow(time_point now) {
    std::lock_guard lock(mutex_);
    switch (state_) {
      case state::closed: return true;
      case state::open:
        if (now < opened_at_ + o_.recovery_timeout) return false;
        move_to(state::half_open);
        probe_out_ = true;
        return true;
      case state::half_open:
        if (probe_out_) return false;
        probe_out_ = true;
        return true;
    }
    return false;
  }

  void record(outcome o, std::chrono::steady_clock::duration, time_point now) {
    std::lock_guard lock(mutex_);
    if (o == outcome::ignored) {
      if (state_ == state::half_open) probe_out_ = false;
      return;
    }
    if (o == outcome::success) {
      failures_ = 0;
      if (state_ == state::half_open) {
        probe_out_ = false;
        move_to(state::closed);
      }
      return;
    }
    if (state_ == state::half_open || ++failures_ >= o_.failure_threshold) {
      if (state_ != state::open) {
        probe_out_ = false;
        opened_at_ = now;
        move_to(state::open);
      }
    }
  }

  state current(time_point now) const {
    std::lock_guard lock(mutex_);
    if (state_ == state::open && now >= opened_at_ + o_.recovery_timeout)
      return state::half_open;  // the next allow() takes the probe
    return state_;
  }

 private:
  void move_to(state s) {
    state from = state_;
    state_ = s;
    if (o_.on_state_change) o_.on_state_change(from, s);
  }

  consecutive_failures_options o_;
  state state_ = state::closed;
  int failures_ = 0;
  bool probe_out_ = false;
  time_point opened_at_{};
  [[no_unique_address]] mutable typename Sync::mutex mutex_;
};

using consecutive_failures = basic_consecutive_failures<>;

}  // namespace breaker
}  // namespace v1
}  // namespace gemini

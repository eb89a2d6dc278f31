// gemini-cxx — breaker::consecutive_failures: the classic circuit breaker.
// closed → open after N consecutive failures; open → half-open after the recovery
// timeout, admitting a single probe; the probe's success closes, its failure re-opens.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/sync/single_thread.hpp>

#include <boost/describe/class.hpp>

#include <chrono>
#include <functional>
#include <mutex>

namespace gemini {
inline namespace v1 {
namespace breaker {

struct consecutive_failures_options {
  int failure_threshold = 5;
  std::chrono::milliseconds recovery_timeout{30000};
  /// Called after every state change with the breaker's lock released (it may call the
  /// breaker).
  std::function<void(state from, state to)> on_state_change;
};
BOOST_DESCRIBE_STRUCT(consecutive_failures_options, (), (failure_threshold, recovery_timeout))

template <class Sync = sync::single_thread>
class basic_consecutive_failures {
 public:
  using slot = gemini::slot::breaker;
  using options_type = consecutive_failures_options;
  using time_point = std::chrono::steady_clock::time_point;

  explicit basic_consecutive_failures(consecutive_failures_options o = {}) : o_(std::move(o)) {}
  basic_consecutive_failures(const basic_consecutive_failures& other)
      : basic_consecutive_failures(other.o_) {}

  const consecutive_failures_options& options() const noexcept { return o_; }

  bool allow(time_point now) {
    transition t;
    bool ok;
    {
      std::lock_guard lock(mutex_);
      ok = allow_locked(now, t);
    }
    t.notify(o_.on_state_change);  // unlocked: the callback may call back into the breaker
    return ok;
  }

  void record(outcome o, std::chrono::steady_clock::duration, time_point now) {
    transition t;
    {
      std::lock_guard lock(mutex_);
      record_locked(o, now, t);
    }
    t.notify(o_.on_state_change);
  }

  state current(time_point now) const {
    std::lock_guard lock(mutex_);
    if (state_ == state::open && now >= reopens_at())
      return state::half_open;  // the next allow() takes the probe
    return state_;
  }

 private:
  /// A state change made under the lock, reported to on_state_change after it is released.
  struct transition {
    state from = state::closed, to = state::closed;
    bool changed = false;
    void notify(const std::function<void(state, state)>& f) const {
      if (changed && f) f(from, to);
    }
  };

  time_point reopens_at() const {
    return gemini::detail::saturating_add(opened_at_, o_.recovery_timeout);
  }

  bool allow_locked(time_point now, transition& t) {
    switch (state_) {
      case state::closed: return true;
      case state::open:
        if (now < reopens_at()) return false;
        move_to(state::half_open, t);
        probe_out_ = true;
        return true;
      case state::half_open:
        if (probe_out_) return false;
        probe_out_ = true;
        return true;
    }
    return false;
  }

  void record_locked(outcome o, time_point now, transition& t) {
    if (o == outcome::ignored) {
      if (state_ == state::half_open) probe_out_ = false;  // the probe's permit is free again
      return;
    }
    if (o == outcome::success) {
      failures_ = 0;
      if (state_ == state::half_open) {
        probe_out_ = false;
        move_to(state::closed, t);
      }
      return;
    }
    if (state_ == state::half_open || ++failures_ >= o_.failure_threshold) {
      if (state_ != state::open) {
        probe_out_ = false;
        opened_at_ = now;
        move_to(state::open, t);
      }
    }
  }

  void move_to(state s, transition& t) {
    t = {state_, s, true};
    state_ = s;
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

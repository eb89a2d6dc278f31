// gemini-cxx — the host's side of the limit slot: callers waiting for the limiter.
//
// Higher priority first, FIFO within a priority. A limiter with separate buckets
// (limit::keyed) says which calls share a queue (`same_queue`); a call waits only behind
// calls of its own queue, so one saturated tenant or model does not hold up the others.
// A waiter's node lives in the waiting coroutine's frame and is unlinked by its destructor,
// so a wait ended by cancellation, by an exception or by the frame's destruction never
// leaves a node behind for a later wake to touch.
#pragma once

#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <list>
#include <optional>
#include <string>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class Limit, class Clock>
class limit_gate {
  struct waiter {
    int prio;
    boost::asio::steady_timer* timer;
    const limit::cost* cost;
    bool woken = false;
  };
  using list = std::list<waiter>;

  static constexpr bool keyed = requires(Limit & l, const limit::cost& c) {
    { l.same_queue(c, c) } -> std::same_as<bool>;
  };

  /// Owns one waiter's node: unlinked (and the next head woken) on every exit.
  struct node {
    limit_gate* g;
    typename list::iterator it;
    node(limit_gate* gate, typename list::iterator i) noexcept : g(gate), it(i) {}
    node(const node&) = delete;
    node& operator=(const node&) = delete;
    ~node() {
      bool was_head = g->at_head(it);
      g->waiters_.erase(it);
      if (was_head) g->wake();
    }
  };

 public:
  std::size_t waiting() const noexcept { return waiters_.size(); }

  /// Wakes the head of every queue to try again (a slot or tokens were freed).
  void wake() {
    if constexpr (keyed) {
      std::vector<const limit::cost*> seen;  // one entry per queue met so far
      for (auto& w : waiters_) {
        bool first = std::none_of(seen.begin(), seen.end(), [&](const limit::cost* c) {
          return limit_->same_queue(*c, *w.cost);
        });
        if (!first) continue;
        seen.push_back(w.cost);
        w.woken = true;
        w.timer->cancel();
      }
    } else if (!waiters_.empty()) {
      waiters_.front().woken = true;
      waiters_.front().timer->cancel();
    }
  }

  /// Acquires `cost` from the limiter, waiting asynchronously (never past `deadline`, nor
  /// past the limiter's max_wait) while it says "not yet". On success the caller owns the
  /// grant. `waited` is set to the time spent waiting. `lim`, `clock` and `cost` outlive
  /// the wait (they live in the client and the call's frame).
  boost::asio::awaitable<std::optional<gemini::error>> acquire(
      Limit& lim, Clock& clock, const limit::cost& cost, gemini::priority prio,
      std::chrono::steady_clock::time_point deadline, boost::asio::any_io_executor ex,
      std::chrono::nanoseconds& waited) {
    limit_ = &lim;
    if (queue_empty(cost)) {
      limit::grant g;
      if constexpr (limit::async_limit_policy<Limit>)  // (no coroutine frame for the others)
        g = co_await lim.async_try_acquire(cost, clock.now());
      else
        g = lim.try_acquire(cost, clock.now());
      if (g.granted) co_return std::nullopt;
      if (g.error) co_return std::move(*g.error);
    }
    auto const lo = lim.options();
    if (waiters_.size() >= lo.max_queue)
      co_return gemini::error(errc::rate_limited, "the limiter's queue is full (" +
                                                      std::to_string(lo.max_queue) + " waiting)");
    auto const began = std::chrono::steady_clock::now();
    auto give_up_at = std::min(deadline, saturating_add(began, lo.max_wait));
    boost::asio::steady_timer timer(ex);
    auto pos = waiters_.begin();
    while (pos != waiters_.end() && pos->prio >= static_cast<int>(prio)) ++pos;
    node me{this, waiters_.insert(pos, waiter{static_cast<int>(prio), &timer, &cost})};
    std::optional<gemini::error> out;
    for (;;) {
      auto now = clock.now();
      limit::grant g{false, Clock::time_point::max()};
      if (at_head(me.it)) {
        if constexpr (limit::async_limit_policy<Limit>)
          g = co_await lim.async_try_acquire(cost, now);
        else
          g = lim.try_acquire(cost, now);
        if (g.granted) break;
        if (g.error) {
          out = std::move(g.error);
          break;
        }
      }
      auto real_now = std::chrono::steady_clock::now();
      if (real_now >= give_up_at) {
        out = gemini::error(give_up_at == deadline ? errc::deadline_exceeded : errc::rate_limited,
                            "waited for the rate limiter until the limit");
        break;
      }
      // Sleep until the limiter's answer (translated to real time) or until woken.
      auto until = give_up_at;
      if (g.when != Clock::time_point::max()) {
        if constexpr (requires(Clock & c) { c.advance(g.when - now); }) {
          clock.advance(g.when - now);  // virtual time: no real wait
          continue;
        } else {
          until = std::min(until, real_now + (g.when - now));
        }
      }
      me.it->woken = false;
      timer.expires_at(until);
      auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec && !me.it->woken) {
        out = gemini::error(errc::cancelled, "cancelled while waiting for the rate limiter");
        break;
      }
    }
    waited = std::chrono::steady_clock::now() - began;
    co_return out;
  }

 private:
  /// True when no waiter of `me`'s queue is ahead of it.
  bool at_head(typename list::iterator me) const {
    if constexpr (keyed) {
      for (auto it = waiters_.begin(); it != me; ++it)
        if (limit_->same_queue(*it->cost, *me->cost)) return false;
      return true;
    } else {
      return me == waiters_.begin();
    }
  }

  /// True when nobody waits in the queue `c` would join.
  bool queue_empty(const limit::cost& c) const {
    if constexpr (keyed)
      return std::none_of(waiters_.begin(), waiters_.end(),
                          [&](const waiter& w) { return limit_->same_queue(*w.cost, c); });
    else
      return waiters_.empty();
  }

  list waiters_;
  Limit* limit_ = nullptr;  // the client's limiter (same object for every acquire)
};

}  // namespace detail
}  // namespace v1
}  // namespace gemini

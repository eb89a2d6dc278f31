// gemini-cxx — one call's state and one attempt's permit.
//
// attempt_permit owns everything an attempt acquires: the client breaker's permit (a
// half-open probe included), the limiter's grant, the router's endpoint (its in-flight
// count, breaker permit and rate-limit grant). finish() hands the outcome to each of them;
// the destructor gives back whatever finish() did not: an attempt refused later in the
// sequence, an error return, cancellation, an exception or a destroyed frame.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/config.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/observe/concept.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/slots.hpp>
#include <gemini/transport/http.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace gemini {
inline namespace v1 {
namespace detail {

/// One call's pipeline state, owned by the calling coroutine's frame.
struct call_state {
  transport::clock_type::time_point began;  // real time at the start of the call
  transport::attempt_limits limits;
  retry::retry_state retry;
  limit::cost cost;  // views into the call's options (valid while the call runs)
  gemini::priority prio = gemini::priority::normal;
  observe::operation op = observe::operation::generate_content;
  std::string_view user;         // call_options::user
  std::string_view traceparent;  // call_options::traceparent, when well-formed
  const std::vector<std::pair<std::string, std::string>>* labels = nullptr;
  int chunks = 0;                                   // a stream's chunks delivered
  transport::clock_type::time_point first_chunk{};  // when the first one was
};

/// How many tokens an answer used (the reservation when the type has no usage).
template <class T>
std::int64_t used_tokens(const T& value, const limit::cost& reserved) {
  if constexpr (requires { value.usage.total_token_count; })
    return value.usage.total_token_count;
  else
    return reserved.tokens;
}

/// `Pipeline` grants access (friend) to its policies: breaker_, limit_, route_, clock_, gate_.
template <class Pipeline>
class attempt_permit {
  using Breaker = typename Pipeline::breaker_type;
  using Limit = typename Pipeline::limit_type;
  using Route = typename Pipeline::route_type;
  using Clock = typename Pipeline::clock_type;
  static constexpr bool timed = !none_policy<Breaker> || !none_policy<Route>;

 public:
  attempt_permit(Pipeline& p, const limit::cost& c) noexcept : p_(&p), cost_(c) {}
  attempt_permit(attempt_permit&& o) noexcept
      : p_(o.p_),
        cost_(o.cost_),
        started_(o.started_),
        endpoint_(o.endpoint_),
        route_reserved_(o.route_reserved_),
        breaker_(std::exchange(o.breaker_, false)),
        limit_(std::exchange(o.limit_, false)),
        routed_(std::exchange(o.routed_, false)) {}
  attempt_permit& operator=(attempt_permit&&) = delete;
  ~attempt_permit() { abandon(); }

  /// The checks that refuse an attempt without any network: the call's deadline, then the
  /// client's breaker (whose permit this object then holds).
  std::optional<gemini::error> open(const call_state& cs) {
    if (cs.limits.deadline != transport::clock_type::time_point::max()) {
      auto now = cs.retry.attempts <= 1 ? cs.began : transport::clock_type::now();
      if (now >= cs.limits.deadline)
        return gemini::error(errc::deadline_exceeded, "the call's deadline passed");
    }
    if constexpr (timed) started_ = p_->clock_.now();
    if constexpr (!none_policy<Breaker>) {
      const bool allowed = p_->breaker_.allow(started_);
      p_->watch_own_breaker(started_);  // half-open now, when this takes the probe
      if (!allowed)
        return gemini::error(errc::circuit_open,
                             "circuit breaker open for " + p_->base_.origin.host_port());
      breaker_ = true;
    }
    return std::nullopt;
  }

  /// Acquires the limiter (waiting in the client's queue). On success this object holds
  /// the grant.
  boost::asio::awaitable<std::optional<gemini::error>> take_limit(
      const call_state& cs, std::chrono::nanoseconds& waited) {
    auto e = co_await p_->gate_.acquire(p_->limit_, p_->clock_, cost_, cs.prio, cs.limits.deadline,
                                        p_->ex_, waited);
    if (!e) limit_ = true;
    co_return e;
  }

  /// The router chose endpoint i (its in-flight count, breaker permit and a grant of
  /// `reserved` tokens of the endpoint's own limiter taken).
  void take_endpoint(std::size_t i, std::int64_t reserved) noexcept {
    endpoint_ = i;
    route_reserved_ = reserved;
    routed_ = true;
  }
  std::ptrdiff_t endpoint() const noexcept {
    return endpoint_ ? static_cast<std::ptrdiff_t>(*endpoint_) : -1;
  }
  /// Hedging: the race told the router about its racers itself; `winner` answered.
  void endpoint_recorded(std::size_t winner) noexcept {
    endpoint_ = winner;
    routed_ = false;
  }
  typename Clock::time_point started() const noexcept { return started_; }

  /// The attempt's outcome: every holder learns it (breaker, limiter with the actual
  /// tokens and a 429's pause, router with latency and errors).
  void finish(const gemini::error* err, std::int64_t used) {
    if constexpr (timed || !none_policy<Limit>) {
      auto now = p_->clock_.now();
      if constexpr (!none_policy<Breaker>) {
        if (std::exchange(breaker_, false)) {
          p_->breaker_.record(err ? breaker::judge(*err) : breaker::outcome::success,
                              now - started_, now);
          p_->watch_own_breaker(now);
        }
      }
      if constexpr (!none_policy<Limit>) {
        if (std::exchange(limit_, false)) {
          p_->limit_.release(cost_, err ? cost_.tokens : used, now);
          if (err && err->code == condition::throttled && err->retry_delay)
            p_->limit_.pause_until(
                saturating_add(now, std::min(*err->retry_delay, max_server_delay)));
          p_->gate_.wake();
        }
      }
      if constexpr (!none_policy<Route>) {
        if (std::exchange(routed_, false)) {
          p_->route_.finished(*endpoint_, err, now - started_, now, route_reserved_, used);
          p_->watch_endpoint_breaker(*endpoint_, now);
        }
      }
    }
    (void)err, (void)used;
  }
  template <class T>
  void finish(const result<T>& r) {
    finish(r ? nullptr : &r.error(), r ? used_tokens(*r, cost_) : 0);
  }

  /// Gives back what is still held, as an attempt that was not made.
  void abandon() noexcept {
    if constexpr (timed || !none_policy<Limit>) {
      if (!breaker_ && !limit_ && !routed_) return;
      auto now = p_->clock_.now();
      if constexpr (!none_policy<Breaker>) {
        if (std::exchange(breaker_, false)) {
          p_->breaker_.record(breaker::outcome::ignored, {}, now);
          p_->watch_own_breaker(now);
        }
      }
      if constexpr (!none_policy<Limit>) {
        if (std::exchange(limit_, false)) {
          p_->limit_.release(cost_, cost_.tokens, now);
          p_->gate_.wake();
        }
      }
      if constexpr (!none_policy<Route>) {
        if (std::exchange(routed_, false)) {
          p_->route_.finished(*endpoint_, &not_made(), {}, now, route_reserved_, 0);
          p_->watch_endpoint_breaker(*endpoint_, now);
        }
      }
    }
  }

 private:
  static const gemini::error& not_made() noexcept {
    static const gemini::error e(errc::cancelled, "the attempt was not made");
    return e;
  }

  Pipeline* p_;
  limit::cost cost_;
  typename Clock::time_point started_{};
  std::optional<std::size_t> endpoint_;
  std::int64_t route_reserved_ = 0;  // what the router's choose() reserved on endpoint_
  bool breaker_ = false, limit_ = false, routed_ = false;
};

}  // namespace detail
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the limit slot.
//
// | expression                          | meaning                                          |
// |-------------------------------------|--------------------------------------------------|
// | `P::slot`                           | gemini::slot::limit                              |
// | `p.try_acquire(cost, now)`          | `grant`: granted now, or not before `grant.when` |
// | `p.release(cost, actual_tokens, now)` | a granted call ended (reconcile tokens)        |
// | `p.pause_until(t)`                  | a 429 said "retry after t"                       |
// | `p.options().max_queue / max_wait`  | bounds of the host's wait queue                  |
// | `p.same_queue(a, b)` (optional)     | false: calls a and b never wait behind each other |
//
// A limiter whose state is elsewhere (limit::redis) provides `p.async_try_acquire(cost, now)`
// returning `asio::awaitable<grant>` instead of try_acquire; release and pause_until stay
// synchronous (such a limiter sends them on without waiting).
#pragma once

#include <gemini/error.hpp>
#include <gemini/slots.hpp>

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace limit {

/// What one call asks for, and whose call it is (views valid for the call's duration).
struct cost {
  constexpr cost() = default;
  constexpr cost(std::int64_t t) noexcept : tokens(t) {}  // NOLINT: `cost{600}` reads well
  std::int64_t tokens = 0;  ///< estimated prompt tokens + max output tokens
  std::string_view model;   ///< the call's model id, e.g. "gemini-2.5-flash"
  std::string_view tenant;  ///< call_options::tenant ("" when none)
  /// Which call this is (unique in the process; 0: not known). The host gives the same
  /// value to a call's acquire and release, also across its retries and hedges.
  std::uint64_t call = 0;
};

/// A process-wide call number for `cost::call`.
inline std::uint64_t next_call_id() noexcept {
  static std::atomic<std::uint64_t> n{0};
  return n.fetch_add(1, std::memory_order_relaxed) + 1;
}

struct grant {
  bool granted = false;
  std::chrono::steady_clock::time_point when{};  ///< when not granted: ask again at
  /// When not granted: the call fails now with this error instead of waiting (e.g. a
  /// shared limiter that cannot reach its store and is configured to fail closed).
  std::optional<gemini::error> error{};
};

// clang-format off
template <class P>
concept limit_policy =
    declares_slot<P, gemini::slot::limit> &&
    requires(P& p, const cost& c, std::int64_t actual, std::chrono::steady_clock::time_point now) {
      requires requires { { p.try_acquire(c, now) } -> std::same_as<grant>; } ||
               requires { { p.async_try_acquire(c, now) } -> std::same_as<boost::asio::awaitable<grant>>; };
      p.release(c, actual, now);
      p.pause_until(now);
      { p.options().max_queue } -> std::convertible_to<std::size_t>;
      { p.options().max_wait } -> std::convertible_to<std::chrono::milliseconds>;
    };
// clang-format on

/// A limit policy that answers through an awaitable (its state is outside the process).
template <class P>
concept async_limit_policy = limit_policy<P> &&
    requires(P& p, const cost& c, std::chrono::steady_clock::time_point now) {
  { p.async_try_acquire(c, now) } -> std::same_as<boost::asio::awaitable<grant>>;
};

}  // namespace limit
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the route slot: what a routing policy provides to the client.
//
// | expression                                   | meaning                                 |
// |----------------------------------------------|-----------------------------------------|
// | `P::slot`                                    | gemini::slot::route                     |
// | `p.size()`, `p.at(i)`                        | the endpoints (route::endpoint)         |
// | `p.choose(traits, failed, now)`              | `choice`: an endpoint, or why none      |
// | `p.finished(i, err, took, now, reserved, used)` | an attempt on endpoint i ended       |
// | `p.options().fallback_on_block`              | a blocked answer tries the next endpoint |
#pragma once

#include <gemini/error.hpp>
#include <gemini/route/endpoint.hpp>
#include <gemini/slots.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <span>
#include <string>

namespace gemini {
inline namespace v1 {
namespace route {

/// The outcome of `choose`: an endpoint, or why there is none.
struct choice {
  std::optional<std::size_t> index;
  std::string why_none;  ///< "a: breaker open; b: context window 32768 < 50000 tokens"
};

// clang-format off
template <class P>
concept route_policy =
    declares_slot<P, gemini::slot::route> &&
    requires(P& p, const request_traits& t, std::span<const std::string> failed,
             std::chrono::steady_clock::time_point now, const gemini::error* err) {
      { p.size() } -> std::convertible_to<std::size_t>;
      { p.at(std::size_t{}) } -> std::convertible_to<const endpoint&>;
      { p.choose(t, failed, now) } -> std::same_as<choice>;
      p.finished(std::size_t{}, err, std::chrono::steady_clock::duration{}, now, std::int64_t{},
                 std::int64_t{});
      { p.options().fallback_on_block } -> std::convertible_to<bool>;
    };
// clang-format on

}  // namespace route
}  // namespace v1
}  // namespace gemini

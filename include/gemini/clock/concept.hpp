// gemini-cxx — the clock slot: where every policy's "now" comes from (docs/clock.md).
//
//   using slot = gemini::slot::clock;
//   using time_point = std::chrono::steady_clock::time_point;
//   using duration = std::chrono::steady_clock::duration;
//   time_point now() const;
//
// Every policy keeps steady_clock time points, so a clock tells steady_clock time (a manual
// clock in tests moves it by hand: gemini::testing::manual_clock).
#pragma once

#include <gemini/slots.hpp>

#include <chrono>
#include <concepts>

namespace gemini {
inline namespace v1 {
namespace clock {

template <class C>
concept clock_policy = declares_slot<C, slot::clock> &&
    std::same_as<typename C::time_point, std::chrono::steady_clock::time_point> &&
    std::same_as<typename C::duration, std::chrono::steady_clock::duration> &&
    requires(const C& c) {
  { c.now() } -> std::same_as<typename C::time_point>;
};

}  // namespace clock
}  // namespace v1
}  // namespace gemini

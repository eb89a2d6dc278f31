// gemini-cxx — the default clock policy: std::chrono::steady_clock.
#pragma once

#include <gemini/slots.hpp>

#include <chrono>

namespace gemini {
inline namespace v1 {
namespace clock {

/// Reads std::chrono::steady_clock. testing::manual_clock is the test replacement.
struct steady {
  using slot = gemini::slot::clock;
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  time_point now() const noexcept { return std::chrono::steady_clock::now(); }
};

}  // namespace clock
}  // namespace v1
}  // namespace gemini

// gemini-cxx — testing::manual_clock: a clock policy that moves only when told, so every
// time-dependent test runs without sleeping.
#pragma once

#include <gemini/slots.hpp>

#include <chrono>
#include <memory>

namespace gemini {
inline namespace v1 {
namespace testing {

/// Copies share one time line (a test keeps one and hands copies to policies).
class manual_clock {
 public:
  using slot = gemini::slot::clock;
  using duration = std::chrono::steady_clock::duration;
  using time_point = std::chrono::steady_clock::time_point;

  manual_clock() : now_(std::make_shared<time_point>(time_point{} + std::chrono::hours(1))) {}
  time_point now() const noexcept { return *now_; }
  void advance(duration d) noexcept { *now_ += d; }
  void set(time_point t) noexcept { *now_ = t; }

 private:
  std::shared_ptr<time_point> now_;
};

}  // namespace testing
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the thread-safe sync policy: shared policy state behind a real mutex.
#pragma once

#include <gemini/slots.hpp>

#include <mutex>

namespace gemini {
inline namespace v1 {
namespace sync {

/// Policy state may be shared by clients on several threads. Each policy object guards
/// its state with one `std::mutex` held for a few dozen nanoseconds per hook call.
struct multi_thread {
  using slot = gemini::slot::sync;
  static constexpr bool thread_safe = true;
  using mutex = std::mutex;
};

}  // namespace sync
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the default sync policy: shared policy state is used from one thread.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace sync {

/// Policy state is plain members; the client and its policies live on one executor.
struct single_thread {
  using slot = gemini::slot::sync;
  static constexpr bool thread_safe = false;
  /// A lock that does nothing: compiles away.
  struct mutex {
    void lock() noexcept {}
    void unlock() noexcept {}
    bool try_lock() noexcept { return true; }
  };
};

}  // namespace sync
}  // namespace v1
}  // namespace gemini

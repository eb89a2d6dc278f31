// gemini-cxx — the sync slot: how policies guard their state (docs/sync.md).
//
//   using slot = gemini::slot::sync;
//   static constexpr bool thread_safe = ...;  // may several threads share the policies?
//   using mutex = ...;                        // a Lockable: lock(), unlock(), try_lock()
//
// single_thread's mutex does nothing (compiles away); multi_thread's is std::mutex.
#pragma once

#include <gemini/slots.hpp>

#include <concepts>

namespace gemini {
inline namespace v1 {
namespace sync {

template <class S>
concept sync_policy = declares_slot<S, slot::sync> && requires {
  { S::thread_safe } -> std::convertible_to<bool>;
  typename S::mutex;
} && std::default_initializable<typename S::mutex> && requires(typename S::mutex& m) {
  m.lock();
  m.unlock();
  { m.try_lock() } -> std::convertible_to<bool>;
};

}  // namespace sync
}  // namespace v1
}  // namespace gemini

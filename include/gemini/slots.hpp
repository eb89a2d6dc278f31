// gemini-cxx — slot tags. A policy opts into a slot with `using slot = gemini::slot::cache;`
// before its structure is checked (the stdexec pattern).
#pragma once

#include <concepts>

namespace gemini {
inline namespace v1 {
namespace slot {
struct transport {};
struct cache {};
struct limit {};
struct breaker {};
struct retry {};
struct route {};
struct budget {};
struct guard {};
struct observe {};
struct clock {};
struct sync {};
}  // namespace slot

/// True when P declares `using slot = Slot;`.
template <class P, class Slot>
concept declares_slot = requires {
  typename P::slot;
}
&&std::same_as<typename P::slot, Slot>;

/// True for a slot's no-op policy (`static constexpr bool is_none = true;`), which the
/// host skips with `if constexpr` and stores in zero bytes.
template <class P>
concept none_policy = requires {
  requires P::is_none;
};

}  // namespace v1
}  // namespace gemini

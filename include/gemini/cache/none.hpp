// gemini-cxx — the no-op cache policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace cache {

/// No cache behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::cache;
  static constexpr bool is_none = true;
};

}  // namespace cache
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the no-op guard policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace guard {

/// No guard behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::guard;
  static constexpr bool is_none = true;
};

}  // namespace guard
}  // namespace v1
}  // namespace gemini

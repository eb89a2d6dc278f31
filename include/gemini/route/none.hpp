// gemini-cxx — the no-op route policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace route {

/// No route behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::route;
  static constexpr bool is_none = true;
};

}  // namespace route
}  // namespace v1
}  // namespace gemini

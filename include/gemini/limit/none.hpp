// gemini-cxx — the no-op limit policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace limit {

/// No limit behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::limit;
  static constexpr bool is_none = true;
};

}  // namespace limit
}  // namespace v1
}  // namespace gemini

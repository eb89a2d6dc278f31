// gemini-cxx — the no-op budget policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace budget {

/// No budget behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::budget;
  static constexpr bool is_none = true;
};

}  // namespace budget
}  // namespace v1
}  // namespace gemini

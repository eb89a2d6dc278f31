// gemini-cxx — the no-op retry policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace retry {

/// No retry behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::retry;
  static constexpr bool is_none = true;
};

}  // namespace retry
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the no-op breaker policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace breaker {

/// No breaker behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::breaker;
  static constexpr bool is_none = true;
};

}  // namespace breaker
}  // namespace v1
}  // namespace gemini

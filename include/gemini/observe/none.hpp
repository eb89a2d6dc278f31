// gemini-cxx — the no-op observe policy: an empty type the client skips at compile time.
#pragma once

#include <gemini/slots.hpp>

namespace gemini {
inline namespace v1 {
namespace observe {

/// No observe behaviour. Costs zero bytes ([[no_unique_address]]) and zero instructions.
struct none {
  using slot = gemini::slot::observe;
  static constexpr bool is_none = true;
};

}  // namespace observe
}  // namespace v1
}  // namespace gemini

// gemini-cxx — building a coroutine's result in its promise.
//
// Asio's awaitable promise stores a `co_return`ed value with `new (&slot) T(std::move(u))`.
// When `u` is a `built_by`, that expression calls `make()` through the conversion operator
// and GCC (as Clang) constructs T directly in the slot: `co_return built_by{[&] { ... }}`
// costs no move of T, where `co_return std::move(local)` costs one. The responses are large
// aggregates (their move is not free), so the hot paths return them this way.
#pragma once

#include <type_traits>

namespace gemini {
inline namespace v1 {
namespace detail {

template <class F>
struct built_by {
  F make;
  operator std::invoke_result_t<F&>() && { return make(); }
};
template <class F>
built_by(F) -> built_by<F>;

}  // namespace detail
}  // namespace v1
}  // namespace gemini

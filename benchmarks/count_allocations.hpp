// Counts heap allocations: include in exactly one TU of a benchmark binary (it replaces the
// global operator new / delete) and read gemini_bench::allocations.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

namespace gemini_bench {
inline std::atomic<std::size_t> allocations{0};
}  // namespace gemini_bench

// g++ 12 flags malloc/free inside replaced operator new/delete as mismatched once they are
// inlined into callers (a false positive).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void* operator new(std::size_t n) {
  gemini_bench::allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// Run by tests/unit/expect_abort.cmake: dereferencing a result that holds an error must
// abort with a message naming the error (GEMINI_CHECKED_ACCESS), not read garbage.
#define GEMINI_CHECKED_ACCESS 1
#include <gemini/error.hpp>

#include <cstdio>
#include <string>

int main() {
  gemini::result<std::string> r(gemini::errc::unavailable, "the model is overloaded");
  std::printf("%zu\n", r->size());  // aborts here
  return 0;                         // reached only if the check is missing
}

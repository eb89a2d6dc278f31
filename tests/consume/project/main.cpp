// A consumer of the installed library: includes the public headers and uses the error model.
#include <gemini/error.hpp>

#include <iostream>

int main() {
  gemini::result<int> r = gemini::error(gemini::errc::rate_limited, "slow down");
  if (r || r.error().code != gemini::condition::retryable) return 1;
  std::cout << "consumer ok: " << r.error() << '\n';
  return 0;
}

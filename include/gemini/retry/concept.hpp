// gemini-cxx — the retry slot.
//
// | expression                          | meaning                                          |
// |-------------------------------------|--------------------------------------------------|
// | `P::slot`                           | gemini::slot::retry                              |
// | `p.on_request(now)`                 | a call starts (retry budgets count calls)        |
// | `p.on_failure(err, state, now)`     | `decision`: give up, retry after a delay, fail over |
//
// Hooks are synchronous and allocate nothing; the host sleeps and re-sends.
#pragma once

#include <gemini/error.hpp>
#include <gemini/slots.hpp>

#include <chrono>
#include <concepts>

namespace gemini {
inline namespace v1 {
namespace retry {

enum class action {
  give_up,    ///< return the error to the caller
  retry,      ///< wait `delay`, then try again (same or next endpoint)
  fail_over,  ///< this endpoint cannot serve it soon: try another one, else give up
};

struct decision {
  retry::action action = action::give_up;
  std::chrono::milliseconds delay{0};
  const char* why = "";  ///< for logs: "max attempts reached", "retry budget exhausted", ...
};

/// Per-call retry bookkeeping, owned by the host.
struct retry_state {
  int attempts = 0;  ///< attempts made so far (1 after the first)
  std::chrono::milliseconds previous_delay{0};
  std::chrono::milliseconds total_delay{0};
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
};

template <class P>
concept retry_policy = declares_slot<P, gemini::slot::retry> &&
    requires(P& p, const gemini::error& e, retry_state& st,
             std::chrono::steady_clock::time_point now) {
  p.on_request(now);
  { p.on_failure(e, st, now) } -> std::same_as<decision>;
};

}  // namespace retry
}  // namespace v1
}  // namespace gemini

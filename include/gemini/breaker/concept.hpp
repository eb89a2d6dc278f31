// gemini-cxx — the breaker slot (one breaker object guards one endpoint).
//
// | expression                      | meaning                                              |
// |---------------------------------|------------------------------------------------------|
// | `P::slot`                       | gemini::slot::breaker                                |
// | `p.allow(now)`                  | bool: may a call go out now? (takes a half-open permit) |
// | `p.record(outcome, took, now)`  | the result of an allowed call                        |
// | `p.current(now)`                | breaker::state                                       |
#pragma once

#include <gemini/error.hpp>
#include <gemini/slots.hpp>

#include <chrono>
#include <concepts>

namespace gemini {
inline namespace v1 {
namespace breaker {

enum class state { closed, open, half_open };

inline const char* to_string(state s) noexcept {
  switch (s) {
    case state::closed: return "closed";
    case state::open: return "open";
    case state::half_open: return "half_open";
  }
  return "?";
}

enum class outcome {
  success,
  failure,
  ignored,  ///< neither (client errors, cancellation): releases a half-open permit
};

/// Client errors (4xx other than 429) and cancellations say nothing about the endpoint's
/// health; throttling, server errors, timeouts and transport failures do.
inline outcome judge(const gemini::error& e) noexcept {
  if (e.code == condition::throttled) return outcome::failure;
  if (e.code == condition::client_error || e.code == condition::cancelled) return outcome::ignored;
  return outcome::failure;
}

template <class P>
concept breaker_policy = declares_slot<P, gemini::slot::breaker> &&
    requires(P& p, outcome o, std::chrono::steady_clock::duration took,
             std::chrono::steady_clock::time_point now) {
  { p.allow(now) } -> std::same_as<bool>;
  p.record(o, took, now);
  { p.current(now) } -> std::same_as<state>;
};

}  // namespace breaker
}  // namespace v1
}  // namespace gemini

// gemini-cxx — the budget slot: reserve a call's worst-case cost before it goes out, settle
// it with the actual cost after (pipeline steps 2 and 6, DESIGN.md §3).
//
// | expression                      | meaning                                               |
// |---------------------------------|-------------------------------------------------------|
// | `P::slot`                       | gemini::slot::budget                                  |
// | `P::reservation`                | what one admitted call holds (movable)                |
// | `p.reserve(req, now)`           | `result<P::reservation>`: admitted, or budget_exceeded |
// | `p.settle(res, usage, now)`     | the call ended with this actual usage (0 on a hit)    |
// | `p.release(res, now)`           | the call ended without being billed (error, cancel)   |
//
// The host owns the reservation: exactly one of settle() or release() is called for every
// reservation reserve() granted, on every path (success, error, cancellation, exception).
// A budget whose state is elsewhere (Redis) provides `p.async_reserve(req, now)` returning
// `asio::awaitable<result<P::reservation>>` instead of reserve(); settle and release stay
// synchronous (such a budget sends them on without waiting).
// Optionally, `p.advice(res)` returns a budget::advice (budget/common.hpp) for an admitted
// call: a cheaper model, a compacted prompt; the host follows it before sending.
#pragma once

#include <gemini/error.hpp>
#include <gemini/slots.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/describe/class.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace wire {
struct usage_metadata;
}
namespace budget {

/// What the budget is asked to admit: whose call, which model, its worst case in tokens.
struct request {
  std::string_view tenant;             ///< call_options::tenant
  std::string_view user;               ///< call_options::user
  std::string_view model;              ///< the requested model
  std::int64_t input_tokens = 0;       ///< estimated prompt tokens
  std::int64_t max_output_tokens = 0;  ///< generationConfig.maxOutputTokens (or a default)
};

/// What the call actually used. `usage` is null when nothing was billed by the service
/// (a cache hit); `model` is the answering model (modelVersion) when known.
struct actual {
  const wire::usage_metadata* usage = nullptr;
  std::string_view model;
  bool from_cache = false;
};

/// What a call admitted past a soft limit does, besides telling on_soft_limit: the host
/// follows it before the call is sent (docs/cost.md).
struct soft_limit_action {
  /// The requested model -> a cheaper one the call goes to instead, e.g.
  /// {{"gemini-2.5-pro", "gemini-2.5-flash"}}. A model not listed stays.
  std::vector<std::pair<std::string, std::string>> cheaper_model;
  bool compact_prompt = false;  ///< prompt::compact() the request (whitespace, repeats)
  /// When not 0: prompt::trim_history() to this many estimated tokens (the oldest turns
  /// go; a conversation that cannot be trimmed that far is sent as it is).
  std::int64_t max_prompt_tokens = 0;
  BOOST_DESCRIBE_STRUCT(soft_limit_action, (), (cheaper_model, compact_prompt, max_prompt_tokens))
};

/// What a budget advises for one admitted call (`p.advice(reservation)`, optional).
struct advice {
  std::string_view model;  ///< send the call to this model (empty: as requested)
  bool compact_prompt = false;
  std::int64_t max_prompt_tokens = 0;  ///< trim the oldest turns to this (0: no)
};

// clang-format off
template <class P>
concept budget_policy =
    declares_slot<P, gemini::slot::budget> &&
    std::movable<typename P::reservation> &&
    requires(P& p, const request& q, typename P::reservation& r, const actual& a,
             std::chrono::steady_clock::time_point now) {
      requires requires { { p.reserve(q, now) } -> std::same_as<result<typename P::reservation>>; } ||
               requires { { p.async_reserve(q, now) } -> std::same_as<boost::asio::awaitable<result<typename P::reservation>>>; };
      p.settle(r, a, now);
      p.release(r, now);
    };

/// A budget policy that admits through an awaitable (its state is outside the process).
template <class P>
concept async_budget_policy = budget_policy<P> &&
    requires(P& p, const request& q, std::chrono::steady_clock::time_point now) {
      { p.async_reserve(q, now) } -> std::same_as<boost::asio::awaitable<result<typename P::reservation>>>;
    };
// clang-format on

}  // namespace budget
}  // namespace v1
}  // namespace gemini

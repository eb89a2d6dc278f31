// gemini-cxx — the observe slot: what the client tells an observer (metrics, logs, audit).
//
// | expression        | meaning                                                          |
// |-------------------|------------------------------------------------------------------|
// | `P::slot`         | gemini::slot::observe                                            |
// | `p.record(ev)`    | one `observe::event` happened (synchronous, must not block)      |
//
// One hook for every event, so an observer can never be silently skipped because one of
// many hook names was misspelt: it switches on `ev.kind` and ignores what it does not
// need. The pointers and views in an event are valid only during the call to record().
#pragma once

#include <gemini/slots.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gemini {
inline namespace v1 {
struct error;
namespace wire {
struct usage_metadata;
}
namespace breaker {
enum class state;  // breaker/concept.hpp: closed, open, half_open
}
namespace observe {

/// The call's operation, named as OpenTelemetry's gen_ai.operation.name does where it can.
enum class operation {
  generate_content,
  stream_generate_content,
  count_tokens,
  embeddings,
  batch_embeddings,
  list_models,
  get_model,
  cached_contents  ///< create, get, list, update or delete a cachedContent
};

inline constexpr const char* to_string(operation o) noexcept {
  switch (o) {
    case operation::generate_content: return "generate_content";
    case operation::stream_generate_content: return "stream_generate_content";
    case operation::count_tokens: return "count_tokens";
    case operation::embeddings: return "embeddings";
    case operation::batch_embeddings: return "batch_embeddings";
    case operation::list_models: return "list_models";
    case operation::get_model: return "get_model";
    case operation::cached_contents: return "cached_contents";
  }
  return "?";
}

enum class event_kind {
  call_start,         ///< a public call began (after argument checks)
  call_end,           ///< it ended: `error` null on success; `elapsed` the whole call
  attempt_start,      ///< an attempt goes to the transport (`attempt`, `endpoint`)
  attempt_end,        ///< its outcome (`error`, `usage`, `elapsed`)
  retry,              ///< the retry policy backs off `delay` after `error`
  failover,           ///< the next endpoint is tried after `error` on `endpoint`
  hedge,              ///< a second racer started on `endpoint`
  cache_hit,          ///< served from the cache (`stale` true: stale-if-error)
  cache_miss,         ///< looked up, not found
  cache_coalesced,    ///< joined an identical request in flight
  breaker_refused,    ///< circuit_open without touching the network
  limiter_wait,       ///< waited `elapsed` for the rate limiter (`error` set when refused)
  guard_rejected,     ///< the guard refused the request (`error`)
  budget_rejected,    ///< the budget refused the call (`error`)
  first_chunk,        ///< a stream's first chunk arrived (`elapsed` since the call began)
  breaker_state,      ///< a breaker changed state (`breaker_from` → `breaker_to`, `endpoint`)
  hedge_end,          ///< a hedged race with both racers started ended (`hedge_won`)
  cache_store,        ///< an answer was stored (`cache_entries` / `cache_bytes` when known)
  budget_soft_limit,  ///< the budget admitted the call past a soft limit
};

inline constexpr const char* to_string(event_kind k) noexcept {
  switch (k) {
    case event_kind::call_start: return "call_start";
    case event_kind::call_end: return "call_end";
    case event_kind::attempt_start: return "attempt_start";
    case event_kind::attempt_end: return "attempt_end";
    case event_kind::retry: return "retry";
    case event_kind::failover: return "failover";
    case event_kind::hedge: return "hedge";
    case event_kind::cache_hit: return "cache_hit";
    case event_kind::cache_miss: return "cache_miss";
    case event_kind::cache_coalesced: return "cache_coalesced";
    case event_kind::breaker_refused: return "breaker_refused";
    case event_kind::limiter_wait: return "limiter_wait";
    case event_kind::guard_rejected: return "guard_rejected";
    case event_kind::budget_rejected: return "budget_rejected";
    case event_kind::first_chunk: return "first_chunk";
    case event_kind::breaker_state: return "breaker_state";
    case event_kind::hedge_end: return "hedge_end";
    case event_kind::cache_store: return "cache_store";
    case event_kind::budget_soft_limit: return "budget_soft_limit";
  }
  return "?";
}

/// One event. Fields that do not apply to a kind keep their defaults.
struct event {
  event_kind kind = event_kind::call_start;
  observe::operation operation = observe::operation::generate_content;
  std::string_view model;                ///< the requested model ("gemini-2.5-flash")
  std::string_view tenant;               ///< call_options::tenant
  int attempt = 0;                       ///< 1 for the first attempt
  std::ptrdiff_t endpoint = -1;          ///< the router's endpoint index, -1 without a router
  const gemini::error* error = nullptr;  ///< the failure, null on success
  const wire::usage_metadata* usage = nullptr;  ///< token counts of a successful answer
  std::string_view response_model;              ///< modelVersion of the answer, when known
  std::chrono::nanoseconds elapsed{0};          ///< duration of the call / attempt / wait
  std::chrono::milliseconds delay{0};           ///< retry back-off
  bool stale = false;                           ///< cache_hit: a stale entry served on error
  std::uint64_t call = 0;                       ///< numbers the events of one call
  std::string_view user;                        ///< call_options::user
  std::string_view response_id;                 ///< call_end: the answer's responseId
  std::string_view server_address;              ///< the client's own endpoint's host
  std::uint16_t server_port = 0;
  std::string_view provider;  ///< gen_ai.provider.name ("gcp.gemini")
  /// Names the origin (server_address, server_port, provider) of the client that made the
  /// event: a number no other client of the process has had, so equal numbers mean equal
  /// origins and an observer may skip comparing their text. 0: not said.
  std::uint64_t origin = 0;
  int chunks = 0;                           ///< call_end of a stream: chunks delivered
  std::chrono::nanoseconds first_chunk{0};  ///< call_end of a stream: time to the first
  const std::vector<std::pair<std::string, std::string>>* labels = nullptr;  ///< call_options
  std::string_view traceparent;  ///< the call's W3C trace context (empty: none, or malformed)
  /// breaker_state: the endpoint's name (a router endpoint's, or the client's host:port)
  /// and the change. Also on attempt_end: the endpoint's name when routed.
  std::string_view endpoint_name;
  breaker::state breaker_from{}, breaker_to{};
  bool hedge_won = false;  ///< hedge_end: the second racer gave the answer (`error`: neither)
  /// cache_store: entries and bytes the cache holds; -1: the cache does not say (a shared
  /// cache in Redis).
  std::int64_t cache_entries = -1, cache_bytes = -1;
  /// call_end: the first candidate's avgLogprobs (the model's mean log-probability of the
  /// answer's tokens, ≤ 0), when the service sent it.
  const double* avg_logprobs = nullptr;
  /// attempt_end: the transport's pool since the previous attempt_end of this client
  /// (connections opened, idle ones reused, stale ones dropped); all 0 when unknown.
  std::uint32_t connections_opened = 0, connections_reused = 0, connections_stale = 0;
};

// clang-format off
template <class P>
concept observe_policy =
    declares_slot<P, gemini::slot::observe> &&
    requires(P& p, const event& e) {
      p.record(e);
    };
// clang-format on

}  // namespace observe
}  // namespace v1
}  // namespace gemini

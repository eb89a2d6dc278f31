// gemini-cxx — the `cache` slot: what a response cache provides to the client.
//
// A cache policy stores generateContent responses by key (cache/key.hpp). The client does
// the rest of the pipeline's cache steps itself: key building, per-call cache control,
// request coalescing, the storable check and stale-if-error (DESIGN.md §3, steps 3 and 5).
// Synchronous backends (memory) provide lookup/store; backends that do I/O (Redis) provide
// async_lookup/async_store returning awaitables instead, and must fail open (a backend
// failure is a miss, never an error of the call).
#pragma once

#include <gemini/cache/key.hpp>
#include <gemini/slots.hpp>
#include <gemini/wire/types.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>

namespace gemini {
inline namespace v1 {
namespace cache {

using response = wire::generate_content_response;
using response_ptr = std::shared_ptr<const response>;
using time_point = std::chrono::steady_clock::time_point;

/// What a lookup found. `stale`: past its TTL but within the stale-if-error grace window:
/// the client sends the request anyway and serves this only when every attempt fails.
struct lookup_result {
  response_ptr value;
  bool stale = false;
  /// How long a fresh value stays fresh, when the backend knows (0: unknown). A tiered
  /// cache uses it to copy an L2 entry into L1 without outliving it.
  std::chrono::milliseconds fresh_for{0};
  explicit operator bool() const noexcept { return value != nullptr; }
};

/// What the client does for the callers that joined a coalesced request that failed.
enum class on_leader_failure {
  share_error,  ///< they receive the same error (one failure, not N)
  retry_alone,  ///< each sends its own request
};
BOOST_DESCRIBE_ENUM(on_leader_failure, share_error, retry_alone)

/// Only successful, unblocked, complete answers (first candidate's finishReason STOP).
inline bool default_storable(const response& r) noexcept {
  return !r.blocked() && !r.candidates.empty() && r.finish() == wire::finish_reason::stop;
}

/// The client-side cache behaviour every backend exposes through `behaviour()`.
struct behaviour {
  std::chrono::milliseconds ttl{std::chrono::minutes(5)};  ///< call_options::cache_ttl overrides
  /// Serve an entry this long past its TTL when every attempt failed (0: off).
  std::chrono::milliseconds stale_if_error{0};
  bool coalesce = true;  ///< concurrent identical misses send one request
  on_leader_failure leader_failure = on_leader_failure::share_error;
  /// Which responses are stored (empty: default_storable).
  std::function<bool(const response&)> storable;

  bool should_store(const response& r) const {
    return storable ? storable(r) : default_storable(r);
  }
};
BOOST_DESCRIBE_STRUCT(behaviour, (), (ttl, stale_if_error, coalesce, leader_failure))

/// A synchronous backend (e.g. cache::memory).
// clang-format off
template <class C>
concept sync_backend = requires(C& c, const key& k, time_point now, response_ptr v,
                                std::chrono::milliseconds ttl) {
  { c.lookup(k, now) } -> std::same_as<lookup_result>;
  c.store(k, std::move(v), ttl, now);
  { c.behaviour() } -> std::convertible_to<const cache::behaviour&>;
};
// clang-format on

/// A backend that does I/O (e.g. cache::redis): awaitable hooks, fail-open.
// clang-format off
template <class C>
concept async_backend = requires(C& c, const key& k, time_point now, response_ptr v,
                                 std::chrono::milliseconds ttl) {
  { c.async_lookup(k, now) } -> std::same_as<boost::asio::awaitable<lookup_result>>;
  { c.async_store(k, std::move(v), ttl, now) } -> std::same_as<boost::asio::awaitable<void>>;
  { c.behaviour() } -> std::convertible_to<const cache::behaviour&>;
};
// clang-format on

template <class C>
concept cache_policy = sync_backend<C> || async_backend<C>;

}  // namespace cache
}  // namespace v1
}  // namespace gemini

// Archetypes: for each slot, the smallest type that models its concept and nothing more
// (STYLE.md). A client built from all of them compiles (tests/policy/test_archetypes.cpp);
// each must-not-compile case (tests/compile_fail/) breaks exactly one of them.
#pragma once

#include <gemini/breaker/concept.hpp>
#include <gemini/budget/concept.hpp>
#include <gemini/cache/concept.hpp>
#include <gemini/clock/concept.hpp>
#include <gemini/guard/concept.hpp>
#include <gemini/limit/concept.hpp>
#include <gemini/observe/concept.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/route/concept.hpp>
#include <gemini/slots.hpp>
#include <gemini/sync/concept.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace gemini::archetype {

using time_point = std::chrono::steady_clock::time_point;

struct cache {
  using slot = gemini::slot::cache;
  gemini::cache::behaviour b;
  const gemini::cache::behaviour& behaviour() const { return b; }
  gemini::cache::lookup_result lookup(const gemini::cache::key&, time_point) { return {}; }
  void store(const gemini::cache::key&, gemini::cache::response_ptr, std::chrono::milliseconds,
             time_point) {}
};

struct limit {
  using slot = gemini::slot::limit;
  struct bounds {
    std::size_t max_queue = 1;
    std::chrono::milliseconds max_wait{1};
  };
  gemini::limit::grant try_acquire(const gemini::limit::cost&, time_point) { return {true, {}}; }
  void release(const gemini::limit::cost&, std::int64_t, time_point) {}
  void pause_until(time_point) {}
  bounds options() const { return {}; }
};

struct breaker {
  using slot = gemini::slot::breaker;
  bool allow(time_point) { return true; }
  void record(gemini::breaker::outcome, std::chrono::steady_clock::duration, time_point) {}
  gemini::breaker::state current(time_point) { return gemini::breaker::state::closed; }
};

struct retry {
  using slot = gemini::slot::retry;
  void on_request(time_point) {}
  gemini::retry::decision on_failure(const gemini::error&, gemini::retry::retry_state&,
                                     time_point) {
    return {};
  }
};

struct route {
  using slot = gemini::slot::route;
  struct flags {
    bool fallback_on_block = false;
  };
  gemini::route::endpoint ep;
  std::size_t size() const { return 1; }
  const gemini::route::endpoint& at(std::size_t) const { return ep; }
  gemini::route::choice choose(const gemini::route::request_traits&, std::span<const std::string>,
                               time_point) {
    return {0, {}};
  }
  void finished(std::size_t, const gemini::error*, std::chrono::steady_clock::duration, time_point,
                std::int64_t, std::int64_t) {}
  flags options() const { return {}; }
};

struct budget {
  using slot = gemini::slot::budget;
  struct reservation {};
  gemini::result<reservation> reserve(const gemini::budget::request&, time_point) {
    return reservation{};
  }
  void settle(reservation&, const gemini::budget::actual&, time_point) {}
  void release(reservation&, time_point) {}
};

struct guard {
  using slot = gemini::slot::guard;
  struct state {};
  std::optional<gemini::error> inspect(gemini::wire::generate_content_request&, state&,
                                       const gemini::guard::call_info&) {
    return std::nullopt;
  }
  void filter(gemini::wire::generate_content_response&, state&, const gemini::guard::call_info&) {}
  void filter_chunk(gemini::wire::generate_content_response&, state&,
                    const gemini::guard::call_info&) {}
};

struct observe {
  using slot = gemini::slot::observe;
  void record(const gemini::observe::event&) {}
};

struct clock {
  using slot = gemini::slot::clock;
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;
  time_point now() const { return {}; }
};

struct sync {
  using slot = gemini::slot::sync;
  static constexpr bool thread_safe = false;
  struct mutex {
    void lock() {}
    void unlock() {}
    bool try_lock() { return true; }
  };
};

static_assert(gemini::cache::cache_policy<cache>);
static_assert(gemini::limit::limit_policy<limit>);
static_assert(gemini::breaker::breaker_policy<breaker>);
static_assert(gemini::retry::retry_policy<retry>);
static_assert(gemini::route::route_policy<route>);
static_assert(gemini::budget::budget_policy<budget>);
static_assert(gemini::guard::guard_policy<guard>);
static_assert(gemini::observe::observe_policy<observe>);
static_assert(gemini::clock::clock_policy<clock>);
static_assert(gemini::sync::sync_policy<sync>);

}  // namespace gemini::archetype

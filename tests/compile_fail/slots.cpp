// Must-not-compile cases: a wrong type in one slot of a client that is otherwise built from
// archetypes. tests/compile_fail/check.cmake compiles this file once per case
// (-DGEMINI_CASE_<name>) and checks the diagnostic contains the text after `expect <name>:`.
// Case `ok` must compile: it proves the harness can tell the difference.
//
// clang-format off
// expect ok:
// expect transport_shape: the `transport` slot needs `using slot = gemini::slot::transport;`
// expect cache_no_slot: the `cache` slot type must declare `using slot = gemini::slot::cache;`
// expect cache_wrong_policy: the `cache` slot type must declare `using slot = gemini::slot::cache;`
// expect cache_shape: the `cache` slot needs behaviour() and either lookup(key, now)
// expect limit_shape: the `limit` slot needs try_acquire(cost, now) -> grant
// expect breaker_shape: the `breaker` slot needs allow(now) -> bool
// expect retry_shape: the `retry` slot needs on_request(now)
// expect route_shape: the `route` slot needs size(), at(i) -> const endpoint&
// expect budget_shape: the `budget` slot needs `using reservation = ...;`
// expect guard_shape: the `guard` slot needs `using state = ...;`
// expect observe_shape: the `observe` slot needs record(const observe::event&)
// expect observe_no_slot: the `observe` slot type must declare `using slot = gemini::slot::observe;`
// expect clock_system_clock: the `clock` slot needs time_point and duration of std::chrono::steady_clock
// expect sync_no_mutex: the `sync` slot needs `static constexpr bool thread_safe`
// clang-format on
#include <gemini/client.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/io_context.hpp>

#include "policy/archetypes.hpp"

namespace a = gemini::archetype;

struct bundle {
#if defined(GEMINI_CASE_transport_shape)
  struct transport {
    using slot = gemini::slot::transport;
    template <class E, class O>
    transport(const E&, const O&) {}
  };
#else
  using transport = gemini::transport::scripted_transport;
#endif

#if defined(GEMINI_CASE_cache_no_slot)
  struct cache : a::cache {
    using slot = void;
  };
#elif defined(GEMINI_CASE_cache_wrong_policy)
  using cache = a::limit;  // a limiter where the cache goes
#elif defined(GEMINI_CASE_cache_shape)
  struct cache {
    using slot = gemini::slot::cache;
    int lookup(int) { return 0; }
  };
#else
  using cache = a::cache;
#endif

#if defined(GEMINI_CASE_limit_shape)
  struct limit {
    using slot = gemini::slot::limit;
    bool try_acquire() { return true; }
  };
#else
  using limit = a::limit;
#endif

#if defined(GEMINI_CASE_breaker_shape)
  struct breaker {
    using slot = gemini::slot::breaker;
    bool allow() { return true; }  // no `now`, no record(), no current()
  };
#else
  using breaker = a::breaker;
#endif

#if defined(GEMINI_CASE_retry_shape)
  struct retry {
    using slot = gemini::slot::retry;
    bool on_failure(const gemini::error&) { return false; }
  };
#else
  using retry = a::retry;
#endif

#if defined(GEMINI_CASE_route_shape)
  struct route {
    using slot = gemini::slot::route;
    std::size_t size() const { return 0; }
  };
#else
  using route = a::route;
#endif

#if defined(GEMINI_CASE_budget_shape)
  struct budget {
    using slot = gemini::slot::budget;
    struct reservation {};
    bool reserve(const gemini::budget::request&) { return true; }  // not a result<reservation>
  };
#else
  using budget = a::budget;
#endif

#if defined(GEMINI_CASE_guard_shape)
  struct guard {
    using slot = gemini::slot::guard;  // no state, no inspect / filter
  };
#else
  using guard = a::guard;
#endif

#if defined(GEMINI_CASE_observe_shape)
  struct observe {
    using slot = gemini::slot::observe;
    void on_call_end(const gemini::observe::event&) {}  // a misspelt hook
  };
#elif defined(GEMINI_CASE_observe_no_slot)
  struct observe {
    void record(const gemini::observe::event&) {}
  };
#else
  using observe = a::observe;
#endif

#if defined(GEMINI_CASE_clock_system_clock)
  struct clock {
    using slot = gemini::slot::clock;
    using time_point = std::chrono::system_clock::time_point;
    using duration = std::chrono::system_clock::duration;
    time_point now() const { return std::chrono::system_clock::now(); }
  };
#else
  using clock = a::clock;
#endif

#if defined(GEMINI_CASE_sync_no_mutex)
  struct sync {
    using slot = gemini::slot::sync;
    static constexpr bool thread_safe = true;
  };
#else
  using sync = a::sync;
#endif
};

int main() {
  boost::asio::io_context ioc;
  gemini::basic_client<bundle> c(ioc.get_executor(), gemini::client_options{});
  auto op = c.generate("hi");
  (void)op;
}

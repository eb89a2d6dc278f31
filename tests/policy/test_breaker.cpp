#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/testing/manual_clock.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <thread>
#include <type_traits>

using namespace gemini;
using namespace std::chrono_literals;
using breaker::outcome;
using breaker::state;

TEST_CASE("consecutive_failures: every transition", "[breaker][unit]") {
  testing::manual_clock clock;
  std::vector<std::pair<state, state>> changes;
  breaker::consecutive_failures_options o;
  o.failure_threshold = 3;
  o.recovery_timeout = 10s;
  o.on_state_change = [&](state a, state b) { changes.emplace_back(a, b); };
  breaker::consecutive_failures b(o);

  for (int i = 0; i < 2; ++i) {
    REQUIRE(b.allow(clock.now()));
    b.record(outcome::failure, 1ms, clock.now());
  }
  REQUIRE(b.allow(clock.now()));
  b.record(outcome::success, 1ms, clock.now());  // success resets the count
  for (int i = 0; i < 2; ++i) b.record(outcome::failure, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::closed);
  b.record(outcome::failure, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::open);
  CHECK_FALSE(b.allow(clock.now()));
  clock.advance(9s);
  CHECK_FALSE(b.allow(clock.now()));
  clock.advance(1s);
  CHECK(b.current(clock.now()) == state::half_open);
  CHECK(b.allow(clock.now()));        // the single probe
  CHECK_FALSE(b.allow(clock.now()));  // nobody else while it runs
  b.record(outcome::failure, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::open);  // probe failed: open again
  clock.advance(10s);
  CHECK(b.allow(clock.now()));
  b.record(outcome::ignored, 1ms, clock.now());  // a 400 says nothing: permit released
  CHECK(b.allow(clock.now()));
  b.record(outcome::success, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::closed);
  CHECK(changes == std::vector<std::pair<state, state>>{{state::closed, state::open},
                                                        {state::open, state::half_open},
                                                        {state::half_open, state::open},
                                                        {state::open, state::half_open},
                                                        {state::half_open, state::closed}});
}

TEST_CASE("judge: client errors do not count", "[breaker][unit]") {
  CHECK(breaker::judge(gemini::error(errc::invalid_argument)) == outcome::ignored);
  CHECK(breaker::judge(gemini::error(errc::not_found)) == outcome::ignored);
  CHECK(breaker::judge(gemini::error(errc::cancelled)) == outcome::ignored);
  CHECK(breaker::judge(gemini::error(errc::rate_limited)) == outcome::failure);
  CHECK(breaker::judge(gemini::error(errc::unavailable)) == outcome::failure);
  CHECK(breaker::judge(gemini::error(errc::transport)) == outcome::failure);
  CHECK(breaker::judge(gemini::error(errc::upstream_timeout)) == outcome::failure);
}

TEST_CASE("sliding_window (count): failure rate, minimum calls, half-open permits",
          "[breaker][unit]") {
  testing::manual_clock clock;
  breaker::sliding_window_options o;
  o.window_size = 10;
  o.minimum_calls = 5;
  o.failure_rate_threshold = 0.5;
  o.permitted_calls_in_half_open = 2;
  o.wait_in_open = 5s;
  breaker::sliding_window b(o);
  for (int i = 0; i < 4; ++i) b.record(outcome::failure, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::closed);  // below minimum calls
  b.record(outcome::failure, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::open);
  CHECK_FALSE(b.allow(clock.now()));
  clock.advance(5s);
  CHECK(b.allow(clock.now()));
  CHECK(b.allow(clock.now()));
  CHECK_FALSE(b.allow(clock.now()));  // only two permitted
  b.record(outcome::success, 1ms, clock.now());
  b.record(outcome::failure, 1ms, clock.now());  // 50%: at threshold -> open
  CHECK(b.current(clock.now()) == state::open);
  clock.advance(5s);
  CHECK(b.allow(clock.now()));
  CHECK(b.allow(clock.now()));
  b.record(outcome::success, 1ms, clock.now());
  b.record(outcome::success, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::closed);
  CHECK(b.failure_rate(clock.now()) == 0.0);  // window cleared on close
  // The count window forgets old calls: 10 successes push out earlier failures.
  o.failure_rate_threshold = 0.9;
  breaker::sliding_window w(o);
  for (int i = 0; i < 4; ++i) w.record(outcome::failure, 1ms, clock.now());
  w.record(outcome::success, 1ms, clock.now());
  CHECK(w.failure_rate(clock.now()) == Approx(0.8));
  for (int i = 0; i < 10; ++i) w.record(outcome::success, 1ms, clock.now());
  CHECK(w.failure_rate(clock.now()) == 0.0);
  CHECK(w.current(clock.now()) == state::closed);
}

TEST_CASE("sliding_window: slow calls open the breaker", "[breaker][unit]") {
  testing::manual_clock clock;
  breaker::sliding_window_options o;
  o.window_size = 10;
  o.minimum_calls = 4;
  o.slow_call_duration = 2s;
  o.slow_call_rate_threshold = 0.75;
  breaker::sliding_window b(o);
  b.record(outcome::success, 3s, clock.now());
  b.record(outcome::success, 3s, clock.now());
  b.record(outcome::success, 1s, clock.now());
  b.record(outcome::success, 3s, clock.now());
  CHECK(b.current(clock.now()) == state::open);
}

TEST_CASE("sliding_window (time): old seconds leave the window", "[breaker][unit]") {
  testing::manual_clock clock;
  breaker::sliding_window_options o;
  o.kind = breaker::window_kind::time;
  o.window_size = 10;  // seconds
  o.minimum_calls = 3;
  o.failure_rate_threshold = 0.6;
  breaker::sliding_window b(o);
  b.record(outcome::failure, 1ms, clock.now());
  b.record(outcome::failure, 1ms, clock.now());
  clock.advance(11s);
  b.record(outcome::failure, 1ms, clock.now());
  b.record(outcome::success, 1ms, clock.now());
  b.record(outcome::success, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::closed);  // 1/3 in the window, not 3/5
  b.record(outcome::failure, 1ms, clock.now());
  b.record(outcome::failure, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::open);  // 3/5 = 0.6
}

TEMPLATE_TEST_CASE("breaker contract: no call is admitted while open", "[breaker][unit]",
                   breaker::consecutive_failures, breaker::sliding_window) {
  STATIC_REQUIRE(breaker::breaker_policy<TestType>);
  testing::manual_clock clock;
  TestType b;
  std::mt19937 rng(42);
  for (int i = 0; i < 5000; ++i) {
    state before = b.current(clock.now());
    bool allowed = b.allow(clock.now());
    if (before == state::open) REQUIRE_FALSE(allowed);
    if (allowed) {
      auto r = rng() % 10;
      b.record(r < 6   ? outcome::failure
               : r < 9 ? outcome::success
                       : outcome::ignored,
               1ms, clock.now());
    }
    clock.advance(std::chrono::milliseconds(rng() % 2000));
  }
}

TEST_CASE("multi_thread breakers survive concurrent use", "[breaker][unit]") {
  breaker::basic_sliding_window<sync::multi_thread> b;
  auto now = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i)
        if (b.allow(now)) b.record((i + t) % 2 ? outcome::failure : outcome::success, 1ms, now);
    });
  for (auto& t : ts) t.join();
  CHECK(b.current(now) == state::open);  // 50% failures over the default threshold
}

namespace {
struct seen_change {
  state from, to, current;
  friend bool operator==(const seen_change&, const seen_change&) = default;
};
}  // namespace

TEST_CASE("on_state_change may call back into a multi_thread breaker", "[breaker][unit]") {
  testing::manual_clock clock;
  std::vector<seen_change> seen;
  const std::vector<seen_change> expected{{state::closed, state::open, state::open},
                                          {state::open, state::half_open, state::half_open},
                                          {state::half_open, state::closed, state::closed}};
  SECTION("consecutive_failures") {
    breaker::basic_consecutive_failures<sync::multi_thread>* self = nullptr;
    breaker::consecutive_failures_options o;
    o.failure_threshold = 1;
    o.recovery_timeout = 10s;
    o.on_state_change = [&](state a, state b) {
      seen.push_back({a, b, self->current(clock.now())});
    };
    breaker::basic_consecutive_failures<sync::multi_thread> b(o);
    self = &b;
    REQUIRE(b.allow(clock.now()));
    b.record(outcome::failure, 1ms, clock.now());
    clock.advance(10s);
    REQUIRE(b.allow(clock.now()));
    b.record(outcome::success, 1ms, clock.now());
    CHECK(seen == expected);
  }
  SECTION("sliding_window") {
    breaker::basic_sliding_window<sync::multi_thread>* self = nullptr;
    breaker::sliding_window_options o;
    o.window_size = 2;
    o.minimum_calls = 1;
    o.permitted_calls_in_half_open = 1;
    o.wait_in_open = 10s;
    o.on_state_change = [&](state a, state b) {
      seen.push_back({a, b, self->current(clock.now())});
      (void)self->failure_rate(clock.now());
    };
    breaker::basic_sliding_window<sync::multi_thread> b(o);
    self = &b;
    REQUIRE(b.allow(clock.now()));
    b.record(outcome::failure, 1ms, clock.now());
    clock.advance(10s);
    REQUIRE(b.allow(clock.now()));
    b.record(outcome::success, 1ms, clock.now());
    CHECK(seen == expected);
  }
}

TEMPLATE_TEST_CASE("an ignored half-open probe gives its permit back", "[breaker][unit]",
                   breaker::basic_consecutive_failures<sync::multi_thread>,
                   breaker::basic_sliding_window<sync::multi_thread>, breaker::consecutive_failures,
                   breaker::sliding_window) {
  testing::manual_clock clock;
  auto make = [] {
    if constexpr (requires { typename TestType::time_point; } &&
                  std::is_constructible_v<TestType, breaker::sliding_window_options>) {
      breaker::sliding_window_options o;
      o.window_size = 2;
      o.minimum_calls = 1;
      o.permitted_calls_in_half_open = 1;
      o.wait_in_open = 10s;
      return TestType(o);
    } else {
      breaker::consecutive_failures_options o;
      o.failure_threshold = 1;
      o.recovery_timeout = 10s;
      return TestType(o);
    }
  };
  TestType b = make();
  REQUIRE(b.allow(clock.now()));
  b.record(outcome::failure, 1ms, clock.now());
  REQUIRE(b.current(clock.now()) == state::open);
  clock.advance(10s);
  REQUIRE(b.allow(clock.now()));  // the probe
  CHECK_FALSE(b.allow(clock.now()));
  b.record(outcome::ignored, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::half_open);
  CHECK(b.allow(clock.now()));  // a new probe
  CHECK_FALSE(b.allow(clock.now()));
  b.record(outcome::success, 1ms, clock.now());
  CHECK(b.current(clock.now()) == state::closed);
}

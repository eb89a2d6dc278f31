#include <gemini/retry/exponential.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/testing/manual_clock.hpp>

#include <catch2/catch.hpp>

#include <random>
#include <thread>

using namespace gemini;
using namespace std::chrono_literals;
using retry::action;

namespace {
gemini::error http_error(int status, const char* google) {
  gemini::error e(errc_from_http(status, google), "x");
  e.http_status = status;
  e.status = google;
  return e;
}
gemini::error quota_429(const char* quota_id, std::chrono::milliseconds delay) {
  gemini::error e = http_error(429, "RESOURCE_EXHAUSTED");
  e.quota.push_back({"generativelanguage.googleapis.com/x", quota_id, {}, "5"});
  e.code = errc_from_http(429, "RESOURCE_EXHAUSTED", e.per_day_quota());
  e.retry_delay = delay;
  return e;
}
}  // namespace

TEST_CASE("classification of every error", "[retry][unit]") {
  CHECK(retry::classify(http_error(500, "INTERNAL")) == action::retry);
  CHECK(retry::classify(http_error(503, "UNAVAILABLE")) == action::retry);
  CHECK(retry::classify(http_error(504, "DEADLINE_EXCEEDED")) == action::retry);
  CHECK(retry::classify(gemini::error(errc::transport)) == action::retry);
  CHECK(retry::classify(gemini::error(errc::truncated_stream)) == action::retry);
  CHECK(retry::classify(http_error(400, "INVALID_ARGUMENT")) == action::give_up);
  CHECK(retry::classify(http_error(403, "PERMISSION_DENIED")) == action::give_up);
  CHECK(retry::classify(http_error(404, "NOT_FOUND")) == action::give_up);
  CHECK(retry::classify(gemini::error(errc::content_blocked)) == action::give_up);
  CHECK(retry::classify(gemini::error(errc::cancelled)) == action::give_up);
  CHECK(retry::classify(gemini::error(errc::deadline_exceeded)) == action::give_up);
  CHECK(retry::classify(quota_429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 7s)) ==
        action::retry);
  CHECK(retry::classify(quota_429("GenerateRequestsPerDayPerProjectPerModel-FreeTier", 7s)) ==
        action::fail_over);
  CHECK(retry::classify(http_error(402, "RESOURCE_EXHAUSTED")) == action::fail_over);
}

TEST_CASE("backoff bounds for each jitter", "[retry][unit]") {
  testing::manual_clock clock;
  for (auto j : {retry::jitter::none, retry::jitter::full, retry::jitter::decorrelated}) {
    retry::exponential_options o;
    o.jitter = j;
    o.max_attempts = 8;
    o.initial = 100ms;
    o.max_delay = 2000ms;
    o.max_total_delay = 1h;
    o.budget_min_per_second = 1000;  // budget out of the way
    retry::exponential p(o);
    retry::retry_state st;
    auto err = http_error(503, "UNAVAILABLE");
    for (int a = 1; a < o.max_attempts; ++a) {
      st.attempts = a;
      auto d = p.on_failure(err, st, clock.now());
      REQUIRE(d.action == action::retry);
      double exp_cap = std::min(2000.0, 100.0 * std::pow(2.0, a - 1));
      INFO("jitter " << int(j) << " attempt " << a << " delay " << d.delay.count());
      CHECK(d.delay.count() >= 0);
      CHECK(d.delay <= o.max_delay);
      if (j == retry::jitter::none) CHECK(d.delay.count() == std::int64_t(exp_cap));
      if (j == retry::jitter::full) CHECK(d.delay.count() <= std::int64_t(exp_cap));
      if (j == retry::jitter::decorrelated) CHECK(d.delay >= o.initial);
    }
    st.attempts = o.max_attempts;
    CHECK(p.on_failure(err, st, clock.now()).action == action::give_up);
  }
}

TEST_CASE("RetryInfo is honoured: never earlier than the server asked", "[retry][unit]") {
  testing::manual_clock clock;
  retry::exponential_options o;
  o.initial = 10ms;
  retry::exponential p(o);
  retry::retry_state st;
  st.attempts = 1;
  auto d = p.on_failure(quota_429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 7s), st,
                        clock.now());
  REQUIRE(d.action == action::retry);
  CHECK(d.delay >= 7s);
}

TEST_CASE("never sleeps past the deadline or the total delay", "[retry][unit]") {
  testing::manual_clock clock;
  retry::exponential p;
  retry::retry_state st;
  st.attempts = 1;
  st.deadline = clock.now() + 3s;
  auto d = p.on_failure(quota_429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 7s), st,
                        clock.now());
  CHECK(d.action == action::give_up);
  CHECK(std::string(d.why) == "the deadline comes first");

  retry::exponential_options o;
  o.max_total_delay = 5s;
  retry::exponential q(o);
  retry::retry_state st2;
  st2.attempts = 1;
  st2.total_delay = 4s;
  auto d2 = q.on_failure(quota_429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", 2s), st2,
                         clock.now());
  CHECK(d2.action == action::give_up);
}

TEST_CASE("the retry budget stops a retry storm", "[retry][unit]") {
  testing::manual_clock clock;
  retry::exponential_options o;
  o.budget_ratio = 0.1;
  o.budget_min_per_second = 0.5;  // 5 retries per 10 s window for free
  o.budget_window = 10s;
  o.initial = 1ms;
  retry::exponential p(o);
  auto err = http_error(503, "UNAVAILABLE");
  int granted = 0;
  for (int i = 0; i < 100; ++i) {
    p.on_request(clock.now());
    retry::retry_state st;
    st.attempts = 1;
    if (p.on_failure(err, st, clock.now()).action == action::retry) ++granted;
  }
  CHECK(granted == 15);  // 0.1 * 100 requests + 0.5/s * 10 s
  clock.advance(11s);    // the window moved on
  p.on_request(clock.now());
  retry::retry_state st;
  st.attempts = 1;
  CHECK(p.on_failure(err, st, clock.now()).action == action::retry);
}

TEST_CASE("randomized failures never exceed the attempt limit", "[retry][unit]") {
  testing::manual_clock clock;
  std::mt19937 rng(7);
  retry::exponential_options o;
  o.max_attempts = 4;
  o.budget_min_per_second = 1e9;
  o.initial = 1ms;
  retry::exponential p(o);
  const gemini::error errors[] = {http_error(500, "INTERNAL"), http_error(400, "INVALID_ARGUMENT"),
                                  gemini::error(errc::transport), http_error(503, "UNAVAILABLE")};
  for (int call = 0; call < 500; ++call) {
    retry::retry_state st;
    int attempts = 0;
    for (;;) {
      ++attempts;
      st.attempts = attempts;
      bool ok = rng() % 3 == 0;
      if (ok) break;
      auto d = p.on_failure(errors[rng() % 4], st, clock.now());
      if (d.action != action::retry) break;
      clock.advance(d.delay);
    }
    REQUIRE(attempts <= o.max_attempts);
  }
}

TEST_CASE("multi_thread retry policy is safe across threads", "[retry][unit]") {
  retry::exponential_options o;
  o.budget_ratio = 0.5;
  o.budget_min_per_second = 0;
  retry::basic_exponential<sync::multi_thread> p(o);
  auto now = std::chrono::steady_clock::now();
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        p.on_request(now);
        retry::retry_state st;
        st.attempts = 1;
        if (p.on_failure(gemini::error(errc::unavailable), st, now).action == action::retry)
          ++granted;
      }
    });
  for (auto& t : threads) t.join();
  // Never more than half of the requests seen, whatever the interleaving.
  CHECK(granted.load() <= 2000);
  CHECK(granted.load() > 0);
}

TEST_CASE("exponential: huge retry delays give a sane decision", "[retry][unit]") {
  testing::manual_clock clock;
  auto throttled = [](std::chrono::milliseconds d) {
    gemini::error e = http_error(429, "RESOURCE_EXHAUSTED");
    e.retry_delay = d;
    return e;
  };
  SECTION("defaults: over the total delay") {
    retry::exponential p;
    retry::retry_state st;
    st.attempts = 1;
    auto d = p.on_failure(throttled(std::chrono::hours(24) * 1000), st, clock.now());
    CHECK(d.action == action::give_up);
  }
  SECTION("no total limit: the sum never wraps") {
    retry::exponential_options o;
    o.max_total_delay = std::chrono::milliseconds::max();
    o.jitter = retry::jitter::none;
    retry::exponential p(o);
    retry::retry_state st;
    st.attempts = 1;
    st.total_delay = std::chrono::milliseconds::max() - 1s;
    auto d = p.on_failure(throttled(std::chrono::hours(24) * 1000), st, clock.now());
    CHECK(d.action == action::give_up);
    CHECK(st.total_delay == std::chrono::milliseconds::max() - 1s);
  }
  SECTION("a delay past any time point meets the deadline") {
    retry::exponential_options o;
    o.max_total_delay = std::chrono::milliseconds::max();
    retry::exponential p(o);
    retry::retry_state st;
    st.attempts = 1;
    st.deadline = clock.now() + 1h;
    auto d = p.on_failure(throttled(std::chrono::milliseconds(315576000000000LL)), st, clock.now());
    CHECK(d.action == action::give_up);
    st.deadline = clock.now() + std::chrono::hours(24) * 1001;
    d = p.on_failure(throttled(std::chrono::hours(24) * 1000), st, clock.now());
    CHECK(d.action == action::retry);
    CHECK(d.delay == std::chrono::hours(24) * 1000);
  }
}

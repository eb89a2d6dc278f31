// Behavioural contracts: one TEMPLATE_LIST_TEST_CASE per concept, run over every shipped
// model (STYLE.md, "Concepts and policies"). The policies are driven directly with
// explicit time points: no client, no sleeping, no timing assertions.
//
// cache::tiered is left out: it lives in cache/redis.hpp, which needs the hiredis headers
// (the policy tests do not link gemini::redis), and its hooks are awaitables.
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/cache/memory.hpp>
#include <gemini/clock/concept.hpp>
#include <gemini/clock/steady.hpp>
#include <gemini/error.hpp>
#include <gemini/limit/keyed.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/sync/concept.hpp>
#include <gemini/sync/multi_thread.hpp>
#include <gemini/sync/single_thread.hpp>
#include <gemini/testing/manual_clock.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

using namespace gemini;
using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

namespace {

const time_point t0 = time_point{} + 1h;

// === cache: the sync_backend models

cache::response_ptr answer(std::string text) {
  wire::generate_content_response r;
  wire::candidate c;
  c.content = wire::content::model(std::move(text));
  c.finish_reason = wire::finish_reason("STOP");
  r.candidates.push_back(std::move(c));
  return std::make_shared<const cache::response>(std::move(r));
}

/// Keys that share their first 9 bytes: one hash value (bytes 0..7) and one shard (byte 8),
/// so only the full comparison tells them apart.
cache::key near_key(unsigned n) {
  cache::key k;
  k.bytes.fill(0xab);
  k.bytes[31] = static_cast<unsigned char>(n & 0xff);
  k.bytes[30] = static_cast<unsigned char>(n >> 8);
  return k;
}

std::string text_of(const cache::lookup_result& r) { return r ? r.value->text() : "<miss>"; }
std::string label(unsigned a, unsigned b) { return std::to_string(a) + ":" + std::to_string(b); }

}  // namespace

using cache_models =
    std::tuple<cache::memory<sync::single_thread>, cache::memory<sync::multi_thread>>;

TEMPLATE_LIST_TEST_CASE("contract cache: fresh until the TTL, stale only within stale_if_error",
                        "[policy][contract][cache]", cache_models) {
  STATIC_REQUIRE(declares_slot<TestType, slot::cache>);
  STATIC_REQUIRE(cache::cache_policy<TestType>);
  for (auto grace : {0s, 10s}) {
    CAPTURE(grace.count());
    cache::memory_options o;
    o.stale_if_error = grace;
    TestType c(o);
    const auto k = near_key(1);
    CHECK_FALSE(c.lookup(k, t0));
    c.store(k, answer("A"), 30s, t0);
    auto first = c.lookup(k, t0);
    CHECK((first && !first.stale && first.fresh_for == 30s));
    auto last = c.lookup(k, t0 + 30s - 1ns);
    CHECK((last && !last.stale && text_of(last) == "A"));
    CHECK((last.fresh_for > 0ms && last.fresh_for <= 1ms));

    auto at_ttl = c.lookup(k, t0 + 30s);  // expires at exactly now + ttl
    if (grace == 0s) {
      CHECK_FALSE(at_ttl);
    } else {
      CHECK((at_ttl && at_ttl.stale && text_of(at_ttl) == "A"));
      auto end = c.lookup(k, t0 + 30s + grace - 1ns);
      CHECK((end && end.stale));
      CHECK_FALSE(c.lookup(k, t0 + 30s + grace));
    }
  }
}

TEMPLATE_LIST_TEST_CASE("contract cache: distinct keys never collide", "[policy][contract][cache]",
                        cache_models) {
  TestType c;
  constexpr unsigned n = 300;  // in one hash bucket and one shard
  for (unsigned i = 0; i < n; ++i) c.store(near_key(i), answer("v" + std::to_string(i)), 1min, t0);
  int wrong = 0;
  for (unsigned i = 0; i < n; ++i)
    wrong += text_of(c.lookup(near_key(i), t0 + 1s)) != "v" + std::to_string(i);
  CHECK(wrong == 0);
  CHECK_FALSE(c.lookup(near_key(n), t0 + 1s));
  c.store(near_key(3), answer("replaced"), 1min, t0 + 2s);  // replaces key 3 only
  CHECK(text_of(c.lookup(near_key(3), t0 + 3s)) == "replaced");
  CHECK(text_of(c.lookup(near_key(4), t0 + 3s)) == "v4");
  CHECK(c.stats().entries == n);
}

TEMPLATE_LIST_TEST_CASE("contract cache: ttl 0 is never fresh; the byte budget is kept",
                        "[policy][contract][cache]", cache_models) {
  cache::memory_options o;
  SECTION("a store with ttl 0 is never returned fresh") {
    o.stale_if_error = 5s;
    TestType c(o);
    c.store(near_key(1), answer("A"), 0ms, t0);
    auto r = c.lookup(near_key(1), t0);
    CHECK((!r || r.stale));
  }
  SECTION("an answer larger than a shard's budget is not stored") {
    o.shards = 2;
    o.max_bytes = 2 * 1024;  // 1 KiB per shard
    TestType c(o);
    c.store(near_key(1), answer(std::string(2000, 'x')), 1min, t0);
    CHECK_FALSE(c.lookup(near_key(1), t0));
    CHECK((c.stats().rejected == 1 && c.stats().entries == 0));
  }
  SECTION("filling past the budget evicts the least recently used, never overshoots") {
    o.shards = 1;
    o.max_bytes = 4 * 1024;
    TestType c(o);
    int over = 0, newest_lost = 0;
    for (unsigned i = 0; i < 100; ++i) {
      c.store(near_key(i), answer(std::string(200, 'a')), 1min, t0);
      over += c.stats().bytes > o.max_bytes;
      newest_lost += !c.lookup(near_key(i), t0);
    }
    CHECK(over == 0);
    CHECK(newest_lost == 0);
    CHECK(c.stats().evictions > 0);
    CHECK_FALSE(c.lookup(near_key(0), t0));
  }
}

// === limit: token_bucket (both syncs) and keyed<> with the same options for every key

using limit_models =
    std::tuple<limit::token_bucket, limit::basic_token_bucket<sync::multi_thread>, limit::keyed<>>;

namespace {

template <class L>
L make_limiter(const limit::token_bucket_options& o) {
  if constexpr (requires { typename L::inner_options; }) {
    typename L::options_type ko;
    ko.defaults = o;
    return L(ko);
  } else {
    return L(o);
  }
}

limit::cost call_cost(std::int64_t tokens) {
  limit::cost c{tokens};
  c.model = "gemini-2.5-flash";
  c.tenant = "acme";
  return c;
}

/// A greedy caller: asks until refused, then asks again exactly at `grant.when`.
struct greedy_run {
  std::vector<time_point> admitted;
  int refused_at_when = 0;  ///< asked at the time it was told, and refused again
  int bad_when = 0;         ///< a refusal whose `when` is not in the future
};

template <class L>
greedy_run run_greedy(L& l, const limit::cost& c, time_point now, time_point to) {
  greedy_run r;
  for (bool at_when = false; now < to;) {
    auto g = l.try_acquire(c, now);
    r.refused_at_when += !g.granted && at_when;
    at_when = !g.granted;
    if (g.granted) {
      r.admitted.push_back(now);
      l.release(c, c.tokens, now);  // used what it reserved
    } else if (g.when > now && g.when != time_point::max()) {
      now = g.when;
    } else {
      ++r.bad_when;
      break;
    }
  }
  return r;
}

/// The most admissions in any window [t, t + w).
std::size_t max_in_window(const std::vector<time_point>& at, std::chrono::nanoseconds w) {
  std::size_t best = 0;
  for (std::size_t lo = 0, hi = 0; hi < at.size(); ++hi) {
    while (at[hi] - at[lo] >= w) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("contract limit: requests per minute, burst and refill",
                        "[policy][contract][limit]", limit_models) {
  STATIC_REQUIRE(limit::limit_policy<TestType>);
  for (double rpm : {30.0, 7.0}) {
    for (double burst : {1.0, 0.5}) {
      CAPTURE(rpm, burst);
      limit::token_bucket_options o;
      o.requests_per_minute = rpm;
      o.burst = burst;
      auto l = make_limiter<TestType>(o);
      auto r = run_greedy(l, call_cost(0), t0, t0 + 5min);
      const double capacity = rpm * burst;
      CHECK(r.bad_when == 0);
      CHECK(r.refused_at_when == 0);
      // A full bucket at once, then the refill rate: no window holds more.
      CHECK(std::count(r.admitted.begin(), r.admitted.end(), t0) == std::int64_t(capacity));
      CHECK(double(max_in_window(r.admitted, 60s)) <= capacity + rpm);
      CHECK(double(r.admitted.size()) <= capacity + 5 * rpm);
      CHECK(double(r.admitted.size()) >= capacity + 5 * rpm - 1);  // and nothing less
    }
  }
}

TEMPLATE_LIST_TEST_CASE("contract limit: tokens per minute", "[policy][contract][limit]",
                        limit_models) {
  limit::token_bucket_options o;
  o.tokens_per_minute = 1000;
  auto l = make_limiter<TestType>(o);
  const auto c = call_cost(100);
  auto r = run_greedy(l, c, t0, t0 + 3min);
  CHECK(r.bad_when == 0);
  CHECK(r.refused_at_when == 0);
  CHECK(std::count(r.admitted.begin(), r.admitted.end(), t0) == 10);
  CHECK(max_in_window(r.admitted, 60s) * 100 <= 1000 + 1000);
  CHECK(r.admitted.size() * 100 <= 1000 + 3 * 1000);
}

TEMPLATE_LIST_TEST_CASE("contract limit: max_concurrency holds until a release; pauses",
                        "[policy][contract][limit]", limit_models) {
  limit::token_bucket_options o;
  o.max_concurrency = 3;
  auto l = make_limiter<TestType>(o);
  const auto c = call_cost(10);
  for (int i = 0; i < 3; ++i) REQUIRE(l.try_acquire(c, t0).granted);
  auto g = l.try_acquire(c, t0);
  CHECK_FALSE(g.granted);
  CHECK(g.when == time_point::max());  // "when a running call releases its slot"
  CHECK_FALSE(l.try_acquire(c, t0 + 1h).granted);
  l.release(c, 10, t0 + 1h);
  CHECK(l.try_acquire(c, t0 + 1h).granted);
  CHECK_FALSE(l.try_acquire(c, t0 + 1h).granted);
  for (int i = 0; i < 3; ++i) l.release(c, 10, t0 + 1h);

  l.pause_until(t0 + 2h);  // a 429 with RetryInfo
  auto p = l.try_acquire(c, t0 + 1h);
  CHECK_FALSE(p.granted);
  CHECK(p.when >= t0 + 2h);
  CHECK(l.try_acquire(c, p.when).granted);
  CHECK((l.options().max_queue == 1024 && l.options().max_wait == 30s));
}

// Defect found by this file (fixed): a bucket that held less than one request
// (requests_per_minute * burst < 1, e.g. 0.5 a minute) never admitted anything, although every
// refusal named a time to ask again. Now the bucket holds at least one request.
TEMPLATE_LIST_TEST_CASE("contract limit: a bucket smaller than one request keeps its promise",
                        "[policy][contract][limit]", limit_models) {
  limit::token_bucket_options o;
  o.requests_per_minute = 0.5;
  auto l = make_limiter<TestType>(o);
  auto r = run_greedy(l, call_cost(0), t0, t0 + 10min);
  CHECK(r.refused_at_when == 0);
  CHECK_FALSE(r.admitted.empty());
}

// === breaker: each model with the failures that open it and its half-open probes

namespace {

constexpr auto recovery = 10s;

template <class Sync>
struct consecutive {
  using type = breaker::basic_consecutive_failures<Sync>;
  static constexpr int threshold = 3, probes = 1;
  static type make() {
    breaker::consecutive_failures_options o;
    o.failure_threshold = threshold;
    o.recovery_timeout = recovery;
    return type(o);
  }
};

template <class Sync, breaker::window_kind Kind>
struct windowed {
  using type = breaker::basic_sliding_window<Sync>;
  static constexpr int threshold = 4, probes = 2;  // every call failing: minimum_calls
  static type make() {
    breaker::sliding_window_options o;
    o.kind = Kind;
    o.window_size = Kind == breaker::window_kind::count ? 10 : 60;  // calls or seconds
    o.minimum_calls = threshold;
    o.failure_rate_threshold = 0.5;
    o.permitted_calls_in_half_open = probes;
    o.wait_in_open = recovery;
    return type(o);
  }
};

/// Failures one second apart until the breaker opens; returns the last failure's time.
template <class B>
time_point fail_until_open(B& b, int threshold, time_point now) {
  for (int i = 0; i < threshold; ++i, now += 1s) {
    if (!b.allow(now)) break;
    b.record(breaker::outcome::failure, 1ms, now);
  }
  return now - 1s;
}

}  // namespace

using breaker_models = std::tuple<consecutive<sync::single_thread>, consecutive<sync::multi_thread>,
                                  windowed<sync::single_thread, breaker::window_kind::count>,
                                  windowed<sync::multi_thread, breaker::window_kind::count>,
                                  windowed<sync::single_thread, breaker::window_kind::time>,
                                  windowed<sync::multi_thread, breaker::window_kind::time>>;

TEMPLATE_LIST_TEST_CASE("contract breaker: closed, open, half-open, closed, re-opened",
                        "[policy][contract][breaker]", breaker_models) {
  using breaker::outcome;
  using breaker::state;
  STATIC_REQUIRE(breaker::breaker_policy<typename TestType::type>);
  auto b = TestType::make();
  constexpr int n = TestType::threshold, probes = TestType::probes;

  time_point now = t0;
  for (int i = 0; i < 3 * n; ++i) b.record(outcome::ignored, 1ms, now);  // no judgement
  for (int i = 0; i + 1 < n; ++i, now += 1s) {
    REQUIRE(b.allow(now));
    b.record(outcome::failure, 1ms, now);
  }
  CHECK(b.current(now) == state::closed);  // one failure short of the threshold
  CHECK(b.allow(now));
  b.record(outcome::failure, 1ms, now);
  const time_point opened = now;
  CHECK(b.current(opened) == state::open);
  CHECK_FALSE(b.allow(opened));
  CHECK_FALSE(b.allow(opened + recovery - 1ms));
  CHECK(b.current(opened + recovery - 1ms) == state::open);

  now = opened + recovery;
  CHECK(b.current(now) == state::half_open);
  for (int i = 0; i < probes; ++i) CHECK(b.allow(now));
  CHECK_FALSE(b.allow(now));  // no more probes than permitted
  b.record(outcome::ignored, 1ms, now);
  CHECK(b.allow(now));  // an ignored probe gives its permit back
  for (int i = 0; i < probes; ++i) b.record(outcome::success, 1ms, now);
  CHECK(b.current(now) == state::closed);
  CHECK(b.allow(now));
  b.record(outcome::success, 1ms, now);

  const time_point reopened = fail_until_open(b, n, now + 1s);
  REQUIRE(b.current(reopened) == state::open);
  now = reopened + recovery;
  for (int i = 0; i < probes; ++i) REQUIRE(b.allow(now));
  for (int i = 0; i < probes; ++i) b.record(outcome::failure, 1ms, now);
  CHECK(b.current(now) == state::open);  // the probes failed
  CHECK_FALSE(b.allow(now));
  CHECK_FALSE(b.allow(now + recovery - 1ms));  // a new wait, from the failed probe
  CHECK(b.current(now + recovery) == state::half_open);
}

// === retry: exponential (both syncs), every jitter, a fixed seed

using retry_models = std::tuple<retry::exponential, retry::basic_exponential<sync::multi_thread>>;

namespace {

constexpr retry::jitter jitters[] = {retry::jitter::none, retry::jitter::full,
                                     retry::jitter::decorrelated};

struct call_log {
  int attempts = 1;
  std::vector<std::chrono::milliseconds> delays;
  std::chrono::milliseconds total{0};
  retry::action last = retry::action::retry;
};

/// The host's loop for a call whose every attempt fails with `e`.
template <class R>
call_log fail_every_attempt(R& p, const gemini::error& e, time_point& now) {
  call_log log;
  p.on_request(now);
  retry::retry_state st;
  st.attempts = 1;
  auto d = p.on_failure(e, st, now);
  for (; d.action == retry::action::retry; d = p.on_failure(e, st, now)) {
    log.delays.push_back(d.delay);
    log.total += d.delay;
    now += d.delay;
    log.attempts = ++st.attempts;
  }
  log.last = d.action;
  return log;
}

retry::exponential_options retry_options(retry::jitter j) {
  retry::exponential_options o;
  o.jitter = j;
  o.initial = 200ms;
  o.max_delay = 2s;
  o.max_total_delay = 1h;
  o.budget_min_per_second = 1000;  // the budget out of the way
  return o;
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("contract retry: attempts, delays and their sum are bounded",
                        "[policy][contract][retry]", retry_models) {
  STATIC_REQUIRE(retry::retry_policy<TestType>);
  const gemini::error unavailable(errc::unavailable, "503");
  for (auto j : jitters) {
    CAPTURE(static_cast<int>(j));
    for (int max : {1, 3, 8}) {
      auto o = retry_options(j);
      o.max_attempts = max;
      TestType p(o);
      time_point now = t0;
      int too_many = 0, too_long = 0;
      for (int call = 0; call < 20; ++call) {
        auto log = fail_every_attempt(p, unavailable, now);
        too_many += log.attempts != max;  // exactly max: nothing else stops it here
        for (auto d : log.delays) too_long += d < 0ms || d > o.max_delay;
      }
      CHECK(too_many == 0);
      CHECK(too_long == 0);
    }
    auto o = retry_options(j);
    o.max_attempts = 100;
    o.max_total_delay = 5s;
    TestType p(o);
    time_point now = t0;
    int over = 0;
    for (int call = 0; call < 20; ++call)
      over += fail_every_attempt(p, unavailable, now).total > 5s;
    CHECK(over == 0);
  }
}

TEMPLATE_LIST_TEST_CASE("contract retry: client errors are not retried; per-day quotas fail over",
                        "[policy][contract][retry]", retry_models) {
  TestType p(retry_options(retry::jitter::full));
  time_point now = t0;
  for (auto code : {errc::invalid_argument, errc::permission_denied, errc::not_found,
                    errc::content_blocked, errc::cancelled, errc::deadline_exceeded}) {
    CAPTURE(static_cast<int>(code));
    auto log = fail_every_attempt(p, gemini::error(code, "x"), now);
    CHECK((log.attempts == 1 && log.last == retry::action::give_up));
  }
  auto log = fail_every_attempt(p, gemini::error(errc::quota_exhausted, "402"), now);
  CHECK((log.attempts == 1 && log.last == retry::action::fail_over));
}

TEMPLATE_LIST_TEST_CASE("contract retry: RetryInfo is honoured, the deadline kept",
                        "[policy][contract][retry]", retry_models) {
  gemini::error throttled(errc::rate_limited, "429");
  throttled.retry_delay = 7s;  // above max_delay (2 s): still honoured
  for (auto j : jitters) {
    CAPTURE(static_cast<int>(j));
    auto o = retry_options(j);
    TestType p(o);
    time_point now = t0;
    auto log = fail_every_attempt(p, throttled, now);
    CHECK(log.attempts == o.max_attempts);
    CHECK(std::all_of(log.delays.begin(), log.delays.end(), [](auto d) { return d >= 7s; }));

    o.max_total_delay = 5s;  // RetryInfo beyond what the call may wait: give up
    TestType short_wait(o);
    CHECK(fail_every_attempt(short_wait, throttled, now).attempts == 1);

    retry::retry_state st;
    st.attempts = 1;
    st.deadline = now + 3s;  // the back-off would end after the deadline
    CHECK(p.on_failure(throttled, st, now).action == retry::action::give_up);
  }
}

// === clock

using clock_models = std::tuple<clock::steady, testing::manual_clock>;

TEMPLATE_LIST_TEST_CASE("contract clock: now() never goes backwards", "[policy][contract][clock]",
                        clock_models) {
  STATIC_REQUIRE(clock::clock_policy<TestType>);
  TestType c;
  const TestType& reader = c;  // now() is const
  auto prev = reader.now();
  int backwards = 0;
  for (int i = 0; i < 10000; ++i) {
    if constexpr (requires(TestType & x) { x.advance(1ns); })
      c.advance(std::chrono::nanoseconds(i % 3));
    auto t = reader.now();
    backwards += t < prev;
    prev = t;
  }
  CHECK(backwards == 0);
}

TEST_CASE("contract clock: manual_clock moves only when told; copies share its time",
          "[policy][contract][clock]") {
  testing::manual_clock c;
  const auto start = c.now();
  CHECK(start == time_point{} + 1h);
  CHECK(c.now() == start);
  c.advance(250ms);
  CHECK(c.now() == start + 250ms);
  testing::manual_clock copy = c;
  copy.advance(1s);
  CHECK(c.now() == start + 1250ms);
  c.set(t0 + 1min);
  CHECK(copy.now() == t0 + 1min);
  testing::manual_clock other;  // a new clock has its own time line
  CHECK(other.now() == start);
}

// === sync

using sync_models = std::tuple<sync::single_thread, sync::multi_thread>;

TEMPLATE_LIST_TEST_CASE("contract sync: the mutex locks, unlocks and try_locks",
                        "[policy][contract][sync]", sync_models) {
  STATIC_REQUIRE(sync::sync_policy<TestType>);
  using M = typename TestType::mutex;
  M m;
  m.lock();
  bool other_got_it = false;
  std::thread([&] {
    other_got_it = m.try_lock();
    if (other_got_it) m.unlock();
  }).join();
  CHECK(other_got_it == !TestType::thread_safe);  // only a real lock excludes
  m.unlock();
  REQUIRE(m.try_lock());
  m.unlock();
  { std::lock_guard guard(m); }                                              // a BasicLockable
  if constexpr (!TestType::thread_safe) STATIC_REQUIRE(std::is_empty_v<M>);  // compiles away
}

using shared_limiters =
    std::tuple<limit::basic_token_bucket<sync::multi_thread>,
               limit::keyed<limit::basic_token_bucket<sync::multi_thread>, sync::multi_thread>>;

TEMPLATE_LIST_TEST_CASE("contract sync: multi_thread state stays consistent under 4 threads",
                        "[policy][contract][sync]", shared_limiters) {
  constexpr unsigned threads = 4, per_thread = 500;
  cache::memory<sync::multi_thread> cache;
  limit::token_bucket_options o;
  o.requests_per_minute = 1000;
  o.max_concurrency = 3;
  auto limiter = make_limiter<TestType>(o);

  std::atomic<int> admitted{0}, in_flight{0}, over_cap{0}, wrong{0}, found_other{0};
  auto work = [&](unsigned me) {
    const auto c = call_cost(10);
    for (;;) {  // one fixed time point: exactly the bucket's capacity is admitted
      auto g = limiter.try_acquire(c, t0);
      if (!g.granted && g.when != time_point::max()) break;  // out of requests
      if (!g.granted) {
        std::this_thread::yield();  // at the concurrency cap: wait for a release
        continue;
      }
      over_cap += ++in_flight > 3;
      ++admitted;
      --in_flight;
      limiter.release(c, 10, t0);
    }
    for (unsigned i = 0; i < per_thread; ++i) {
      auto k = near_key(me * per_thread + i);
      k.bytes[8] = static_cast<unsigned char>(i);  // spread over the shards
      cache.store(k, answer(label(me, i)), 1min, t0);
      wrong += text_of(cache.lookup(k, t0)) != label(me, i);
      const unsigned next = (me + 1) % threads;  // another thread's key: absent or right
      auto theirs = near_key(next * per_thread + i);
      theirs.bytes[8] = static_cast<unsigned char>(i);
      auto r = cache.lookup(theirs, t0);
      found_other += bool(r);
      wrong += r && text_of(r) != label(next, i);
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& t : pool) t.join();

  CHECK(admitted.load() == 1000);
  CHECK(over_cap.load() == 0);
  int slots = 0;  // nothing was left in flight: all three slots are free
  for (int i = 0; i < 4; ++i) slots += limiter.try_acquire(call_cost(10), t0 + 1min).granted;
  CHECK(slots == 3);
  auto s = cache.stats();
  CHECK(wrong.load() == 0);
  CHECK(s.stores == threads * per_thread);
  CHECK(s.entries == threads * per_thread);
  CHECK(s.hits == threads * per_thread + unsigned(found_other.load()));
  CHECK(s.hits + s.misses == 2 * threads * per_thread);
}

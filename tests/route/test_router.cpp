// The router alone: capability and context-window filtering, breakers and limits per
// endpoint, the reasons given when nothing is left, and every strategy's choices.
#include <gemini/route/router.hpp>

#include <catch2/catch.hpp>

#include <map>

using namespace gemini;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::steady_clock::time_point{} + 1h;

route::endpoint ep(std::string name, double weight = 1) {
  route::endpoint e;
  e.name = std::move(name);
  e.model = e.name + "-model";
  e.weight = weight;
  return e;
}

template <class S>
route::router<S> make(std::vector<route::endpoint> eps, S s = {}) {
  typename route::router<S>::options_type o;
  o.endpoints = std::move(eps);
  return route::router<S>(std::move(o), s);
}

const std::vector<std::string> none_failed(8);

std::size_t pick(auto& r, const route::request_traits& t = {}) {
  auto c = r.choose(t, none_failed, t0);
  REQUIRE(c.index);
  return *c.index;
}

void done(auto& r, std::size_t i, std::chrono::milliseconds took = 10ms) {
  r.finished(i, nullptr, took, t0, 10, 10);
}

const gemini::error unavailable(errc::unavailable, "503");

}  // namespace

TEST_CASE("ordered_fallback: first healthy endpoint, then the next", "[route]") {
  auto r = make<route::ordered_fallback>({ep("a"), ep("b"), ep("c")});
  CHECK(pick(r) == 0);
  done(r, 0);
  std::vector<std::string> failed(3);
  failed[0] = "failed: 503";
  CHECK(r.choose({}, failed, t0).index == 1u);
  done(r, 1);
  failed[1] = "failed: timeout";
  failed[2] = "failed: reset";
  auto none = r.choose({}, failed, t0);
  CHECK_FALSE(none.index);
  CHECK(none.why_none == "a: failed: 503; b: failed: timeout; c: failed: reset");
}

TEST_CASE("capabilities and the context window filter endpoints", "[route]") {
  auto small = ep("small");
  small.caps.context_window = 32768;
  small.caps.multimodal = false;
  small.caps.tools = false;
  auto big = ep("big");
  auto r = make<route::ordered_fallback>({small, big});
  CHECK(pick(r) == 0);
  done(r, 0);
  route::request_traits long_prompt;
  long_prompt.prompt_tokens = 50000;
  CHECK(pick(r, long_prompt) == 1);
  done(r, 1);
  route::request_traits image;
  image.multimodal = true;
  CHECK(pick(r, image) == 1);
  done(r, 1);
  route::request_traits tools;
  tools.tools = true;
  CHECK(pick(r, tools) == 1);
  done(r, 1);

  auto only_small = make<route::ordered_fallback>({small});
  auto c = only_small.choose(long_prompt, none_failed, t0);
  CHECK_FALSE(c.index);
  CHECK(c.why_none == "small: context window 32768 < 50000 tokens");
}

TEST_CASE("an endpoint whose breaker is open is skipped", "[route]") {
  route::router<route::ordered_fallback>::options_type o;
  o.endpoints = {ep("a"), ep("b")};
  o.make_breaker = [](const route::endpoint&) {
    breaker::consecutive_failures_options bo;
    bo.failure_threshold = 2;
    bo.recovery_timeout = 30s;
    return breaker::consecutive_failures(bo);
  };
  route::router<route::ordered_fallback> r(o);
  for (int i = 0; i < 2; ++i) {
    REQUIRE(pick(r) == 0);
    r.finished(0, &unavailable, 10ms, t0, 10, 0);
  }
  CHECK(r.breaker_of(0).current(t0) == breaker::state::open);
  CHECK(pick(r) == 1);
  done(r, 1);
  CHECK(r.load(0).failures == 2);
  // After the recovery timeout the first endpoint gets its probe again.
  CHECK(*r.choose({}, none_failed, t0 + 31s).index == 0);
}

TEST_CASE("an endpoint at its own rate limit is skipped", "[route]") {
  auto limited = ep("limited");
  limit::token_bucket_options lo;
  lo.requests_per_minute = 1;
  limited.limits = lo;
  auto r = make<route::ordered_fallback>({limited, ep("spare")});
  CHECK(pick(r) == 0);
  done(r, 0);
  CHECK(pick(r) == 1);
  done(r, 1);
  auto only = make<route::ordered_fallback>({limited});
  REQUIRE(pick(only) == 0);
  done(only, 0);
  auto c = only.choose({}, none_failed, t0);
  CHECK_FALSE(c.index);
  CHECK(c.why_none == "limited: rate limit reached");
}

TEST_CASE("single: one endpoint, no failover", "[route]") {
  auto r = make<route::single>({ep("a"), ep("b")});
  CHECK(pick(r) == 0);
  done(r, 0);
  std::vector<std::string> failed{"failed: 503", ""};
  auto c = r.choose({}, failed, t0);
  CHECK_FALSE(c.index);
  CHECK(c.why_none == "a: failed: 503");
}

TEST_CASE("weighted: smooth weighted round robin gives exact shares", "[route]") {
  auto r = make<route::weighted>({ep("a", 5), ep("b", 1), ep("c", 1)});
  std::map<std::size_t, int> n;
  std::string first7;
  for (int i = 0; i < 700; ++i) {
    auto k = pick(r);
    done(r, k);
    ++n[k];
    if (i < 7) first7 += static_cast<char>('a' + k);
  }
  CHECK(n[0] == 500);
  CHECK(n[1] == 100);
  CHECK(n[2] == 100);
  CHECK(first7 == "aabacaa");  // nginx's smooth sequence: the small ones are spread out
}

TEST_CASE("least_loaded: the endpoint with fewest calls in flight", "[route]") {
  auto r = make<route::least_loaded>({ep("a"), ep("b"), ep("c")});
  CHECK(pick(r) == 0);  // nothing finishes: in flight 1, 0, 0
  CHECK(pick(r) == 1);
  CHECK(pick(r) == 2);
  done(r, 1);
  CHECK(pick(r) == 1);
  CHECK(r.load(0).in_flight == 1);
}

TEST_CASE("latency: peak EWMA moves traffic away from a slow endpoint", "[route]") {
  auto r = make<route::latency>({ep("slow"), ep("fast")});
  // Unmeasured endpoints are tried first, so both get a sample.
  auto a = pick(r);
  done(r, a, a == 0 ? 400ms : 20ms);
  auto b = pick(r);
  CHECK(b != a);
  done(r, b, b == 0 ? 400ms : 20ms);
  int fast = 0;
  for (int i = 0; i < 20; ++i) {
    auto k = pick(r);
    done(r, k, k == 0 ? 400ms : 20ms);
    fast += k == 1;
  }
  CHECK(fast == 20);
  CHECK(r.load(0).latency_ms == Approx(400));
  // A spike is taken at once (peak), so the fast one loses its lead immediately.
  done(r, pick(r), 2000ms);
  CHECK(r.load(1).latency_ms == Approx(2000));
  CHECK(pick(r) == 0);
}

TEST_CASE("power_of_two: two seeded random choices, the less loaded wins", "[route]") {
  auto r = make<route::power_of_two>({ep("a"), ep("b"), ep("c"), ep("d")});
  std::map<std::size_t, int> n;
  for (int i = 0; i < 4000; ++i) {
    auto k = pick(r);
    done(r, k);
    ++n[k];
  }
  for (auto [k, count] : n) CHECK(std::abs(count - 1000) < 150);  // uniform when idle
  // A loaded endpoint is avoided whenever it is drawn against an idle one.
  for (int i = 0; i < 5; ++i) (void)r.choose({}, none_failed, t0);  // in flight, never done
  auto loaded = std::max_element(n.begin(), n.end(), [&](auto& x, auto& y) {
                  return r.load(x.first).in_flight < r.load(y.first).in_flight;
                })->first;
  int hit_loaded = 0;
  for (int i = 0; i < 100; ++i) {
    auto k = pick(r);
    hit_loaded += k == loaded;
    done(r, k);
  }
  CHECK(hit_loaded < 25);
}

TEST_CASE("scored: price, latency and load with weights", "[route]") {
  auto cheap = ep("cheap");
  cheap.price = {0.1, 0.4, 0.025};
  auto pricey = ep("pricey");
  pricey.price = {1.25, 10, 0.31};
  route::scored by_cost{1, 0, 0};
  auto r = make<route::scored>({pricey, cheap}, by_cost);
  CHECK(pick(r) == 1);
  done(r, 1, 900ms);
  done(r, pick(r), 900ms);
  // Weighted on latency, the cheap but slow endpoint loses once the other is measured.
  r.strategy() = route::scored{0.1, 1, 0};
  r.finished(0, nullptr, 50ms, t0, 10, 10);  // pricey measured fast
  CHECK(pick(r) == 0);
}

TEST_CASE("a throttled endpoint pauses for the server's delay, huge ones saturated", "[route]") {
  auto limited = ep("limited");
  limit::token_bucket_options lo;
  lo.requests_per_minute = 6000;
  limited.limits = lo;
  gemini::error throttled(errc::rate_limited, "429");
  throttled.http_status = 429;

  auto r = make<route::ordered_fallback>({limited});
  REQUIRE(pick(r) == 0);
  throttled.retry_delay = 7s;
  r.finished(0, &throttled, 10ms, t0, 10, 10);
  CHECK_FALSE(r.choose({}, none_failed, t0 + 6s).index);
  CHECK(r.choose({}, none_failed, t0 + 7s).index == 0u);

  auto h = make<route::ordered_fallback>({limited});
  REQUIRE(pick(h) == 0);
  throttled.retry_delay = std::chrono::milliseconds(315576000000000LL);  // ~10^4 years
  h.finished(0, &throttled, 10ms, t0, 10, 10);
  auto c = h.choose({}, none_failed, t0 + 1h);
  CHECK_FALSE(c.index);
  CHECK(c.why_none == "limited: rate limit reached");
  CHECK_FALSE(h.choose({}, none_failed, t0 + std::chrono::hours(24) * 365 * 100).index);
}

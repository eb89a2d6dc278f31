// The pipeline order of DESIGN.md §3, end to end: a recording policy in every slot writes
// what it is asked, in order, to one log.
#include <gemini/budget/concept.hpp>
#include <gemini/cache/concept.hpp>
#include <gemini/client.hpp>
#include <gemini/guard/concept.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/observe/concept.hpp>
#include <gemini/retry/concept.hpp>
#include <gemini/route/router.hpp>
#include <gemini/testing/manual_clock.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using namespace std::chrono_literals;

namespace {

std::vector<std::string>* log_ = nullptr;
void note(std::string s) {
  if (log_) log_->push_back(std::move(s));
}

struct recording_guard {
  using slot = gemini::slot::guard;
  struct state {
    int calls = 0;
  };
  std::string refuse_word;  // a prompt containing it is refused
  std::optional<gemini::error> inspect(wire::generate_content_request& req, state& st,
                                       const guard::call_info&) {
    note("guard.inspect");
    ++st.calls;
    auto& text = *req.contents.front().parts.front().text;
    if (!refuse_word.empty() && text.find(refuse_word) != std::string::npos)
      return gemini::error(errc::rejected_by_guard, "rule: refused word");
    if (auto at = text.find("secret"); at != std::string::npos) text.replace(at, 6, "[MASK]");
    return std::nullopt;
  }
  void filter(wire::generate_content_response& r, state& st, const guard::call_info&) {
    note("guard.filter");
    if (st.calls != 1) note("guard: state lost");
    auto& t = *r.candidates.front().content->parts.front().text;
    if (auto at = t.find("[MASK]"); at != std::string::npos) t.replace(at, 6, "secret");
  }
  void filter_chunk(wire::generate_content_response&, state&, const guard::call_info&) {
    note("guard.chunk");
  }
};

struct recording_budget {
  using slot = gemini::slot::budget;
  struct reservation {
    std::int64_t tokens = 0;
  };
  std::int64_t left = 1'000'000;
  std::int64_t settled = 0;
  result<reservation> reserve(const budget::request& q, std::chrono::steady_clock::time_point) {
    note("budget.reserve");
    auto worst = q.input_tokens + q.max_output_tokens;
    if (worst > left) return gemini::error(errc::budget_exceeded, "tenant over budget");
    left -= worst;
    return reservation{worst};
  }
  void settle(reservation& r, const budget::actual& a, std::chrono::steady_clock::time_point) {
    note(a.from_cache ? "budget.settle(cache)" : "budget.settle");
    auto used = a.usage ? a.usage->total_token_count : 0;
    left += r.tokens - used;
    settled += used;
  }
  void release(reservation& r, std::chrono::steady_clock::time_point) {
    note("budget.release");
    left += r.tokens;
  }
};

struct recording_observer {
  using slot = gemini::slot::observe;
  void record(const observe::event& e) { note(std::string("observe.") + to_string(e.kind)); }
};

struct recording_cache {
  using slot = gemini::slot::cache;
  cache::behaviour b;
  std::unordered_map<cache::key, cache::response_ptr, cache::key_hash> m;
  const cache::behaviour& behaviour() const { return b; }
  cache::lookup_result lookup(const cache::key& k, cache::time_point) {
    note("cache.lookup");
    cache::lookup_result r;
    if (auto it = m.find(k); it != m.end()) r.value = it->second;
    return r;
  }
  void store(const cache::key& k, cache::response_ptr v, std::chrono::milliseconds,
             cache::time_point) {
    note("cache.store");
    m[k] = std::move(v);
  }
};

struct recording_breaker {
  using slot = gemini::slot::breaker;
  bool allow(std::chrono::steady_clock::time_point) {
    note("breaker.allow");
    return true;
  }
  void record(breaker::outcome o, std::chrono::steady_clock::duration,
              std::chrono::steady_clock::time_point) {
    note(o == breaker::outcome::success   ? "breaker.success"
         : o == breaker::outcome::failure ? "breaker.failure"
                                          : "breaker.ignored");
  }
  breaker::state current(std::chrono::steady_clock::time_point) const {
    return breaker::state::closed;
  }
};

struct recording_limit : limit::token_bucket {
  limit::grant try_acquire(const limit::cost& c, std::chrono::steady_clock::time_point now) {
    note("limit.acquire");
    return limit::token_bucket::try_acquire(c, now);
  }
  void release(const limit::cost& c, std::int64_t actual,
               std::chrono::steady_clock::time_point now) {
    note("limit.release");
    limit::token_bucket::release(c, actual, now);
  }
};

struct recording_retry {
  using slot = gemini::slot::retry;
  int failures = 0;
  void on_request(std::chrono::steady_clock::time_point) { note("retry.on_request"); }
  retry::decision on_failure(const gemini::error&, retry::retry_state&,
                             std::chrono::steady_clock::time_point) {
    note("retry.on_failure");
    if (++failures >= 3) return {};
    return {retry::action::retry, 1s, "again"};
  }
};

/// The router, with its two hooks written to the log.
struct recording_router {
  using slot = gemini::slot::route;
  using inner = route::router<route::ordered_fallback>;
  inner r;
  std::size_t size() const { return r.size(); }
  const route::endpoint& at(std::size_t i) const { return r.at(i); }
  const inner::options_type& options() const { return r.options(); }
  route::choice choose(const route::request_traits& t, std::span<const std::string> failed,
                       std::chrono::steady_clock::time_point now) {
    auto c = r.choose(t, failed, now);
    note(c.index ? "route.choose(" + r.at(*c.index).name + ")" : "route.choose(none)");
    return c;
  }
  void finished(std::size_t i, const gemini::error* e, std::chrono::steady_clock::duration took,
                std::chrono::steady_clock::time_point now, std::int64_t reserved,
                std::int64_t used) {
    note("route.finished(" + r.at(i).name + ")");
    r.finished(i, e, took, now, reserved, used);
  }
};

struct everything : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using cache = recording_cache;
  using limit = recording_limit;
  using breaker = recording_breaker;
  using retry = recording_retry;
  using route = recording_router;
  using budget = recording_budget;
  using guard = recording_guard;
  using observe = recording_observer;
  using clock = gemini::testing::manual_clock;
};

std::string answer(const std::string& text) {
  return R"({"candidates":[{"content":{"parts":[{"text":")" + text +
         R"("}],"role":"model"},"finishReason":"STOP"}],)"
         R"("usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3}})";
}

client_options opts() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://unused.example/v1beta";
  o.timeout = 1h;
  return o;
}

route::endpoint host(std::string name) {
  route::endpoint e;
  e.name = name;
  e.base_url = "http://" + name + ".example/v1beta";
  e.model = "m-" + name;
  return e;
}

struct fixture {
  asio::io_context ioc;
  std::vector<std::string> log;
  basic_client<everything> c{ioc.get_executor(), opts()};
  fixture() {
    log_ = &log;
    route::router<route::ordered_fallback>::options_type ro;
    ro.endpoints = {host("a"), host("b")};
    c.router().r.reconfigure(ro);
  }
  ~fixture() { log_ = nullptr; }
  void reply(std::map<std::string, transport::scripted_reply> per_host) {
    c.transport().set_responder([per_host](const transport::http_request& h) {
      note("transport(" + h.origin.host.substr(0, 1) + ")");
      return per_host.at(h.origin.host.substr(0, 1));
    });
  }
};

wire::generate_content_request ask(std::string text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

}  // namespace

TEST_CASE("pipeline order: every slot in the order of DESIGN.md §3", "[pipeline][order]") {
  fixture f;
  f.reply({{"a",
            transport::scripted_reply::ok(R"({"error":{"code":503,"status":"UNAVAILABLE"}})", 503)},
           {"b", transport::scripted_reply::ok(answer("the [MASK] is safe"))}});
  auto r = run(f.ioc, f.c.generate(ask("keep the secret")));
  REQUIRE(r);
  CHECK(r->text() == "the secret is safe");  // the guard restored what it masked
  CHECK(f.c.transport().requests().at(0).body.find("secret") == std::string::npos);
  const std::vector<std::string> miss = {
      "guard.inspect",         "retry.on_request",      "observe.call_start",
      "budget.reserve",        "cache.lookup",          "observe.cache_miss",
      "breaker.allow",         "limit.acquire",         "route.choose(a)",
      "observe.attempt_start", "transport(a)",          "breaker.failure",
      "limit.release",         "route.finished(a)",     "observe.attempt_end",
      "observe.failover",      "breaker.allow",         "limit.acquire",
      "route.choose(b)",       "observe.attempt_start", "transport(b)",
      "breaker.success",       "limit.release",         "route.finished(b)",
      "observe.attempt_end",   "cache.store",           "observe.cache_store",
      "guard.filter",          "observe.call_end",      "budget.settle"};
  CHECK(f.log == miss);

  f.log.clear();
  auto hit = run(f.ioc, f.c.generate(ask("keep the secret")));
  REQUIRE(hit);
  CHECK(hit->text() == "the secret is safe");
  CHECK(hit->delivery.from == wire::source::cache);
  const std::vector<std::string> from_cache = {
      "guard.inspect",  "retry.on_request", "observe.call_start",
      "budget.reserve", "cache.lookup",     "observe.cache_hit",
      "guard.filter",   "observe.call_end", "budget.settle(cache)"};
  CHECK(f.log == from_cache);
  CHECK(f.c.budget().left == 1'000'000 - 3);  // only the network answer's 3 tokens spent
  CHECK(f.c.budget().settled == 3);
}

TEST_CASE("pipeline order: a refusal stops the pipeline where it happens", "[pipeline][order]") {
  fixture f;
  SECTION("the guard refuses: nothing else is asked") {
    f.c.guard().refuse_word = "forbidden";
    auto r = run(f.ioc, f.c.generate(ask("a forbidden prompt")));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::rejected_by_guard);
    CHECK(r.error().message.find("forbidden prompt") == std::string::npos);  // never the text
    CHECK(f.log == std::vector<std::string>{"guard.inspect", "observe.guard_rejected"});
  }
  SECTION("the budget refuses: no cache, no attempt") {
    f.c.budget().left = 10;
    auto r = run(f.ioc, f.c.generate(ask("hello")));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::budget_exceeded);
    CHECK(f.log == std::vector<std::string>{"guard.inspect", "retry.on_request",
                                            "observe.call_start", "budget.reserve",
                                            "observe.budget_rejected"});
  }
  SECTION("every endpoint fails: the retry policy starts a new round, the budget is released") {
    f.reply(
        {{"a", transport::scripted_reply::ok(R"({"error":{"code":500,"status":"INTERNAL"}})", 500)},
         {"b",
          transport::scripted_reply::ok(R"({"error":{"code":500,"status":"INTERNAL"}})", 500)}});
    auto r = run(f.ioc, f.c.generate(ask("hello")));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::internal);
    auto count = [&](const std::string& s) { return std::count(f.log.begin(), f.log.end(), s); };
    CHECK(count("retry.on_failure") == 3);  // after rounds 1, 2 and 3 (the policy gives up)
    CHECK(count("transport(a)") == 3);
    CHECK(count("transport(b)") == 3);
    CHECK(count("observe.retry") == 2);
    CHECK(count("limit.acquire") == count("limit.release"));  // every grant given back
    CHECK(f.log.back() == "budget.release");
    CHECK(f.c.budget().left == 1'000'000);
    CHECK(f.c.limiter().in_flight() == 0);
  }
}

TEST_CASE("pipeline order: a stream's chunks pass the guard before the caller",
          "[pipeline][order]") {
  fixture f;
  transport::scripted_reply s;
  s.chunks = {
      "data: " +
          std::string(R"({"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"}}]})") +
          "\n\n",
      "data: " + answer("!") + "\n\n"};
  f.reply({{"a", s}});
  auto r = run(f.ioc, f.c.stream(ask("hello"),
                                 [](const wire::generate_content_response&) { note("on_chunk"); }));
  REQUIRE(r);
  CHECK(r->text() == "hi!");
  const std::vector<std::string> expected = {
      "guard.inspect",       "retry.on_request", "observe.call_start", "budget.reserve",
      "breaker.allow",       "limit.acquire",    "route.choose(a)",    "observe.attempt_start",
      "transport(a)",
      "observe.first_chunk",  // time to first chunk
      "guard.chunk",         "on_chunk",         "guard.chunk",        "on_chunk",
      "breaker.success",     "limit.release",    "route.finished(a)",  "observe.attempt_end",
      "guard.filter",        "observe.call_end", "budget.settle"};
  CHECK(f.log == expected);
}

TEST_CASE("stages: an unused slot costs no space", "[pipeline][unit]") {
  struct scripted_only : policies::defaults {
    using transport = gemini::transport::scripted_transport;
  };
  struct with_observer : scripted_only {
    using observe = recording_observer;
  };
  STATIC_REQUIRE(sizeof(basic_client<scripted_only>) == sizeof(basic_client<with_observer>));
  STATIC_REQUIRE(observe::observe_policy<recording_observer>);
  STATIC_REQUIRE(guard::guard_policy<recording_guard>);
  STATIC_REQUIRE(budget::budget_policy<recording_budget>);
  STATIC_REQUIRE_FALSE(guard::guard_policy<recording_observer>);
}

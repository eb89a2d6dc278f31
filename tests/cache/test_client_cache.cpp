// The cache slot in the client: hits without network, per-call cache control, TTL with the
// manual clock, tenant isolation, what is stored, stale-if-error, and coalescing of
// concurrent identical requests against the emulator (its request counter is the proof).
#include <gemini/cache/memory.hpp>
#include <gemini/client.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/testing/manual_clock.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;
using namespace std::chrono_literals;
using gemini::testing::emulator;
using gemini::testing::fault;
using gemini::testing::fault_kind;

namespace {

client_options scripted_options() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.timeout = 1h;
  return o;
}

wire::generate_content_request ask(std::string text) {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

std::string body(const char* text, const char* finish = "STOP") {
  return std::string(R"({"candidates":[{"content":{"parts":[{"text":")") + text +
         R"("}],"role":"model"},"finishReason":")" + finish +
         R"("}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3}})";
}

constexpr const char* blocked_body =
    R"({"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":2,"totalTokenCount":2}})";
constexpr const char* unavailable_body =
    R"({"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}})";

struct cached : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using cache = gemini::cache::memory<>;
  using clock = gemini::testing::manual_clock;
};
using cached_client = basic_client<cached>;

struct cached_retrying : cached {
  using retry = gemini::retry::exponential;
};

}  // namespace

TEST_CASE("a repeated request is answered from the cache without network", "[cache][client]") {
  asio::io_context ioc;
  cached_client c(ioc.get_executor(), scripted_options());
  c.transport().push_body(body("Paris"));
  auto first = run(ioc, c.generate(ask("capital of France?")));
  REQUIRE(first);
  CHECK(first->delivery.from == wire::source::network);
  auto second = run(ioc, c.generate(ask("capital of France?")));
  REQUIRE(second);
  CHECK(second->text() == "Paris");
  CHECK(second->delivery.from == wire::source::cache);
  CHECK(*second == *first);
  CHECK(c.transport().calls() == 1);
  CHECK(c.cache().stats().hits == 1);
  // A different prompt is a miss.
  c.transport().push_body(body("Rome"));
  auto other = run(ioc, c.generate(ask("capital of Italy?")));
  REQUIRE(other);
  CHECK(other->text() == "Rome");
  CHECK(c.transport().calls() == 2);
}

TEST_CASE("entries expire after the TTL; a per-call TTL overrides it", "[cache][client]") {
  asio::io_context ioc;
  cached_client c(ioc.get_executor(), scripted_options());
  auto o = c.cache().options();
  o.ttl = 60s;
  c.cache().reconfigure(o);
  c.transport().push_body(body("one"));
  c.transport().push_body(body("two"));
  c.transport().push_body(body("three"));
  REQUIRE(run(ioc, c.generate(ask("q"))));
  c.clock().advance(59s);
  CHECK(run(ioc, c.generate(ask("q")))->text() == "one");
  c.clock().advance(2s);
  CHECK(run(ioc, c.generate(ask("q")))->text() == "two");  // expired: fetched again
  CHECK(c.transport().calls() == 2);
  call_options shortlived;
  shortlived.cache_ttl = 5s;
  shortlived.cache = cache_mode::refresh;
  CHECK(run(ioc, c.generate(ask("q"), shortlived))->text() == "three");
  c.clock().advance(6s);
  c.transport().push_body(body("four"));
  CHECK(run(ioc, c.generate(ask("q")))->text() == "four");
  CHECK(c.transport().calls() == 4);
}

TEST_CASE("per-call cache control: no_store and refresh", "[cache][client]") {
  asio::io_context ioc;
  cached_client c(ioc.get_executor(), scripted_options());
  call_options no_store;
  no_store.cache = cache_mode::no_store;
  call_options refresh;
  refresh.cache = cache_mode::refresh;
  c.transport().push_body(body("a"));
  c.transport().push_body(body("b"));
  c.transport().push_body(body("c"));
  CHECK(run(ioc, c.generate(ask("q"), no_store))->text() == "a");  // not stored
  CHECK(run(ioc, c.generate(ask("q")))->text() == "b");            // miss: stored
  CHECK(run(ioc, c.generate(ask("q"), no_store))->text() == "c");  // not read either
  c.transport().push_body(body("d"));
  auto fresh = run(ioc, c.generate(ask("q"), refresh));  // skips the lookup, stores d
  CHECK(fresh->text() == "d");
  CHECK(fresh->delivery.from == wire::source::network);
  auto hit = run(ioc, c.generate(ask("q")));
  CHECK(hit->text() == "d");
  CHECK(hit->delivery.from == wire::source::cache);
  CHECK(c.transport().calls() == 4);
}

TEST_CASE("two tenants never share an entry", "[cache][client]") {
  asio::io_context ioc;
  cached_client c(ioc.get_executor(), scripted_options());
  call_options a, b;
  a.tenant = "acme";
  b.tenant = "globex";
  c.transport().push_body(body("for acme"));
  c.transport().push_body(body("for globex"));
  CHECK(run(ioc, c.generate(ask("q"), a))->text() == "for acme");
  CHECK(run(ioc, c.generate(ask("q"), b))->text() == "for globex");
  CHECK(run(ioc, c.generate(ask("q"), a))->text() == "for acme");
  CHECK(run(ioc, c.generate(ask("q"), b))->text() == "for globex");
  CHECK(c.transport().calls() == 2);
  call_options other_model;
  other_model.model = "gemini-2.5-pro";
  c.transport().push_body(body("pro"));
  CHECK(run(ioc, c.generate(ask("q"), other_model))->text() == "pro");
  CHECK(c.transport().calls() == 3);
}

TEST_CASE("only complete, unblocked answers are stored by default", "[cache][client]") {
  asio::io_context ioc;
  cached_client c(ioc.get_executor(), scripted_options());
  c.transport().push_body(blocked_body);
  c.transport().push_body(body("cut", "MAX_TOKENS"));
  c.transport().push_body(body("unsafe", "SAFETY"));
  c.transport().push_body(unavailable_body, 503);
  for (int i = 0; i < 4; ++i) (void)run(ioc, c.generate(ask("q")));
  CHECK(c.cache().stats().stores == 0);
  CHECK(c.cache().stats().entries == 0);
  CHECK(c.transport().calls() == 4);

  SECTION("a storable predicate changes that") {
    auto o = c.cache().options();
    o.storable = [](const cache::response& r) {
      return r.finish() == wire::finish_reason::stop ||
             r.finish() == wire::finish_reason::max_tokens;
    };
    c.cache().reconfigure(o);
    c.transport().push_body(body("cut", "MAX_TOKENS"));
    CHECK(run(ioc, c.generate(ask("long"))));
    CHECK(run(ioc, c.generate(ask("long")))->delivery.from == wire::source::cache);
    CHECK(c.transport().calls() == 5);
  }
}

TEST_CASE("stale-if-error serves an expired entry, marked, when every attempt fails",
          "[cache][client]") {
  asio::io_context ioc;
  basic_client<cached_retrying> c(ioc.get_executor(), scripted_options());
  auto o = c.cache().options();
  o.ttl = 60s;
  o.stale_if_error = 10min;
  c.cache().reconfigure(o);
  c.transport().push_body(body("cached answer"));
  REQUIRE(run(ioc, c.generate(ask("q"))));
  c.clock().advance(2min);  // expired, within the stale window
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(unavailable_body, 503);
  });
  auto before = c.transport().calls();
  auto r = run(ioc, c.generate(ask("q")));
  REQUIRE(r);
  CHECK(r->text() == "cached answer");
  CHECK(r->delivery.from == wire::source::stale_cache);
  CHECK(c.transport().calls() - before == 5);  // every attempt of the retry policy first

  SECTION("when the service answers again, the fresh answer replaces the stale entry") {
    c.transport().set_responder([](const transport::http_request&) {
      return transport::scripted_reply::ok(body("new answer"));
    });
    auto fresh = run(ioc, c.generate(ask("q")));
    CHECK(fresh->text() == "new answer");
    CHECK(fresh->delivery.from == wire::source::network);
    CHECK(run(ioc, c.generate(ask("q")))->delivery.from == wire::source::cache);
  }
  SECTION("past the stale window the error is returned") {
    c.clock().advance(20min);
    auto late = run(ioc, c.generate(ask("q")));
    REQUIRE_FALSE(late);
    CHECK(late.error().code == errc::unavailable);
  }
  SECTION("without a stale window the error is returned") {
    o.stale_if_error = 0s;
    c.cache().reconfigure(o);
    auto none = run(ioc, c.generate(ask("q")));
    REQUIRE_FALSE(none);
    CHECK(none.error().code == errc::unavailable);
  }
}

// ---- coalescing, against the emulator (real sockets, so requests overlap in time) -------

namespace {

struct emulated_cache : policies::defaults {
  using cache = gemini::cache::memory<>;
};
using emulated_client = basic_client<emulated_cache>;

client_options emulator_options(const emulator& emu) {
  client_options o;
  o.key = api_key("test-key");
  o.base_url = emu.base_url() + "/v1beta";
  return o;
}

emulator slow_emulator() {
  gemini::testing::emulator_options eo;
  eo.latency.first_byte = 30ms;  // long enough for every caller to arrive first
  return emulator(eo);
}

struct fan_out {
  std::vector<std::optional<result<wire::generate_content_response>>> results;
  explicit fan_out(std::size_t n) : results(n) {}
  std::size_t count(wire::source s) const {
    std::size_t n = 0;
    for (auto const& r : results)
      if (r && *r && (**r).delivery.from == s) ++n;
    return n;
  }
};

template <class Client>
void spawn_identical(asio::io_context& ioc, Client& c, fan_out& out, std::string prompt) {
  for (auto& slot : out.results) {
    asio::co_spawn(
        ioc,
        [&c, &slot, prompt]() -> asio::awaitable<void> {
          auto req = ask(prompt);
          slot.emplace(co_await c.generate(std::move(req)));
        },
        asio::detached);
  }
  ioc.run();
}

}  // namespace

TEST_CASE("100 concurrent identical requests send one upstream request", "[cache][coalesce]") {
  auto emu = slow_emulator();
  asio::io_context ioc;
  emulated_client c(ioc.get_executor(), emulator_options(emu));
  fan_out out(100);
  spawn_identical(ioc, c, out, "the same question");
  CHECK(emu.requests() == 1);
  for (auto const& r : out.results) {
    REQUIRE(r);
    REQUIRE(*r);
    CHECK((**r).text() == (*out.results[0])->text());
  }
  CHECK(out.count(wire::source::network) == 1);
  CHECK(out.count(wire::source::shared) == 99);
  CHECK(c.cache().stats().stores == 1);
}

TEST_CASE("different requests are not coalesced", "[cache][coalesce]") {
  auto emu = slow_emulator();
  asio::io_context ioc;
  emulated_client c(ioc.get_executor(), emulator_options(emu));
  std::vector<std::optional<result<wire::generate_content_response>>> results(10);
  for (std::size_t i = 0; i < results.size(); ++i)
    asio::co_spawn(
        ioc,
        [&c, &results, i]() -> asio::awaitable<void> {
          auto req = ask("question " + std::to_string(i));
          results[i].emplace(co_await c.generate(std::move(req)));
        },
        asio::detached);
  ioc.run();
  CHECK(emu.requests() == 10);
  for (auto const& r : results) CHECK((r && *r));
}

TEST_CASE("when the coalesced request fails, the policy decides what the others do",
          "[cache][coalesce]") {
  auto emu = slow_emulator();
  asio::io_context ioc;
  emulated_client c(ioc.get_executor(), emulator_options(emu));
  emu.push_fault(fault_kind::http_400);
  fan_out out(20);

  SECTION("share_error: one failure, one request") {
    spawn_identical(ioc, c, out, "bad");
    CHECK(emu.requests() == 1);
    for (auto const& r : out.results) {
      REQUIRE(r);
      REQUIRE_FALSE(*r);
      CHECK(r->error().code == errc::invalid_argument);
    }
  }
  SECTION("retry_alone: the others send their own request") {
    auto o = c.cache().options();
    o.leader_failure = cache::on_leader_failure::retry_alone;
    c.cache().reconfigure(o);
    spawn_identical(ioc, c, out, "bad");
    CHECK(emu.requests() == 20);
    std::size_t ok = 0;
    for (auto const& r : out.results) ok += (r && *r) ? 1 : 0;
    CHECK(ok == 19);
  }
}

TEST_CASE("a coalesced caller honours its own deadline", "[cache][coalesce]") {
  gemini::testing::emulator_options eo;
  eo.latency.first_byte = 300ms;
  emulator emu(eo);
  asio::io_context ioc;
  emulated_client c(ioc.get_executor(), emulator_options(emu));
  std::optional<result<wire::generate_content_response>> leader, impatient;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto req = ask("slow");
        leader.emplace(co_await c.generate(std::move(req)));
      },
      asio::detached);
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        auto req = ask("slow");
        call_options o;
        o.timeout = 20ms;
        impatient.emplace(co_await c.generate(std::move(req), std::move(o)));
      },
      asio::detached);
  ioc.run();
  REQUIRE(leader);
  CHECK(*leader);
  REQUIRE(impatient);
  REQUIRE_FALSE(*impatient);
  CHECK(impatient->error().code == errc::deadline_exceeded);
  CHECK(emu.requests() == 1);
}

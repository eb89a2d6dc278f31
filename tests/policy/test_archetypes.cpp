// A client built from the archetype of every slot: the host uses no more of a policy than
// its concept promises (a host that did would fail to compile here).
#include <gemini/client.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/io_context.hpp>

#include <type_traits>

#include <catch2/catch.hpp>

#include "archetypes.hpp"
#include "async_test.hpp"

namespace {
struct archetypes {
  using transport = gemini::transport::scripted_transport;
  using cache = gemini::archetype::cache;
  using limit = gemini::archetype::limit;
  using breaker = gemini::archetype::breaker;
  using retry = gemini::archetype::retry;
  using route = gemini::archetype::route;
  using budget = gemini::archetype::budget;
  using guard = gemini::archetype::guard;
  using observe = gemini::archetype::observe;
  using clock = gemini::archetype::clock;
  using sync = gemini::archetype::sync;
};

constexpr const char* answer =
    R"({"candidates":[{"content":{"role":"model","parts":[{"text":"hello"}]},)"
    R"("finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":2,)"
    R"("candidatesTokenCount":1,"totalTokenCount":3}})";
}  // namespace

TEST_CASE("a client of archetypes in every slot makes calls", "[policy][archetype]") {
  boost::asio::io_context ioc;
  gemini::client_options o;
  o.key = gemini::api_key("k");
  gemini::basic_client<archetypes> c(ioc.get_executor(), o);
  c.transport().push_body(answer);
  auto g = gemini::test::run(ioc, c.generate("hi"));
  REQUIRE(g);
  CHECK(g->text() == "hello");

  gemini::transport::scripted_reply s;
  s.chunks = {std::string("data: ") + answer + "\r\n\r\n"};
  c.transport().push(s);
  std::string streamed;
  auto st = gemini::test::run(
      ioc, c.stream("hi", [&](const gemini::generate_response& r) { streamed += r.text(); }));
  REQUIRE(st);
  CHECK(streamed == "hello");

  c.transport().push_body(R"({"totalTokens":7})");
  gemini::count_tokens_request q;
  q.contents.push_back(gemini::content::user("x"));
  auto n = gemini::test::run(ioc, c.count_tokens(q));
  REQUIRE(n);
  CHECK(n->total_tokens == 7);
}

// Guard, budget and observe policies that can be neither copied nor moved (a mutex inside,
// say), each built from its options through basic_config: constructed in place, never
// moved. (The other slots' members are [[no_unique_address]]: initialized from a prvalue,
// which GCC may not elide into a potentially-overlapping member, so those policies must be
// movable; see pipeline's constructor.)
namespace {
template <class Base>
struct pinned : Base {
  struct settings {  // not `options`: that would hide the limit archetype's options()
    int id = 0;
  };
  using options_type = settings;
  explicit pinned(settings o) : id(o.id) {}
  pinned(const pinned&) = delete;
  pinned& operator=(const pinned&) = delete;
  int id;
};
struct pinned_observe : pinned<gemini::archetype::observe> {
  using pinned::pinned;
  int events = 0;
  void record(const gemini::observe::event&) { ++events; }
};
struct movable_limit : gemini::archetype::limit {
  struct settings {
    int id = 0;
  };
  using options_type = settings;
  explicit movable_limit(settings o) : id(o.id) {}
  int id;
};
struct pinned_bundle : archetypes {
  using limit = movable_limit;
  using budget = pinned<gemini::archetype::budget>;
  using guard = pinned<gemini::archetype::guard>;
  using observe = pinned_observe;
};
}  // namespace

TEST_CASE("non-movable policies are built in place from their options", "[policy][archetype]") {
  static_assert(!std::is_move_constructible_v<pinned_observe>);
  boost::asio::io_context ioc;
  gemini::basic_config<pinned_bundle> cfg;
  cfg.client.key = gemini::api_key("k");
  cfg.limit.id = 1;
  cfg.budget.id = 2;
  cfg.guard.id = 3;
  cfg.observe.id = 4;
  gemini::basic_client<pinned_bundle> c(ioc.get_executor(), std::move(cfg));
  CHECK(c.limiter().id == 1);
  CHECK(c.budget().id == 2);
  CHECK(c.guard().id == 3);
  CHECK(c.observer().id == 4);
  c.transport().push_body(answer);
  auto g = gemini::test::run(ioc, c.generate("hi"));
  REQUIRE(g);
  CHECK(c.observer().events > 0);
}

// A client built from the archetype of every slot: the host uses no more of a policy than
// its concept promises (a host that did would fail to compile here).
#include <gemini/client.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/io_context.hpp>

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

// Routing in the client: failover order, which errors fail over, per-day quotas, content-
// policy fallback, the retry policy starting over, context-window routing and latency-aware
// choice — over the scripted transport (each endpoint its own host) with a manual clock —
// and failover between two emulator instances over real sockets.
#include <gemini/client.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/route/router.hpp>
#include <gemini/testing/emulator.hpp>
#include <gemini/testing/manual_clock.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

#include <functional>
#include <map>

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;
using namespace std::chrono_literals;
using gemini::testing::emulator;
using gemini::testing::fault_kind;

namespace {

std::string ok_body(const std::string& text, const char* finish = "STOP") {
  return R"({"candidates":[{"content":{"parts":[{"text":")" + text +
         R"("}],"role":"model"},"finishReason":")" + finish +
         R"("}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3}})";
}
std::string error_body(int code, const char* status, const char* details = "") {
  return R"({"error":{"code":)" + std::to_string(code) + R"(,"message":"m","status":")" + status +
         R"(","details":[)" + details + "]}}";
}
constexpr const char* per_day_quota =
    R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},)"
    R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3600s"})";

route::endpoint host(std::string name) {
  route::endpoint e;
  e.name = name;
  e.base_url = "http://" + name + ".example/v1beta";
  e.model = "model-" + name;
  return e;
}

template <class Strategy, class Retry = gemini::retry::none>
struct routed_policies : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using route = gemini::route::router<Strategy>;
  using retry = Retry;
  using clock = gemini::testing::manual_clock;
};

client_options opts() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://unused.example/v1beta";
  o.timeout = 1h;
  return o;
}

wire::generate_content_request ask(std::string text = "hello") {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user(std::move(text)));
  return r;
}

/// Answers per host: host name → the replies it gives, in order (the last one repeats).
struct per_host {
  std::map<std::string, std::vector<transport::scripted_reply>> replies;
  std::vector<std::string> order;  // the hosts in call order
  std::function<void(const std::string&)> on_call;

  transport::scripted_transport::responder responder() {
    return [this](const transport::http_request& r) {
      auto h = r.origin.host;
      order.push_back(h.substr(0, h.find('.')));
      if (on_call) on_call(order.back());
      auto& q = replies.at(order.back());
      auto out = q.front();
      if (q.size() > 1) q.erase(q.begin());
      return out;
    };
  }
  std::string calls() const {
    std::string s;
    for (auto const& h : order) s += (s.empty() ? "" : ",") + h;
    return s;
  }
};

template <class Client>
void setup(Client& c, per_host& hosts, std::vector<route::endpoint> eps) {
  typename std::remove_reference_t<decltype(c.router())>::options_type ro;
  ro.endpoints = std::move(eps);
  c.router().reconfigure(ro);
  c.transport().set_responder(hosts.responder());
}

using transport::scripted_reply;

}  // namespace

TEST_CASE("routing: a failed endpoint fails over to the next, in order", "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["a"] = {scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503)};
  hosts.replies["b"] = {scripted_reply::failure(gemini::error(errc::transport, "reset"))};
  hosts.replies["c"] = {scripted_reply::ok(ok_body("from c"))};
  setup(c, hosts, {host("a"), host("b"), host("c")});
  auto r = run(ioc, c.generate(ask()));
  REQUIRE(r);
  CHECK(r->text() == "from c");
  CHECK(hosts.calls() == "a,b,c");
  // Each endpoint got its own model in the target and the client's key.
  auto const& req = c.transport().requests().back();
  CHECK(req.target == "/v1beta/models/model-c:generateContent");
}

TEST_CASE("routing: when every endpoint failed, the error names each", "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["a"] = {scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503)};
  hosts.replies["b"] = {scripted_reply::ok(error_body(500, "INTERNAL"), 500)};
  setup(c, hosts, {host("a"), host("b")});
  auto r = run(ioc, c.generate(ask()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::internal);  // the last failure's classification
  CHECK_THAT(r.error().message, Catch::Contains("a: failed:") && Catch::Contains("b: failed:"));
  CHECK(hosts.calls() == "a,b");
}

TEST_CASE("routing: the request's own faults do not fail over", "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["a"] = {scripted_reply::ok(error_body(400, "INVALID_ARGUMENT"), 400)};
  hosts.replies["b"] = {scripted_reply::ok(ok_body("b"))};
  setup(c, hosts, {host("a"), host("b")});
  auto r = run(ioc, c.generate(ask()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(hosts.calls() == "a");
}

TEST_CASE("routing: a per-day quota fails over instead of waiting for tomorrow",
          "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback, gemini::retry::exponential>> c(
      ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["a"] = {
      scripted_reply::ok(error_body(429, "RESOURCE_EXHAUSTED", per_day_quota), 429)};
  hosts.replies["b"] = {scripted_reply::ok(ok_body("b"))};
  setup(c, hosts, {host("a"), host("b")});
  auto t0 = c.clock().now();
  auto r = run(ioc, c.generate(ask()));
  REQUIRE(r);
  CHECK(hosts.calls() == "a,b");
  CHECK(c.clock().now() - t0 < 1s);  // no back-off, no RetryInfo wait
}

TEST_CASE("routing: with a retry policy, all endpoints failing starts a new round",
          "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback, gemini::retry::exponential>> c(
      ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["a"] = {scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503),
                        scripted_reply::ok(ok_body("a, second round"))};
  hosts.replies["b"] = {scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503)};
  setup(c, hosts, {host("a"), host("b")});
  auto t0 = c.clock().now();
  auto r = run(ioc, c.generate(ask()));
  REQUIRE(r);
  CHECK(r->text() == "a, second round");
  CHECK(hosts.calls() == "a,b,a");
  CHECK(c.clock().now() > t0);  // the back-off came between the rounds
}

TEST_CASE("routing: content-policy fallback tries the next endpoint when configured",
          "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["a"] = {scripted_reply::ok(ok_body("", "SAFETY"))};
  hosts.replies["b"] = {scripted_reply::ok(ok_body("b answered"))};
  setup(c, hosts, {host("a"), host("b")});
  auto blocked = run(ioc, c.generate(ask()));
  REQUIRE(blocked);
  CHECK(blocked->finish() ==
        wire::finish_reason::safety);  // off by default: the block is the answer
  CHECK(hosts.calls() == "a");

  auto ro = c.router().options();
  ro.fallback_on_block = true;
  c.router().reconfigure(ro);
  auto r = run(ioc, c.generate(ask()));
  REQUIRE(r);
  CHECK(r->text() == "b answered");
  CHECK(hosts.calls() == "a,a,b");
}

TEST_CASE("routing: a prompt too long for one model goes to one that fits", "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["small"] = {scripted_reply::ok(ok_body("small"))};
  hosts.replies["large"] = {scripted_reply::ok(ok_body("large"))};
  auto small = host("small");
  small.caps.context_window = 1000;
  setup(c, hosts, {small, host("large")});
  CHECK(run(ioc, c.generate(ask("short")))->text() == "small");
  CHECK(run(ioc, c.generate(ask(std::string(20000, 'x'))))->text() == "large");
  CHECK(hosts.calls() == "small,large");
}

TEST_CASE("routing: latency-aware choice shifts away from a slow endpoint", "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::latency>> c(ioc.get_executor(), opts());
  per_host hosts;
  hosts.replies["slow"] = {scripted_reply::ok(ok_body("slow"))};
  hosts.replies["fast"] = {scripted_reply::ok(ok_body("fast"))};
  auto clock = c.clock();
  hosts.on_call = [clock](const std::string& h) mutable {
    clock.advance(h == "slow" ? 800ms : 40ms);  // the manual clock as the endpoint's latency
  };
  setup(c, hosts, {host("slow"), host("fast")});
  for (int i = 0; i < 12; ++i) REQUIRE(run(ioc, c.generate(ask())));
  auto n = std::count(hosts.order.begin(), hosts.order.end(), std::string("fast"));
  CHECK(n == 11);  // measured once each, then always the fast one
  CHECK(c.router().load(0).latency_ms == Approx(800));
}

TEST_CASE("routing: no endpoints configured is a clear error", "[route][client]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  auto r = run(ioc, c.generate(ask()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unavailable);
  CHECK_THAT(r.error().message, Catch::Contains("no endpoints configured"));
}

// ---- against two emulator instances ------------------------------------------------------

namespace {
struct real_routed : policies::defaults {
  using route = gemini::route::router<gemini::route::ordered_fallback>;
};
struct real_weighted : policies::defaults {
  using route = gemini::route::router<gemini::route::weighted>;
};

/// The client's own base URL points at `emu` (the router's endpoints decide where calls go).
client_options over(const emulator& emu) {
  client_options o;
  o.base_url = emu.base_url() + "/v1beta";
  return o;
}

route::endpoint at(const emulator& emu, std::string name, double weight = 1) {
  route::endpoint e;
  e.name = std::move(name);
  e.base_url = emu.base_url() + "/v1beta";
  e.key = api_key("test-key");
  e.weight = weight;
  return e;
}
}  // namespace

TEST_CASE("routing over sockets: an emulator outage fails over to the other", "[route][emulator]") {
  emulator primary, secondary;
  asio::io_context ioc;
  basic_client<real_routed> c(ioc.get_executor(), over(primary));
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {at(primary, "primary"), at(secondary, "secondary")};
  c.router().reconfigure(ro);
  primary.push_fault(fault_kind::http_503);
  primary.push_fault(fault_kind::reset_before_response);
  primary.push_fault(fault_kind::reset_before_response);  // the pool's one transparent re-send
  for (int i = 0; i < 2; ++i) {
    auto req = ask("question " + std::to_string(i));
    auto r = run(ioc, c.generate(std::move(req)));
    REQUIRE(r);
  }
  CHECK(secondary.requests() == 2);
  auto req = ask("after the outage");
  REQUIRE(run(ioc, c.generate(std::move(req))));
  CHECK(primary.requests() == 4);  // 503, reset ×2, then the answer
  CHECK(secondary.requests() == 2);
}

TEST_CASE("routing over sockets: weighted shares between two emulators", "[route][emulator]") {
  emulator a, b;
  asio::io_context ioc;
  basic_client<real_weighted> c(ioc.get_executor(), over(a));
  route::router<route::weighted>::options_type ro;
  ro.endpoints = {at(a, "a", 3), at(b, "b", 1)};
  c.router().reconfigure(ro);
  for (int i = 0; i < 40; ++i) {
    auto req = ask("q");
    REQUIRE(run(ioc, c.generate(std::move(req))));
  }
  CHECK(a.requests() == 30);
  CHECK(b.requests() == 10);
}

// ---- streaming through the router ------------------------------------------------------

namespace {
std::string sse_chunk(const std::string& text, const char* finish = nullptr) {
  std::string j =
      R"({"candidates":[{"content":{"parts":[{"text":")" + text + R"("}],"role":"model"})";
  if (finish) j += R"(,"finishReason":")" + std::string(finish) + "\"";
  j += "}]";
  if (finish)
    j += R"(,"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2,"totalTokenCount":4})";
  return "data: " + j + "}\r\n\r\n";
}
}  // namespace

TEST_CASE("routing a stream: failover before the first chunk, error after it",
          "[route][client][stream]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  std::vector<std::string> seen;
  auto collect = [&seen](const wire::generate_content_response& chunk) {
    seen.push_back(chunk.text());
  };

  SECTION("a failure before any chunk moves on to the next endpoint") {
    transport::scripted_reply b;
    b.chunks = {sse_chunk("Hel"), sse_chunk("lo", "STOP")};
    hosts.replies["a"] = {scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503)};
    hosts.replies["b"] = {b};
    setup(c, hosts, {host("a"), host("b")});
    auto r = run(ioc, c.stream(ask(), collect));
    REQUIRE(r);
    CHECK(r->text() == "Hello");
    CHECK(r->delivery.endpoint == 1);
    CHECK(seen == std::vector<std::string>{"Hel", "lo"});
    CHECK(hosts.calls() == "a,b");
    CHECK(c.transport().requests().back().target ==
          "/v1beta/models/model-b:streamGenerateContent?alt=sse");
  }
  SECTION("a cut after a chunk reached the caller ends the call with the partial text") {
    transport::scripted_reply a;
    a.chunks = {sse_chunk("Partial ")};
    a.fail_after = gemini::error(errc::transport, "connection reset");
    hosts.replies["a"] = {a};
    hosts.replies["b"] = {scripted_reply::ok(sse_chunk("never", "STOP"))};
    setup(c, hosts, {host("a"), host("b")});
    auto r = run(ioc, c.stream(ask(), collect));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::transport);
    CHECK(r.error().partial_text == "Partial ");
    CHECK(hosts.calls() == "a");
  }
}

TEST_CASE("routing over sockets: Gemini fails over to an OpenAI-compatible endpoint",
          "[route][emulator][openai]") {
  emulator gemini_side, openai_side;
  asio::io_context ioc;
  basic_client<real_routed> c(ioc.get_executor(), over(gemini_side));
  auto compat = at(openai_side, "compat");
  compat.provider = route::provider::openai;
  compat.base_url = openai_side.base_url() + "/v1";  // a generic OpenAI-compatible server
  compat.model = "gemini-2.5-flash";
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {at(gemini_side, "native"), compat};
  c.router().reconfigure(ro);
  gemini_side.push_fault(fault_kind::http_503);

  auto req = ask("Name one prime number.");
  auto r = run(ioc, c.generate(std::move(req)));
  REQUIRE(r);
  CHECK(r->delivery.endpoint == 1);
  CHECK(openai_side.requests("chat.completions") == 1);
  CHECK(r->finish() == wire::finish_reason::stop);
  CHECK(r->usage.total_token_count > 0);
  // The same prompt answered natively gives the same text (the emulator is deterministic).
  auto again = ask("Name one prime number.");
  auto native = run(ioc, c.generate(std::move(again)));
  REQUIRE(native);
  CHECK(native->delivery.endpoint == 0);
  CHECK(native->text() == r->text());

  SECTION("streaming, too: chunks translated as they arrive") {
    gemini_side.push_fault(fault_kind::http_503);
    std::string streamed;
    std::size_t chunks = 0;
    auto sreq = ask("Name one prime number.");
    auto s = run(ioc, c.stream(std::move(sreq), [&](const wire::generate_content_response& ch) {
      streamed += ch.text();
      ++chunks;
    }));
    REQUIRE(s);
    CHECK(s->delivery.endpoint == 1);
    CHECK(streamed == native->text());
    CHECK(s->text() == native->text());
    CHECK(chunks > 1);
    CHECK(s->usage.total_token_count == native->usage.total_token_count);
    CHECK(openai_side.requests("chat.completions.stream") == 1);
  }
}

TEST_CASE("hedging: a slow endpoint is raced by a second one; the loser is cancelled",
          "[route][emulator][hedge]") {
  gemini::testing::emulator_options slow_opts;
  slow_opts.latency.first_byte = 2000ms;  // never waited for: the hedge wins and cancels it
  emulator slow(slow_opts), fast;
  asio::io_context ioc;
  basic_client<real_routed> c(ioc.get_executor(), over(fast));
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {at(slow, "slow"), at(fast, "fast")};
  ro.hedge_after = 30ms;
  c.router().reconfigure(ro);

  auto req = ask("race");
  auto r = run(ioc, c.generate(std::move(req)));  // run() returns when the loser is gone too
  REQUIRE(r);
  CHECK(r->delivery.endpoint == 1);
  CHECK(fast.requests() == 1);
  CHECK(slow.requests() == 1);
  CHECK(c.router().load(0).cancelled == 1);  // the loser was cancelled, not failed
  CHECK(c.router().load(0).failures == 0);
  CHECK(c.router().load(0).in_flight == 0);
  CHECK(c.router().load(1).successes == 1);
}

TEST_CASE("hedging: an endpoint that answers in time is not hedged", "[route][emulator][hedge]") {
  emulator first, second;
  asio::io_context ioc;
  basic_client<real_routed> c(ioc.get_executor(), over(first));
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {at(first, "first"), at(second, "second")};
  ro.hedge_after = 5000ms;
  c.router().reconfigure(ro);
  for (int i = 0; i < 3; ++i) {
    auto req = ask("quick " + std::to_string(i));
    auto r = run(ioc, c.generate(std::move(req)));
    REQUIRE(r);
    CHECK(r->delivery.endpoint == 0);
  }
  CHECK(second.requests() == 0);
  // A failure before the hedge delay fails over as usual.
  first.push_fault(fault_kind::http_503);
  auto req = ask("failing");
  auto r = run(ioc, c.generate(std::move(req)));
  REQUIRE(r);
  CHECK(r->delivery.endpoint == 1);
  CHECK(second.requests() == 1);
}

TEST_CASE("hedging: the delay can follow the endpoint's observed p95", "[route]") {
  route::router<route::ordered_fallback>::options_type ro;
  route::endpoint a;
  a.name = "a";
  ro.endpoints = {a};
  ro.hedge_at_p95 = true;
  ro.hedge_after = 1000ms;  // until there are enough samples
  ro.hedge_min_samples = 20;
  route::router<route::ordered_fallback> r(ro);
  auto t = std::chrono::steady_clock::time_point{} + 1h;
  CHECK(r.hedge_delay(0) == 1000ms);
  for (int i = 1; i <= 100; ++i) r.finished(0, nullptr, std::chrono::milliseconds(i), t, 1, 1);
  // The last 64 samples are 37..100 ms: their p95 is 97 ms.
  CHECK(r.hedge_delay(0) == 97ms);
}

TEST_CASE("mid-stream recovery: a cut stream is continued by another endpoint",
          "[route][client][stream]") {
  asio::io_context ioc;
  basic_client<routed_policies<route::ordered_fallback>> c(ioc.get_executor(), opts());
  per_host hosts;
  transport::scripted_reply cut;
  cut.chunks = {sse_chunk("The answer "), sse_chunk("is ")};
  cut.fail_after = gemini::error(errc::transport, "connection reset by peer");
  transport::scripted_reply rest;
  rest.chunks = {sse_chunk("forty-"), sse_chunk("two.", "STOP")};
  hosts.replies["a"] = {cut};
  hosts.replies["b"] = {rest};
  setup(c, hosts, {host("a"), host("b")});
  auto ro = c.router().options();
  ro.resume_streams = true;
  c.router().reconfigure(ro);
  std::string seen;
  auto r =
      run(ioc, c.stream(ask("What is the answer?"),
                        [&](const wire::generate_content_response& ch) { seen += ch.text(); }));
  REQUIRE(r);
  CHECK(seen == "The answer is forty-two.");  // one uninterrupted answer for the caller
  CHECK(r->text() == "The answer is forty-two.");
  CHECK(r->delivery.endpoint == 1);
  CHECK(hosts.calls() == "a,b");
  // b was asked to continue: the partial answer went as the model's turn.
  auto body = boost::json::parse(c.transport().requests().back().body).as_object();
  auto const& contents = body.at("contents").as_array();
  REQUIRE(contents.size() == 2);
  CHECK(contents[1].at("role") == "model");
  CHECK(contents[1].at("parts").at(0).at("text") == "The answer is ");

  SECTION("off by default: the cut ends the call with the partial text") {
    hosts.replies["a"] = {cut};
    ro.resume_streams = false;
    c.router().reconfigure(ro);
    auto r2 = run(ioc, c.stream(ask("What is the answer?"), [](const auto&) {}));
    REQUIRE_FALSE(r2);
    CHECK(r2.error().partial_text == "The answer is ");
  }
}

TEST_CASE("mid-stream recovery over sockets: an emulator cut mid-stream, another continues",
          "[route][emulator][stream]") {
  emulator first, second;
  asio::io_context ioc;
  basic_client<real_routed> c(ioc.get_executor(), over(first));
  route::router<route::ordered_fallback>::options_type ro;
  ro.endpoints = {at(first, "first"), at(second, "second")};
  ro.resume_streams = true;
  c.router().reconfigure(ro);
  first.push_fault(fault_kind::cut_mid_stream);
  std::string seen;
  std::size_t chunks = 0;
  auto req = ask("Tell me about connection pools in a few sentences.");
  auto r = run(ioc, c.stream(std::move(req), [&](const wire::generate_content_response& ch) {
    seen += ch.text();
    ++chunks;
  }));
  REQUIRE(r);
  CHECK(r->delivery.endpoint == 1);
  CHECK(r->text() == seen);
  CHECK(chunks > 2);
  CHECK(first.requests() == 1);
  CHECK(second.requests() == 1);
  CHECK(r->finish() == wire::finish_reason::stop);
}

TEST_CASE("routing over sockets: latency-aware choice moves to the faster emulator",
          "[route][emulator]") {
  gemini::testing::emulator_options slow_opts;
  slow_opts.latency.first_byte = 300ms;  // far above any loopback hiccup of the fast one
  emulator slow(slow_opts), fast;
  asio::io_context ioc;
  struct by_latency : policies::defaults {
    using route = gemini::route::router<gemini::route::latency>;
  };
  basic_client<by_latency> c(ioc.get_executor(), over(fast));
  route::router<route::latency>::options_type ro;
  ro.endpoints = {at(slow, "slow"), at(fast, "fast")};
  c.router().reconfigure(ro);
  for (int i = 0; i < 8; ++i) {
    auto req = ask("q" + std::to_string(i));
    REQUIRE(run(ioc, c.generate(std::move(req))));
  }
  CHECK(slow.requests() == 1);  // measured once, then avoided
  CHECK(fast.requests() == 7);
  CHECK(c.router().load(0).latency_ms > c.router().load(1).latency_ms);
}

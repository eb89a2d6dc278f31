// The composed client over the scripted transport and a manual clock: retries, breaker,
// limiter and their order, deterministically and without sleeping.
#include <gemini/breaker/consecutive_failures.hpp>
#include <gemini/breaker/sliding_window.hpp>
#include <gemini/client.hpp>
#include <gemini/limit/token_bucket.hpp>
#include <gemini/retry/exponential.hpp>
#include <gemini/testing/manual_clock.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;
using namespace std::chrono_literals;

namespace {

client_options opts() {
  client_options o;
  o.key = api_key("k");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.timeout = 1h;  // real time: never reached in these tests
  return o;
}

wire::generate_content_request hello() {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("Hello"));
  return r;
}

constexpr const char* ok_body =
    R"({"candidates":[{"content":{"parts":[{"text":"ok"}],"role":"model"},"finishReason":"STOP"}],)"
    R"("usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":1,"totalTokenCount":3}})";

std::string error_body(int code, const char* status, const char* extra_details = "") {
  return std::string(R"({"error":{"code":)") + std::to_string(code) +
         R"(,"message":"m","status":")" + status + R"(","details":[)" + extra_details + "]}}";
}

constexpr const char* per_minute_quota =
    R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m","quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},)"
    R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"})";
constexpr const char* per_day_quota =
    R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"m","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},)"
    R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"})";

struct resilient : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using retry = gemini::retry::exponential;
  using breaker = gemini::breaker::consecutive_failures;
  using limit = gemini::limit::token_bucket;
  using clock = gemini::testing::manual_clock;
};
using resilient_client = basic_client<resilient>;

struct retry_only : policies::defaults {
  using transport = gemini::transport::scripted_transport;
  using retry = gemini::retry::exponential;
  using clock = gemini::testing::manual_clock;
};

}  // namespace

TEST_CASE("retry: 503 then success, with virtual back-off", "[pipeline][unit]") {
  asio::io_context ioc;
  basic_client<retry_only> c(ioc.get_executor(), opts());
  auto t0 = c.clock().now();
  c.transport().push_body(error_body(503, "UNAVAILABLE"), 503);
  c.transport().push_body(error_body(500, "INTERNAL"), 500);
  c.transport().push_body(ok_body);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE(r);
  CHECK(c.transport().calls() == 3);
  CHECK(c.clock().now() > t0);  // backed off (virtually)
}

TEST_CASE("retry: 400 is not retried; max attempts bound the rest", "[pipeline][unit]") {
  asio::io_context ioc;
  basic_client<retry_only> c(ioc.get_executor(), opts());
  c.transport().push_body(error_body(400, "INVALID_ARGUMENT"), 400);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(c.transport().calls() == 1);

  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503);
  });
  auto r2 = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == errc::unavailable);
  CHECK(c.transport().calls() == 1 + 5);  // default max_attempts
}

TEST_CASE("retry: RetryInfo is waited; a per-day quota fails fast", "[pipeline][unit]") {
  asio::io_context ioc;
  basic_client<retry_only> c(ioc.get_executor(), opts());
  auto t0 = c.clock().now();
  c.transport().push_body(error_body(429, "RESOURCE_EXHAUSTED", per_minute_quota), 429);
  c.transport().push_body(ok_body);
  REQUIRE(run(ioc, c.generate(hello())));
  CHECK(c.clock().now() - t0 >= 7s);

  c.transport().push_body(error_body(429, "RESOURCE_EXHAUSTED", per_day_quota), 429);
  c.transport().push_body(ok_body);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::quota_exhausted);
  CHECK(c.transport().calls() == 3);  // no retry until tomorrow
}

TEST_CASE("breaker: opens after failures and fails fast without network", "[pipeline][unit]") {
  asio::io_context ioc;
  struct p : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using breaker = gemini::breaker::consecutive_failures;
    using clock = gemini::testing::manual_clock;
  };
  basic_client<p> c(ioc.get_executor(), opts());
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(error_body(503, "UNAVAILABLE"), 503);
  });
  for (int i = 0; i < 5; ++i) CHECK_FALSE(run(ioc, c.generate(hello())));
  CHECK(c.transport().calls() == 5);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::circuit_open);
  CHECK(c.transport().calls() == 5);  // no network
  c.clock().advance(30s);
  c.transport().set_responder(
      [](const transport::http_request&) { return transport::scripted_reply::ok(ok_body); });
  CHECK(run(ioc, c.generate(hello())));  // half-open probe succeeds
  CHECK(c.circuit_breaker().current(c.clock().now()) == breaker::state::closed);
  // 4xx do not count as failures
  c.transport().set_responder([](const transport::http_request&) {
    return transport::scripted_reply::ok(error_body(400, "INVALID_ARGUMENT"), 400);
  });
  for (int i = 0; i < 10; ++i) CHECK_FALSE(run(ioc, c.generate(hello())));
  CHECK(c.circuit_breaker().current(c.clock().now()) == breaker::state::closed);
}

TEST_CASE("limit: requests wait for the bucket; a 429 pauses it", "[pipeline][unit]") {
  asio::io_context ioc;
  struct p : policies::defaults {
    using transport = gemini::transport::scripted_transport;
    using limit = gemini::limit::token_bucket;
    using clock = gemini::testing::manual_clock;
  };
  basic_client<p> c(ioc.get_executor(), opts());
  limit::token_bucket_options lo;
  lo.requests_per_minute = 2;
  c.limiter().reconfigure(lo);
  c.transport().set_responder(
      [](const transport::http_request&) { return transport::scripted_reply::ok(ok_body); });
  auto t0 = c.clock().now();
  for (int i = 0; i < 3; ++i) REQUIRE(run(ioc, c.generate(hello())));
  CHECK(c.clock().now() - t0 >= 30s);  // the third waited for a refill
  CHECK(c.transport().calls() == 3);
}

TEST_CASE("the full stack composes: retry + breaker + limit", "[pipeline][unit]") {
  asio::io_context ioc;
  resilient_client c(ioc.get_executor(), opts());
  c.transport().push_body(error_body(503, "UNAVAILABLE"), 503);
  c.transport().push_body(ok_body);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE(r);
  CHECK(c.transport().calls() == 2);
  CHECK(c.limiter().in_flight() == 0);  // every grant released
}

TEST_CASE("no-op policies take no space", "[pipeline][unit]") {
  struct bare : policies::defaults {
    using transport = gemini::transport::scripted_transport;
  };
  using plain = basic_client<bare>;
  // The same members without any policy slot.
  struct reference {
    boost::asio::any_io_executor ex;
    client_options opts;
    gemini::transport::scripted_transport t;
    gemini::transport::base_url base;
    std::optional<gemini::error> err;
    std::string generate_target;
  };
  STATIC_REQUIRE(sizeof(plain) == sizeof(reference));
  STATIC_REQUIRE(sizeof(resilient_client) > sizeof(plain));
}

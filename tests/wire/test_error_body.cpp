// Error bodies → gemini::error, and protobuf Duration parsing.
#include <gemini/wire/error_body.hpp>  // first: self-contained

#include "wire_test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

namespace wire = gemini::wire;
using gemini::condition;
using gemini::errc;
using wire_test::fixture;
using namespace std::chrono_literals;

TEST_CASE("parse_duration: protobuf Duration strings", "[wire][unit][error_body]") {
  CHECK(wire::parse_duration("7s") == 7000ms);
  CHECK(wire::parse_duration("58s") == 58000ms);
  CHECK(wire::parse_duration("0s") == 0ms);
  CHECK(wire::parse_duration("0.5s") == 500ms);
  CHECK(wire::parse_duration("45.837906927s") == 45838ms);  // rounded up
  CHECK(wire::parse_duration("1.000000001s") == 1001ms);
  CHECK(wire::parse_duration("1.001s") == 1001ms);
  CHECK(wire::parse_duration("0.0001s") == 1ms);
  CHECK(wire::parse_duration("315576000000s") == std::chrono::milliseconds(315576000000000LL));
  for (const char* bad :
       {"", "s", "7", "-1s", "1.s", ".5s", "1.5.5s", "1e3s", "7 s", " 7s", "7s ", "7S",
        "1.0000000001s", "315576000001s", "9999999999999s", "0x10s", "+5s", "5ms", "1,5s"}) {
    INFO(bad);
    CHECK_FALSE(wire::parse_duration(bad).has_value());
  }
}

TEST_CASE("429 per-minute: RetryInfo, QuotaFailure, Help", "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(429, fixture("error_429_per_minute.json"));
  CHECK(e.code == errc::rate_limited);
  CHECK(e.code == condition::retryable);
  CHECK(e.code == condition::throttled);
  CHECK_FALSE(e.code == condition::quota_exhausted);
  CHECK(e.http_status == 429);
  CHECK(e.status == "RESOURCE_EXHAUSTED");
  CHECK(e.message.rfind("You exceeded your current quota", 0) == 0);
  REQUIRE(e.retry_delay);
  CHECK(*e.retry_delay == 45838ms);
  REQUIRE(e.quota.size() == 1);
  auto const& q = e.quota[0];
  CHECK(q.metric == "generativelanguage.googleapis.com/generate_content_free_tier_requests");
  CHECK(q.id == "GenerateRequestsPerMinutePerProjectPerModel-FreeTier");
  CHECK(q.value == "5");
  CHECK(q.per_minute());
  CHECK_FALSE(q.per_day());
  REQUIRE(q.dimensions.size() == 2);
  CHECK(q.dimensions[0] == std::pair<std::string, std::string>{"location", "global"});
  CHECK(q.dimensions[1] == std::pair<std::string, std::string>{"model", "gemini-2.5-flash"});
  REQUIRE(e.help.size() == 1);
  CHECK(e.help[0].url == "https://ai.google.dev/gemini-api/docs/rate-limits");
  CHECK(e.help[0].description == "Learn more about Gemini API quotas");
  CHECK(e.reason.empty());
}

TEST_CASE("429 per-day: quota_exhausted despite a short RetryInfo", "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(429, fixture("error_429_per_day.json"));
  CHECK(e.code == errc::quota_exhausted);
  CHECK(e.code == condition::quota_exhausted);
  CHECK_FALSE(e.code == condition::retryable);
  CHECK(e.per_day_quota());
  REQUIRE(e.quota.size() == 2);
  CHECK(e.quota[0].value.empty());  // quotaValue absent
  CHECK(e.quota[1].id == "GenerateRequestsPerDayPerProjectPerModel-FreeTier");
  CHECK(e.quota[1].value == "20");
  CHECK(e.retry_delay == 12000ms);  // kept, but the code says do not retry soon
}

TEST_CASE("400 API_KEY_INVALID with ErrorInfo", "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(400, fixture("error_400_api_key_invalid.json"));
  CHECK(e.code == errc::unauthenticated);
  CHECK(e.code == condition::client_error);
  CHECK(e.status == "INVALID_ARGUMENT");
  CHECK(e.reason == "API_KEY_INVALID");
  CHECK(e.domain == "googleapis.com");
  REQUIRE(e.metadata.size() == 1);
  CHECK(e.metadata[0].first == "service");
  CHECK(e.metadata[0].second == "generativelanguage.googleapis.com");
  CHECK(e.message == "API key not valid. Please pass a valid API key.");
  CHECK_FALSE(e.retry_delay);
  CHECK(e.what() ==
        "unauthenticated (missing or invalid API key) (HTTP 400 INVALID_ARGUMENT): API key not "
        "valid. Please pass a valid API key.");
}

TEST_CASE("403 SERVICE_DISABLED with Help", "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(403, fixture("error_403_service_disabled.json"));
  CHECK(e.code == errc::permission_denied);
  CHECK(e.reason == "SERVICE_DISABLED");
  CHECK(e.metadata.size() == 3);
  REQUIRE(e.help.size() == 1);
  CHECK(e.help[0].description == "Google developers console API activation");
  CHECK(e.help[0].url.find("generativelanguage.googleapis.com/overview") != std::string::npos);
}

TEST_CASE("404, 500 and 503 without details", "[wire][unit][error_body]") {
  auto nf = wire::parse_error_body(404, fixture("error_404.json"));
  CHECK(nf.code == errc::not_found);
  CHECK(nf.status == "NOT_FOUND");
  CHECK(nf.message.find("Call ListModels") != std::string::npos);
  CHECK(nf.quota.empty());
  CHECK(nf.help.empty());
  auto ie = wire::parse_error_body(500, fixture("error_500.json"));
  CHECK(ie.code == errc::internal);
  CHECK(ie.code == condition::retryable);
  CHECK(ie.code == condition::server_error);
  CHECK(ie.status == "INTERNAL");
  auto un = wire::parse_error_body(503, fixture("error_503.json"));
  CHECK(un.code == errc::unavailable);
  CHECK(un.message == "The model is overloaded. Please try again later.");
  CHECK(un.http_status == 503);
}

TEST_CASE("array-wrapped error body (JSON-array streaming)", "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(429, fixture("error_array_wrapped.json"));
  CHECK(e.code == errc::rate_limited);
  CHECK(e.status == "RESOURCE_EXHAUSTED");
  CHECK(e.message == "Resource has been exhausted (e.g. check quota).");
  CHECK(e.retry_delay == 7000ms);
}

TEST_CASE("non-JSON and odd bodies fall back to the HTTP status", "[wire][unit][error_body]") {
  auto html = wire::parse_error_body(502, "<html><body>Bad Gateway</body></html>\r\n");
  CHECK(html.code == errc::unavailable);
  CHECK(html.http_status == 502);
  CHECK(html.message == "<html><body>Bad Gateway</body></html>");
  CHECK(html.status.empty());

  auto empty = wire::parse_error_body(504, "");
  CHECK(empty.code == errc::upstream_timeout);
  CHECK(empty.message == "HTTP 504 with an empty body");

  // Long bodies are cut at 512 bytes, on a UTF-8 boundary.
  std::string long_body(511, 'a');
  long_body += "\xC3\xA9";  // 'é' straddles byte 512
  long_body += std::string(1000, 'b');
  auto cut = wire::parse_error_body(500, long_body);
  CHECK(cut.code == errc::internal);
  CHECK(cut.message == std::string(511, 'a') + "...");

  // JSON that is not an error object: the body text is the message.
  auto other = wire::parse_error_body(418, R"({"teapot": true})");
  CHECK(other.code == errc::unknown);
  CHECK(other.message == R"({"teapot": true})");

  // Truncated JSON is treated as text.
  auto trunc = wire::parse_error_body(503, R"({"error": {"code": 503, "mess)");
  CHECK(trunc.code == errc::unavailable);
  CHECK(trunc.message == R"({"error": {"code": 503, "mess)");

  // {"error": "text"} from some gateways.
  auto str = wire::parse_error_body(401, R"({"error": "unauthorized"})");
  CHECK(str.code == errc::unauthenticated);
  CHECK(str.message == "unauthorized");

  // Malformed details are skipped, not fatal.
  auto md = wire::parse_error_body(
      429, R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[7,
      {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"soon"},
      {"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":"none"}]}})");
  CHECK(md.code == errc::rate_limited);
  CHECK_FALSE(md.retry_delay);
  CHECK(md.quota.empty());
}

TEST_CASE("error object inside a 200 stream (http_status 0)", "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(
      0,
      R"({"error": {"code": 499, "message": "The operation was cancelled.", "status": "CANCELLED"}})");
  CHECK(e.http_status == 499);
  CHECK(e.code == errc::cancelled);
  CHECK(e.message == "The operation was cancelled.");
  auto u = wire::parse_error_body(0, R"({"error": {"code": 503, "status": "UNAVAILABLE"}})");
  CHECK(u.code == errc::unavailable);
  // A normal chunk is not an error: empty message, no status.
  auto ok = wire::parse_error_body(0, R"({"candidates": []})");
  CHECK(ok.message.empty());
  CHECK(ok.http_status == 0);
  // The HTTP status wins over the body's code when both are known.
  auto both = wire::parse_error_body(503, R"({"error": {"code": 500, "status": "INTERNAL"}})");
  CHECK(both.http_status == 503);
  CHECK(both.code == errc::unavailable);
}

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

namespace {
std::string retry_info_body(const std::string& delay, const std::string& message = "Quota") {
  return R"({"error":{"code":429,"message":")" + message +
         R"(","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":")" +
         delay + R"("}]}})";
}
}  // namespace

TEST_CASE("RetryInfo: a huge retryDelay is clamped to max_server_delay",
          "[wire][unit][error_body]") {
  auto e = wire::parse_error_body(429, retry_info_body("315576000000s"));
  REQUIRE(e.retry_delay);
  CHECK(*e.retry_delay == gemini::max_server_delay);
  auto f = wire::parse_error_body(429, retry_info_body("86401s"));
  REQUIRE(f.retry_delay);
  CHECK(*f.retry_delay == gemini::max_server_delay);
  auto g = wire::parse_error_body(429, retry_info_body("7s"));
  REQUIRE(g.retry_delay);
  CHECK(*g.retry_delay == 7000ms);
  STATIC_REQUIRE(gemini::max_server_delay == std::chrono::hours(24));
}

TEST_CASE("detail::saturating_add never overflows", "[wire][unit][error_body]") {
  using tp = std::chrono::steady_clock::time_point;
  tp now = tp{} + 1h;
  CHECK(gemini::detail::saturating_add(now, 7s) == now + 7s);
  CHECK(gemini::detail::saturating_add(now, -7s) == now - 7s);
  CHECK(gemini::detail::saturating_add(now, std::chrono::milliseconds::max()) == tp::max());
  CHECK(gemini::detail::saturating_add(tp::max(), 1ms) == tp::max());
  CHECK(gemini::detail::saturating_add(now, std::chrono::milliseconds(315576000000000LL)) ==
        tp::max());
  CHECK(gemini::detail::saturating_add(tp::min(), -1ms) == tp::min());
  CHECK(gemini::detail::saturating_add(now, std::chrono::milliseconds::min()) == tp::min());
  STATIC_REQUIRE(gemini::detail::saturating_add(tp{}, 1ms) == tp{} + 1ms);
}

TEST_CASE("429 without RetryInfo: the delay comes from the message", "[wire][unit][error_body]") {
  auto body = [](const std::string& msg, const std::string& status = "RESOURCE_EXHAUSTED") {
    return R"({"error":{"code":429,"message":")" + msg + R"(","status":")" + status + R"("}})";
  };
  auto e = wire::parse_error_body(
      429, body("You exceeded your current quota, please check your plan and billing details. "
                "Please retry in 41.3s."));
  CHECK(e.code == errc::rate_limited);
  REQUIRE(e.retry_delay);
  CHECK(*e.retry_delay == 41300ms);
  CHECK(wire::parse_error_body(429, body("Please retry in 41.319911917s.")).retry_delay == 41320ms);
  CHECK(wire::parse_error_body(429, body("retry in 350ms")).retry_delay == 350ms);
  CHECK(wire::parse_error_body(429, body("Retry in 2m.")).retry_delay == 120000ms);
  CHECK(wire::parse_error_body(429, body("Please try again in 20s.")).retry_delay == 20000ms);
  // RESOURCE_EXHAUSTED without an HTTP status (an error object inside a 200 stream)
  CHECK(
      wire::parse_error_body(
          0,
          R"({"error":{"code":429,"message":"Please retry in 3s.","status":"RESOURCE_EXHAUSTED"}})")
          .retry_delay == 3000ms);
  // huge: clamped
  CHECK(wire::parse_error_body(429, body("Please retry in 99999999999999s.")).retry_delay ==
        gemini::max_server_delay);
  // RetryInfo wins over the message
  CHECK(wire::parse_error_body(429, retry_info_body("7s", "Please retry in 41.3s.")).retry_delay ==
        7000ms);
  // not a 429: the message is not read
  CHECK_FALSE(
      wire::parse_error_body(
          503, R"({"error":{"code":503,"message":"Please retry in 5s.","status":"UNAVAILABLE"}})")
          .retry_delay);
  // no number, or no hint
  CHECK_FALSE(wire::parse_error_body(429, body("Please retry in a while.")).retry_delay);
  CHECK_FALSE(wire::parse_error_body(429, body("Quota exceeded.")).retry_delay);
  CHECK_FALSE(wire::parse_error_body(429, body("Please retry in 5 parsecs.")).retry_delay);
}

TEST_CASE("apply_retry_after: delay-seconds and HTTP-dates", "[wire][unit][error_body]") {
  using std::chrono::system_clock;
  // Sun, 06 Nov 1994 08:49:37 GMT
  system_clock::time_point t0 = system_clock::from_time_t(784111777);
  auto apply = [&](std::string_view v, std::optional<std::chrono::milliseconds> before = {}) {
    gemini::error e(errc::rate_limited);
    e.retry_delay = before;
    wire::apply_retry_after(e, v, t0);
    return e.retry_delay;
  };
  CHECK(apply("120") == 120000ms);
  CHECK(apply(" 0 ") == 0ms);
  CHECK(apply("Sun, 06 Nov 1994 08:50:07 GMT") == 30000ms);
  CHECK(apply("Mon, 07 Nov 1994 08:49:36 GMT") == 86399000ms);
  CHECK(apply("Sunday, 06-Nov-94 08:49:47 GMT") == 10000ms);  // rfc850
  CHECK(apply("Sun Nov  6 08:49:57 1994") == 20000ms);        // asctime
  CHECK(apply("Sun, 06 Nov 1994 08:49:37 GMT") == 0ms);       // now
  // clamped
  CHECK(apply("999999999999999") == gemini::max_server_delay);
  CHECK(apply("Fri, 01 Jan 2100 00:00:00 GMT") == gemini::max_server_delay);
  // ignored: garbage, negative, past dates, fractional seconds
  for (std::string_view bad : {"", "soon", "-5", "1.5", "5s", "Sun, 06 Nov 1994 08:49:36 GMT",
                               "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 25:49:37 GMT",
                               "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 PST"})
    CHECK_FALSE(apply(bad));
  // RetryInfo (already set) wins
  CHECK(apply("120", 7000ms) == 7000ms);
}

#include <gemini/error.hpp>

#include <memory>

#include <catch2/catch.hpp>

using gemini::condition;
using gemini::errc;

TEST_CASE("error codes map HTTP and Google status", "[error][unit]") {
  CHECK(gemini::errc_from_http(400, "INVALID_ARGUMENT") == errc::invalid_argument);
  CHECK(gemini::errc_from_http(400, "FAILED_PRECONDITION") == errc::failed_precondition);
  CHECK(gemini::errc_from_http(400, "INVALID_ARGUMENT", false, "API_KEY_INVALID") ==
        errc::unauthenticated);
  CHECK(gemini::errc_from_http(403, "PERMISSION_DENIED") == errc::permission_denied);
  CHECK(gemini::errc_from_http(404, "NOT_FOUND") == errc::not_found);
  CHECK(gemini::errc_from_http(429, "RESOURCE_EXHAUSTED") == errc::rate_limited);
  CHECK(gemini::errc_from_http(429, "RESOURCE_EXHAUSTED", true) == errc::quota_exhausted);
  CHECK(gemini::errc_from_http(500, "INTERNAL") == errc::internal);
  CHECK(gemini::errc_from_http(503, "UNAVAILABLE") == errc::unavailable);
  CHECK(gemini::errc_from_http(504, "DEADLINE_EXCEEDED") == errc::upstream_timeout);
  CHECK(gemini::errc_from_http(599) == errc::internal);
  CHECK(gemini::errc_from_http(418) == errc::unknown);
  CHECK(gemini::errc_from_http(0, "UNAVAILABLE") == errc::unavailable);
}

TEST_CASE("conditions classify codes", "[error][unit]") {
  gemini::error_code rl = errc::rate_limited;
  CHECK(rl == condition::retryable);
  CHECK(rl == condition::throttled);
  CHECK(rl != condition::quota_exhausted);
  gemini::error_code q = errc::quota_exhausted;
  CHECK(q != condition::retryable);
  CHECK(q == condition::quota_exhausted);
  gemini::error_code bad = errc::invalid_argument;
  CHECK(bad == condition::client_error);
  CHECK(bad != condition::retryable);
  gemini::error_code blocked = errc::content_blocked;
  CHECK(blocked != condition::retryable);
  gemini::error_code asio_cancel =
      boost::system::errc::make_error_code(boost::system::errc::operation_canceled);
  CHECK(asio_cancel == condition::cancelled);
  CHECK(gemini::error_code(errc::transport) == condition::network);
  CHECK(gemini::error_code(errc::unavailable) == condition::server_error);
  CHECK(std::string(gemini::error_code(errc::circuit_open).category().name()) == "gemini");
}

TEST_CASE("quota violations know per-day from per-minute", "[error][unit]") {
  gemini::quota_violation day{
      "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
      "GenerateRequestsPerDayPerProjectPerModel",
      {},
      "250"};
  gemini::quota_violation minute{
      "generativelanguage.googleapis.com/generate_content_free_tier_requests",
      "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
      {},
      "5"};
  CHECK(day.per_day());
  CHECK_FALSE(day.per_minute());
  CHECK(minute.per_minute());
  CHECK_FALSE(minute.per_day());
  gemini::error e(errc::rate_limited, "x");
  e.quota = {minute};
  CHECK_FALSE(e.per_day_quota());
  e.quota.push_back(day);
  CHECK(e.per_day_quota());
}

TEST_CASE("result holds a value or an error", "[error][unit]") {
  gemini::result<int> ok = 42;
  REQUIRE(ok);
  CHECK(*ok == 42);
  CHECK(ok.value() == 42);
  gemini::result<int> bad = gemini::error(errc::not_found, "models/x is not found");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == errc::not_found);
  CHECK_THROWS_AS(bad.value(), gemini::exception);
  try {
    (void)bad.value();
  } catch (const gemini::exception& ex) {
    CHECK(ex.error().message == "models/x is not found");
    CHECK(ex.code() == errc::not_found);
  }
  gemini::error e(errc::rate_limited, "slow down");
  e.http_status = 429;
  e.status = "RESOURCE_EXHAUSTED";
  CHECK(e.what() == "rate limited (HTTP 429 RESOURCE_EXHAUSTED): slow down");
  gemini::result<void> v;
  CHECK(v);
  gemini::result<void> ve = errc::transport;
  CHECK_FALSE(ve);
  CHECK_THROWS(ve.value());
}

// ---- result<T> monadic helpers (std::expected style) ------------------------------------

namespace {
gemini::result<int> parse_positive(int v) {
  if (v <= 0) return gemini::error(gemini::errc::invalid_argument, "not positive");
  return v;
}
}  // namespace

TEST_CASE("result::value_or gives the value or the fallback", "[error][unit][result]") {
  gemini::result<std::string> ok(std::string("yes"));
  gemini::result<std::string> bad(gemini::errc::unavailable, "down");
  CHECK(ok.value_or("no") == "yes");
  CHECK(bad.value_or("no") == "no");
  CHECK(std::move(ok).value_or("no") == "yes");
}

TEST_CASE("result::and_then chains calls and keeps the first error", "[error][unit][result]") {
  auto r = parse_positive(3).and_then([](int v) { return parse_positive(v - 5); });
  REQUIRE_FALSE(r);
  CHECK(r.error().code == gemini::errc::invalid_argument);
  auto ok = parse_positive(3).and_then([](int v) { return parse_positive(v * 2); });
  REQUIRE(ok);
  CHECK(*ok == 6);
  int calls = 0;
  auto skipped = gemini::result<int>(gemini::errc::unavailable).and_then([&](int v) {
    ++calls;
    return parse_positive(v);
  });
  CHECK(calls == 0);
  CHECK(skipped.error().code == gemini::errc::unavailable);
}

TEST_CASE("result::transform maps the value, or_else handles the error", "[error][unit][result]") {
  auto len = gemini::result<std::string>(std::string("four")).transform([](const std::string& s) {
    return s.size();
  });
  static_assert(std::is_same_v<decltype(len), gemini::result<std::size_t>>);
  REQUIRE(len);
  CHECK(*len == 4);
  auto none =
      gemini::result<std::string>(gemini::errc::not_found).transform([](const std::string& s) {
        return s.size();
      });
  CHECK(none.error().code == gemini::errc::not_found);

  auto recovered = gemini::result<int>(gemini::errc::unavailable, "down")
                       .or_else([](const gemini::error& e) -> gemini::result<int> {
                         return e.code == gemini::errc::unavailable ? 42 : -1;
                       });
  REQUIRE(recovered);
  CHECK(*recovered == 42);
  auto kept =
      parse_positive(7).or_else([](const gemini::error&) -> gemini::result<int> { return 0; });
  CHECK(*kept == 7);

  auto relabeled =
      gemini::result<int>(gemini::errc::internal, "x").transform_error([](gemini::error e) {
        e.message = "while ranking: " + e.message;
        return e;
      });
  CHECK(relabeled.error().message == "while ranking: x");

  gemini::result<void> v = parse_positive(1).transform([](int) {});
  CHECK(v);
  auto after_void = gemini::result<void>().and_then([] { return parse_positive(2); });
  CHECK(*after_void == 2);
  auto void_err = gemini::result<void>(gemini::errc::cancelled).transform([] { return 1; });
  CHECK(void_err.error().code == gemini::errc::cancelled);
}

TEST_CASE("result::error_or and a moved-from chain keep move-only values",
          "[error][unit][result]") {
  auto p = gemini::result<std::unique_ptr<int>>(std::make_unique<int>(5))
               .transform([](std::unique_ptr<int> q) { return *q + 1; });
  CHECK(*p == 6);
  CHECK(gemini::result<int>(1).error_or(gemini::errc::unknown).code == gemini::errc::unknown);
  CHECK(gemini::result<int>(gemini::errc::tls).error_or(gemini::errc::unknown).code ==
        gemini::errc::tls);
}

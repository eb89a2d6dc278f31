// The client over the scripted transport: request shape, error mapping, streaming assembly.
#include <gemini/client.hpp>
#include <gemini/transport/scripted.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <catch2/catch.hpp>

#include "async_test.hpp"

namespace asio = boost::asio;
using namespace gemini;
using gemini::test::run;
using gemini::test::store;

namespace {

struct scripted_policies : policies::defaults {
  using transport = gemini::transport::scripted_transport;
};
using scripted_client = basic_client<scripted_policies>;

client_options test_options() {
  client_options o;
  o.key = api_key("secret-key-123");
  o.base_url = "http://127.0.0.1:1/v1beta";
  o.model = "gemini-2.5-flash";
  return o;
}

wire::generate_content_request hello() {
  wire::generate_content_request r;
  r.contents.push_back(wire::content::user("Hello"));
  return r;
}

constexpr const char* ok_body =
    R"({"candidates":[{"content":{"parts":[{"text":"Hi there"}],"role":"model"},"finishReason":"STOP","index":0}],)"
    R"("usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":3,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash","responseId":"abc"})";

}  // namespace

TEST_CASE("generate sends the documented request and parses the answer", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  c.transport().push_body(ok_body);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE(r);
  CHECK(r->text() == "Hi there");
  CHECK(r->usage.total_token_count == 5);
  REQUIRE(c.transport().calls() == 1);
  auto const& req = c.transport().requests()[0];
  CHECK(req.method == "POST");
  CHECK(req.target == "/v1beta/models/gemini-2.5-flash:generateContent");
  CHECK(req.origin.host == "127.0.0.1");
  bool has_key = false;
  for (auto const& h : req.headers)
    if (h.name == "x-goog-api-key") has_key = h.value == "secret-key-123";
  CHECK(has_key);
  CHECK(req.body.find("\"contents\"") != std::string::npos);
  CHECK(req.body.find("Hello") != std::string::npos);
}

TEST_CASE("per-call model override and tuned models", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  c.transport().push_body(ok_body);
  c.transport().push_body(ok_body);
  call_options o;
  o.model = "gemini-2.5-pro";
  REQUIRE(run(ioc, c.generate(hello(), o)));
  o.model = "tunedModels/my-model";
  REQUIRE(run(ioc, c.generate(hello(), o)));
  CHECK(c.transport().requests()[0].target == "/v1beta/models/gemini-2.5-pro:generateContent");
  CHECK(c.transport().requests()[1].target == "/v1beta/tunedModels/my-model:generateContent");
}

TEST_CASE("error bodies become typed errors", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  c.transport().push_body(
      R"({"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[)"
      R"({"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaMetric":"generativelanguage.googleapis.com/generate_content_free_tier_requests","quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier","quotaValue":"20"}]},)"
      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}})",
      429);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::quota_exhausted);
  CHECK(r.error().http_status == 429);
  CHECK(r.error().retry_delay == std::chrono::milliseconds(7000));
  CHECK(r.error().per_day_quota());
}

TEST_CASE("bad input is refused locally with a clear error", "[client][unit]") {
  asio::io_context ioc;
  auto opts = test_options();
  opts.max_request_bytes = 1000;
  scripted_client c(ioc.get_executor(), opts);
  wire::generate_content_request empty;
  auto r1 = run(ioc, c.generate(empty));
  REQUIRE_FALSE(r1);
  CHECK(r1.error().code == errc::invalid_argument);

  auto bad = hello();
  bad.contents[0].parts[0].text = std::string("caf\xC3", 4);  // truncated UTF-8 sequence
  auto r2 = run(ioc, c.generate(bad));
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == errc::invalid_utf8);
  CHECK(r2.error().message.find("contents[0].parts[0]") != std::string::npos);

  auto big = hello();
  big.contents[0].parts[0].text = std::string(5000, 'x');
  auto r3 = run(ioc, c.generate(big));
  REQUIRE_FALSE(r3);
  CHECK(r3.error().code == errc::payload_too_large);
  CHECK(c.transport().calls() == 0);  // nothing reached the network
}

TEST_CASE("bad configuration is reported by every call, never thrown", "[client][unit]") {
  asio::io_context ioc;
  auto opts = test_options();
  opts.base_url = "generativelanguage.googleapis.com";  // no scheme
  scripted_client c(ioc.get_executor(), opts);
  auto r = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::bad_configuration);
  CHECK(c.transport().calls() == 0);
}

TEST_CASE("malformed success bodies are malformed_response", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  c.transport().push_body(R"({"candidates": [ {"content": )");
  c.transport().push_body(R"({"candidates": "not an array"})");
  auto r1 = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r1);
  CHECK(r1.error().code == errc::malformed_response);
  auto r2 = run(ioc, c.generate(hello()));
  REQUIRE_FALSE(r2);
  CHECK(r2.error().code == errc::malformed_response);
  CHECK(r2.error().message.find("candidates") != std::string::npos);
}

namespace {
std::string sse_event(const std::string& text, bool last) {
  std::string json =
      R"({"candidates": [{"content": {"parts": [{"text": ")" + text + R"("}],"role": "model"})" +
      (last ? R"(,"finishReason": "STOP")" : "") +
      R"(,"index": 0}],"usageMetadata": {"promptTokenCount": 2,"candidatesTokenCount": )" +
      std::string(last ? "4" : "2") + R"(,"totalTokenCount": )" + (last ? "6" : "4") +
      R"(},"modelVersion": "gemini-2.5-flash"})";
  return "data: " + json + "\r\n\r\n";
}
}  // namespace

TEST_CASE("stream delivers chunks and assembles the final response", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  transport::scripted_reply reply;
  std::string all = sse_event("Hel", false) + sse_event("lo!", true);
  // Split at awkward places: inside "data:" and inside the CRLF pair.
  reply.chunks = {all.substr(0, 3), all.substr(3, 40), all.substr(43, all.size() - 44),
                  all.substr(all.size() - 1)};
  c.transport().push(reply);
  std::vector<std::string> seen;
  auto r = run(ioc, c.stream(hello(), [&](const wire::generate_content_response& chunk) {
    seen.push_back(chunk.text());
  }));
  REQUIRE(r);
  CHECK(seen == std::vector<std::string>{"Hel", "lo!"});
  CHECK(r->text() == "Hello!");
  CHECK(r->usage.total_token_count == 6);
  CHECK(c.transport().requests()[0].target ==
        "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
}

TEST_CASE("a stream cut mid-way reports an error and keeps the partial text", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  SECTION("connection failure after a chunk") {
    transport::scripted_reply reply;
    reply.chunks = {sse_event("Partial ", false)};
    reply.fail_after = gemini::error(errc::truncated_stream, "the connection closed mid-stream");
    c.transport().push(reply);
    auto r = run(ioc, c.stream(hello(), [](const wire::generate_content_response&) {}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::truncated_stream);
    CHECK(r.error().partial_text == "Partial ");
  }
  SECTION("clean end without finishReason") {
    transport::scripted_reply reply;
    reply.chunks = {sse_event("Half", false)};
    c.transport().push(reply);
    auto r = run(ioc, c.stream(hello(), [](const wire::generate_content_response&) {}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::truncated_stream);
    CHECK(r.error().partial_text == "Half");
  }
  SECTION("an error object after data events") {
    transport::scripted_reply reply;
    reply.chunks = {sse_event("Some", false),
                    "{\n  \"error\": {\n    \"code\": 503,\n    \"message\": \"The model is "
                    "overloaded.\",\n    \"status\": \"UNAVAILABLE\"\n  }\n}\n"};
    c.transport().push(reply);
    auto r = run(ioc, c.stream(hello(), [](const wire::generate_content_response&) {}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::unavailable);
    CHECK(r.error().partial_text == "Some");
  }
}

TEST_CASE("a non-2xx stream answer is parsed as an error body", "[client][unit]") {
  asio::io_context ioc;
  scripted_client c(ioc.get_executor(), test_options());
  c.transport().push_body(
      "{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"API key not valid. Please pass a "
      "valid API key.\",\n    \"status\": \"INVALID_ARGUMENT\",\n    \"details\": [{\"@type\": "
      "\"type.googleapis.com/google.rpc.ErrorInfo\", \"reason\": \"API_KEY_INVALID\", "
      "\"domain\": \"googleapis.com\"}]\n  }\n}\n",
      400);
  auto r = run(ioc, c.stream(hello(), [](const wire::generate_content_response&) {}));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unauthenticated);
  CHECK(r.error().reason == "API_KEY_INVALID");
}

TEST_CASE("the API key never appears in printed options or errors", "[client][unit]") {
  auto o = test_options();
  std::ostringstream os;
  os << o;
  CHECK(os.str().find("secret-key-123") == std::string::npos);
  CHECK(os.str().find("<redacted>") != std::string::npos);
}

TEST_CASE("the all-default client adds nothing but the transport and its config",
          "[client][unit]") {
  using plain = basic_client<scripted_policies>;
  struct same_choices : policies::defaults {
    using transport = gemini::transport::scripted_transport;
  };
  STATIC_REQUIRE(std::is_same_v<plain, basic_client<same_choices>>);
  STATIC_REQUIRE(sizeof(cache::none) == 1);
}

// The request head https_transport writes itself (detail::format_head) against the bytes
// Beast's serializer writes for the same message, and its refusal of requests that would
// break the HTTP framing.
#include <gemini/transport/https.hpp>

#include <catch2/catch.hpp>

#include <sstream>

using namespace gemini::transport;
namespace http = boost::beast::http;

namespace {

http_request sample() {
  http_request r;
  r.origin = {false, "127.0.0.1", 8080};
  r.target = "/v1beta/models/gemini-2.5-flash:generateContent";
  r.body = R"({"contents":[{"parts":[{"text":"hi"}]}]})";
  r.headers = {{"x-goog-api-key", "k"}, {"x-goog-api-client", "gemini-cxx/0.1"}};
  return r;
}

// What the transport sent before it formatted heads itself: a Beast message, serialized.
std::string beast_bytes(const http_request& req, const std::string& user_agent) {
  http::request<http::string_body> r;
  r.method_string(req.method);
  r.target(req.target);
  r.version(11);
  r.set(http::field::host, req.origin.host_port());
  r.set(http::field::user_agent, user_agent);
  for (auto& h : req.headers) r.set(h.name, h.value);
  if (req.method != "GET" || !req.body.empty()) {
    if (r.find(http::field::content_type) == r.end())
      r.set(http::field::content_type, "application/json");
    r.body() = req.body;
  }
  r.keep_alive(true);
  r.prepare_payload();
  std::ostringstream os;
  os << r;
  return os.str();
}

std::string head_of(const http_request& req, const std::string& ua = "gemini-cxx/0.1") {
  std::string out = "stale bytes the formatter must clear";
  auto err = detail::format_head(out, req, ua);
  REQUIRE_FALSE(err);
  return out;
}

}  // namespace

TEST_CASE("the formatted head plus the body are the bytes Beast would send", "[transport][unit]") {
  SECTION("POST with a body") {
    auto req = sample();
    CHECK(head_of(req) + req.body == beast_bytes(req, "gemini-cxx/0.1"));
  }
  SECTION("POST with an empty body still says Content-Length: 0") {
    auto req = sample();
    req.body.clear();
    CHECK(head_of(req) == beast_bytes(req, "gemini-cxx/0.1"));
    CHECK(head_of(req).find("Content-Length: 0\r\n") != std::string::npos);
  }
  SECTION("GET without a body has no Content-Type or Content-Length") {
    auto req = sample();
    req.method = "GET";
    req.target = "/v1beta/models";
    req.body.clear();
    auto head = head_of(req);
    CHECK(head == beast_bytes(req, "gemini-cxx/0.1"));
    CHECK(head.find("Content-") == std::string::npos);
  }
  SECTION("a given Content-Type and User-Agent replace the defaults") {
    auto req = sample();
    req.headers.push_back({"content-type", "text/plain"});
    req.headers.push_back({"User-Agent", "mine/1"});
    auto head = head_of(req);  // the same fields as Beast's, in another order
    CHECK(head.find("application/json") == std::string::npos);
    CHECK(head.find("gemini-cxx/0.1\r\nUser") == std::string::npos);
    CHECK(head.find("User-Agent: mine/1\r\n") != std::string::npos);
  }
  SECTION("of two headers with one name (any case) the later is sent") {
    auto req = sample();
    req.headers.push_back({"X-Goog-Api-Key", "second"});
    auto head = head_of(req);
    CHECK(head.find("x-goog-api-key: k\r\n") == std::string::npos);
    CHECK(head.find("X-Goog-Api-Key: second\r\n") != std::string::npos);
  }
  SECTION("a Content-Length header given by the caller is ignored: it is computed") {
    auto req = sample();
    req.headers.push_back({"Content-Length", "1"});
    auto head = head_of(req);
    CHECK(head.find("Content-Length: 1\r\n") == std::string::npos);
    CHECK(head.find("Content-Length: " + std::to_string(req.body.size()) + "\r\n") !=
          std::string::npos);
  }
}

TEST_CASE("Host is the origin's authority, IPv6 literals in brackets", "[transport][unit]") {
  auto req = sample();
  CHECK(head_of(req).find("\r\nHost: 127.0.0.1:8080\r\n") != std::string::npos);
  req.origin = {true, "generativelanguage.googleapis.com", 443};
  CHECK(head_of(req).find("\r\nHost: generativelanguage.googleapis.com\r\n") != std::string::npos);
  req.origin = {false, "::1", 9000};
  CHECK(head_of(req).find("\r\nHost: [::1]:9000\r\n") != std::string::npos);
  req.origin = {true, "::1", 443};
  CHECK(req.origin.host_port() == "[::1]");
  std::string authority;
  req.origin.append_host_port(authority, /*with_default_port=*/true);
  CHECK(authority == "[::1]:443");
}

TEST_CASE("a request that would break the HTTP framing is refused before any I/O",
          "[transport][unit]") {
  auto refused = [](const http_request& req) {
    std::string out;
    auto err = detail::format_head(out, req, "gemini-cxx/0.1");
    REQUIRE(err);
    CHECK(err->code == gemini::errc::invalid_argument);
    return err->message;
  };
  auto req = sample();
  SECTION("a line break in a header value (an API key read with its newline)") {
    req.headers[0].value = "key\r\nX-Injected: 1";
    auto msg = refused(req);
    CHECK(msg.find("x-goog-api-key") != std::string::npos);
    CHECK(msg.find("X-Injected") == std::string::npos);  // the value (a secret) is not echoed
  }
  SECTION("a bare LF or a NUL in a header value") {
    req.headers[1].value = "a\nb";
    refused(req);
    req.headers[1].value = std::string("a\0b", 3);
    refused(req);
  }
  SECTION("a header name that is not a token") {
    req.headers.push_back({"Bad Name", "v"});
    refused(req);
    req.headers.back().name = "Colon:";
    refused(req);
    req.headers.back().name = "";
    refused(req);
  }
  SECTION("a target with a space or a line break, or not starting with '/'") {
    req.target = "/a b";
    refused(req);
    req.target = "/a\r\nHost: evil";
    refused(req);
    req.target = "v1beta/models";
    refused(req);
  }
  SECTION("a method that is not a token") {
    req.method = "POST /x";
    refused(req);
  }
}

TEST_CASE("a User-Agent with a line break is a configuration error", "[transport][unit]") {
  boost::asio::io_context ioc;
  https_options o;
  o.proxy = proxy_settings{};
  o.user_agent = "agent\r\nX-Injected: 1";
  https_transport t(ioc.get_executor(), o);
  REQUIRE(t.configuration_error());
  CHECK(t.configuration_error()->code == gemini::errc::bad_configuration);
}

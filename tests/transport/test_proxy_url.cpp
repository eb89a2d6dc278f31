#include <gemini/transport/proxy.hpp>

#include <catch2/catch.hpp>

using namespace gemini::transport;

TEST_CASE("base URLs parse into origin and path", "[transport][unit]") {
  auto g = parse_base_url("https://generativelanguage.googleapis.com/v1beta/");
  REQUIRE(g);
  CHECK(g->origin.tls);
  CHECK(g->origin.host == "generativelanguage.googleapis.com");
  CHECK(g->origin.port == 443);
  CHECK(g->path == "/v1beta");
  CHECK(g->origin.host_port() == "generativelanguage.googleapis.com");

  auto l = parse_base_url("http://127.0.0.1:8080");
  REQUIRE(l);
  CHECK_FALSE(l->origin.tls);
  CHECK(l->origin.port == 8080);
  CHECK(l->path.empty());
  CHECK(l->origin.host_port() == "127.0.0.1:8080");

  auto v6 = parse_base_url("https://[::1]:9443/v1");
  REQUIRE(v6);
  CHECK(v6->origin.host == "::1");
  CHECK(v6->origin.port == 9443);

  for (const char* bad :
       {"ftp://x", "https://", "https://h:0", "https://h:99999", "https://h:x", "https://u:p@h/",
        "https://h/?q=1", "generativelanguage.googleapis.com", "https://[::1"}) {
    INFO(bad);
    auto r = parse_base_url(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == gemini::errc::bad_configuration);
  }
}

TEST_CASE("NO_PROXY decides which origins bypass the proxy", "[transport][unit]") {
  proxy_settings s;
  auto p = proxy_settings::parse_proxy_url("proxy.corp:3128", nullptr);
  REQUIRE(p);
  s.https_proxy = *p;
  s.no_proxy =
      proxy_settings::split_no_proxy(" localhost, .internal.example ,10.0.0.1,api.test:8443");
  REQUIRE(s.no_proxy.size() == 4);
  origin google{true, "generativelanguage.googleapis.com", 443};
  CHECK(s.proxy_for(google));
  CHECK(s.proxy_for(google)->origin.host == "proxy.corp");
  CHECK_FALSE(s.proxy_for(origin{true, "LOCALHOST", 443}));
  CHECK_FALSE(s.proxy_for(origin{true, "a.internal.example", 443}));
  CHECK_FALSE(s.proxy_for(origin{true, "internal.example", 443}));
  CHECK(s.proxy_for(origin{true, "notinternal.example", 443}));
  CHECK_FALSE(s.proxy_for(origin{true, "10.0.0.1", 443}));
  CHECK_FALSE(s.proxy_for(origin{true, "api.test", 8443}));
  CHECK(s.proxy_for(origin{true, "api.test", 443}));
  // No http proxy configured: plain-HTTP origins go direct.
  CHECK_FALSE(s.proxy_for(origin{false, "example.com", 80}));
  s.no_proxy = {"*"};
  CHECK_FALSE(s.proxy_for(google));
}

TEST_CASE("proxy URLs carry credentials into a Basic header, never into errors",
          "[transport][unit]") {
  std::string auth;
  auto p = proxy_settings::parse_proxy_url("http://Aladdin:open sesame@proxy:8080", &auth);
  REQUIRE(p);
  CHECK(p->origin.host == "proxy");
  CHECK(p->origin.port == 8080);
  CHECK(auth == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  auto bad = proxy_settings::parse_proxy_url("http://user:secret@:x", &auth);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().message.find("secret") == std::string::npos);
  CHECK_FALSE(proxy_settings::parse_proxy_url("https://proxy:443", nullptr));
  auto dflt = proxy_settings::parse_proxy_url("http://proxy", nullptr);
  REQUIRE(dflt);
  CHECK(dflt->origin.port == 3128);
}

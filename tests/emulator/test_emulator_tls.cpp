// Emulator in TLS mode and the run-time certificate authority.
#include <gemini/testing/emulator.hpp>

#include "emulator/raw_http.hpp"

#include <catch2/catch.hpp>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

namespace json = boost::json;
namespace ssl = boost::asio::ssl;
using emutest::raw_client;
using gemini::testing::emulator;
using gemini::testing::emulator_options;

namespace {

ssl::context trusting(const std::string& ca_pem) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  if (!ca_pem.empty()) ctx.add_certificate_authority(boost::asio::buffer(ca_pem));
  return ctx;
}

const std::string body = R"({"contents":[{"role":"user","parts":[{"text":"hello"}]}]})";
const std::string gen = "/v1beta/models/gemini-2.5-flash:generateContent";

}  // namespace

TEST_CASE("certificate authority issues loopback certificates", "[emulator][tls]") {
  gemini::testing::certificate_authority ca;
  auto leaf = ca.issue(gemini::testing::certificate_authority::loopback_names("127.0.0.1"));
  CHECK(ca.certificate_pem().rfind("-----BEGIN CERTIFICATE-----", 0) == 0);
  CHECK(leaf.private_key_pem.find("PRIVATE KEY-----") != std::string::npos);

  BIO* b =
      BIO_new_mem_buf(leaf.certificate_pem.data(), static_cast<int>(leaf.certificate_pem.size()));
  X509* cert = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  REQUIRE(cert != nullptr);
  CHECK(X509_check_ip_asc(cert, "127.0.0.1", 0) == 1);
  CHECK(X509_check_host(cert, "localhost", 0, 0, nullptr) == 1);
  CHECK(X509_check_host(cert, "example.com", 0, 0, nullptr) == 0);
  X509_free(cert);

  auto other = gemini::testing::make_test_certificates("wrong.example");
  CHECK(other.ca_pem != ca.certificate_pem());
}

TEST_CASE("TLS mode: trusted CA and host name check succeed", "[emulator][tls]") {
  emulator_options o;
  o.tls = true;
  emulator emu(o);
  CHECK(emu.base_url() == "https://127.0.0.1:" + std::to_string(emu.port()));
  REQUIRE(!emu.ca_certificate_pem().empty());
  auto ctx = trusting(emu.ca_certificate_pem());
  raw_client c(emu.port(), ctx, "127.0.0.1");
  REQUIRE(!c.connect_ec);
  REQUIRE(!c.handshake_ec);
  auto r = c.post(gen, body);
  CHECK(r.status == 200);
  CHECK(!r.json().at("candidates").as_array().empty());
  // SSE over TLS, same connection
  auto s = c.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body);
  CHECK(s.status == 200);
  std::vector<std::string> ev;
  CHECK(emutest::split_sse(s.body, ev));
  CHECK(!ev.empty());
  CHECK(emu.connections() == 1);
  CHECK(SSL_version(c.native()) >= TLS1_2_VERSION);

  raw_client by_name(emu.port(), ctx, "localhost");
  CHECK(by_name.ok());
  CHECK(by_name.post(gen, body).status == 200);

  // faults work over TLS too
  emu.push_fault(gemini::testing::fault_kind::cut_mid_stream);
  auto cut = c.post("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", body);
  CHECK(cut.ec);
  CHECK(cut.header_done);
}

TEST_CASE("TLS mode: untrusted CA or wrong host name fail", "[emulator][tls]") {
  emulator_options o;
  o.tls = true;
  emulator emu(o);
  auto system_only = trusting("");
  raw_client untrusted(emu.port(), system_only, "127.0.0.1");
  CHECK(untrusted.handshake_ec);

  auto other_ca = trusting(gemini::testing::make_test_certificates().ca_pem);
  raw_client wrong_ca(emu.port(), other_ca, "127.0.0.1");
  CHECK(wrong_ca.handshake_ec);

  emulator_options m;
  m.tls = true;
  m.tls_host = "wrong.example";
  emulator mismatch(m);
  auto ctx = trusting(mismatch.ca_certificate_pem());
  raw_client bad_name(mismatch.port(), ctx, "127.0.0.1");
  CHECK(bad_name.handshake_ec);
  raw_client right_name(mismatch.port(), ctx, "wrong.example");
  CHECK(right_name.ok());

  // Plain HTTP against the TLS port does not get an HTTP answer.
  raw_client plain(emu.port(), std::chrono::seconds(2));
  auto r = plain.post(gen, body);
  CHECK(r.ec);
}

TEST_CASE("TLS mode: stop() with open and stalled connections", "[emulator][tls]") {
  emulator_options o;
  o.tls = true;
  emulator emu(o);
  auto ctx = trusting(emu.ca_certificate_pem());
  raw_client idle(emu.port(), ctx, "127.0.0.1");
  REQUIRE(idle.ok());
  CHECK(idle.post(gen, body).status == 200);
  emu.push_fault(gemini::testing::fault_kind::stall_first_byte);
  raw_client stalled(emu.port(), ctx, "127.0.0.1");
  REQUIRE(stalled.ok());
  auto t0 = emu.requests();
  REQUIRE(!stalled.send(boost::beast::http::verb::post, gen, body));
  for (int i = 0; i < 2000 && emu.requests() == t0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  CHECK(emu.close_idle_connections() == 1);  // only the idle one
  CHECK(idle.peer_closed());
  emu.stop();
  auto r = stalled.read_response();
  CHECK(r.ec);
  CHECK(r.ec != boost::asio::error::timed_out);
}

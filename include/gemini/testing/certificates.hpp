// gemini-cxx — testing::certificate_authority: a throw-away certificate authority generated
// at run time (OpenSSL 3 EVP / X509 APIs) that issues server certificates for loopback tests.
//
//   gemini::testing::certificate_authority ca;                 // new EC P-256 CA, valid 2 days
//   auto leaf = ca.issue({"127.0.0.1", "localhost"});           // SAN IP:127.0.0.1, DNS:localhost
//   ssl_ctx.use_certificate_chain(asio::buffer(leaf.certificate_pem));
//   ssl_ctx.use_private_key(asio::buffer(leaf.private_key_pem), asio::ssl::context::pem);
//   client_ctx.add_certificate_authority(asio::buffer(ca.certificate_pem()));
//
// Names that parse as an IPv4/IPv6 address become `IP:` subjectAltName entries, all other
// names `DNS:` entries. Issuing for another name ("wrong.example") gives a certificate that a
// client connecting to 127.0.0.1 with host-name verification must reject.
//
// Thread safety: a certificate_authority is immutable after construction except for
// issue(), which may be called from several threads (it only reads the CA). Errors throw
// std::runtime_error with the OpenSSL error text (test code only).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace testing {

/// A certificate and its private key, both PEM text.
struct issued_certificate {
  std::string certificate_pem;
  std::string private_key_pem;
};

namespace detail {

struct evp_pkey_free_t {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct x509_free_t {
  void operator()(X509* p) const noexcept { X509_free(p); }
};
struct bio_free_t {
  void operator()(BIO* p) const noexcept { BIO_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_free_t>;
using x509_ptr = std::unique_ptr<X509, x509_free_t>;
using bio_ptr = std::unique_ptr<BIO, bio_free_t>;

[[noreturn]] inline void throw_openssl(const char* what) {
  std::string msg = std::string("gemini::testing certificates: ") + what;
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  throw std::runtime_error(msg);
}

inline pkey_ptr make_ec_key() {
  pkey_ptr k(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!k) throw_openssl("EC key generation failed");
  return k;
}

inline std::string bio_text(BIO* b) {
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

inline std::string pem_of(X509* c) {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_X509(b.get(), c) != 1) throw_openssl("PEM_write_bio_X509");
  return bio_text(b.get());
}

inline std::string pem_of(EVP_PKEY* k) {
  bio_ptr b(BIO_new(BIO_s_mem()));
  if (!b || PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw_openssl("PEM_write_bio_PrivateKey");
  return bio_text(b.get());
}

inline void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) throw_openssl("X509V3_EXT_conf_nid");
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) throw_openssl("X509_add_ext");
}

inline bool is_ip_literal(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

inline x509_ptr new_cert(EVP_PKEY* key, const std::string& cn, long valid_seconds) {
  x509_ptr c(X509_new());
  if (!c) throw_openssl("X509_new");
  X509_set_version(c.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) throw_openssl("RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  ASN1_INTEGER* sn = bn != nullptr ? BN_to_ASN1_INTEGER(bn, nullptr) : nullptr;
  BN_free(bn);
  if (sn == nullptr) throw_openssl("serial number");
  X509_set_serialNumber(c.get(), sn);
  ASN1_INTEGER_free(sn);
  X509_gmtime_adj(X509_getm_notBefore(c.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), valid_seconds);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("gemini-cxx tests"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  if (X509_set_pubkey(c.get(), key) != 1) throw_openssl("X509_set_pubkey");
  return c;
}

}  // namespace detail

/// A self-signed CA (EC P-256, SHA-256, valid from one hour ago for two days).
class certificate_authority {
 public:
  explicit certificate_authority(std::string common_name = "gemini-cxx throw-away test CA")
      : key_(detail::make_ec_key()), cert_(detail::new_cert(key_.get(), common_name, 2 * 86400)) {
    X509* c = cert_.get();
    if (X509_set_issuer_name(c, X509_get_subject_name(c)) != 1)
      detail::throw_openssl("X509_set_issuer_name");
    detail::add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
    detail::add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign");
    detail::add_ext(c, c, NID_subject_key_identifier, "hash");
    if (X509_sign(c, key_.get(), EVP_sha256()) == 0) detail::throw_openssl("X509_sign (CA)");
    cert_pem_ = detail::pem_of(c);
    key_pem_ = detail::pem_of(key_.get());
  }

  /// The CA certificate to trust (PEM).
  const std::string& certificate_pem() const noexcept { return cert_pem_; }
  /// The CA's private key (PEM); rarely needed.
  const std::string& private_key_pem() const noexcept { return key_pem_; }

  /// Issues a server certificate (serverAuth) whose subjectAltName lists `names`
  /// (IP literals as IP:, others as DNS:); the first name is also the subject CN.
  issued_certificate issue(const std::vector<std::string>& names) const {
    if (names.empty()) throw std::invalid_argument("certificate_authority::issue: no names");
    auto key = detail::make_ec_key();
    auto cert = detail::new_cert(key.get(), names.front(), 86400);
    X509* c = cert.get();
    if (X509_set_issuer_name(c, X509_get_subject_name(cert_.get())) != 1)
      detail::throw_openssl("X509_set_issuer_name");
    std::string san;
    for (auto const& n : names) {
      if (!san.empty()) san += ',';
      san += detail::is_ip_literal(n) ? "IP:" : "DNS:";
      san += n;
    }
    detail::add_ext(c, cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
    detail::add_ext(c, cert_.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment");
    detail::add_ext(c, cert_.get(), NID_ext_key_usage, "serverAuth");
    detail::add_ext(c, cert_.get(), NID_subject_key_identifier, "hash");
    detail::add_ext(c, cert_.get(), NID_authority_key_identifier, "keyid:always");
    detail::add_ext(c, cert_.get(), NID_subject_alt_name, san);
    if (X509_sign(c, key_.get(), EVP_sha256()) == 0) detail::throw_openssl("X509_sign (leaf)");
    return {detail::pem_of(c), detail::pem_of(key.get())};
  }

  /// The usual names for a loopback server issued for `host`: `host` itself, plus
  /// 127.0.0.1 and localhost when `host` is one of those two.
  static std::vector<std::string> loopback_names(const std::string& host) {
    if (host == "127.0.0.1" || host == "localhost") return {"127.0.0.1", "localhost"};
    return {host};
  }

 private:
  detail::pkey_ptr key_;
  detail::x509_ptr cert_;
  std::string cert_pem_;
  std::string key_pem_;
};

/// Everything a TLS test server and its client need.
struct test_certificates {
  std::string ca_pem;           ///< trust this on the client
  std::string certificate_pem;  ///< server certificate (leaf)
  std::string private_key_pem;  ///< server private key
};

/// A fresh CA plus a server certificate for `host` (default: IP:127.0.0.1, DNS:localhost).
/// Pass another name (e.g. "wrong.example") to provoke a host-name mismatch.
inline test_certificates make_test_certificates(const std::string& host = "127.0.0.1") {
  certificate_authority ca;
  auto leaf = ca.issue(certificate_authority::loopback_names(host));
  return {ca.certificate_pem(), std::move(leaf.certificate_pem), std::move(leaf.private_key_pem)};
}

}  // namespace testing
}  // namespace v1
}  // namespace gemini

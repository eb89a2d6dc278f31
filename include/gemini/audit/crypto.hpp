// gemini-cxx — the audit log's cryptography, on OpenSSL 3 EVP: AES-256-GCM with random
// 96-bit nonces, HMAC-SHA256, HKDF-SHA256 (one master key → an encryption key and a MAC
// key), random bytes, hex and base64. Key material lives in `secret` and is wiped
// (OPENSSL_cleanse) when it goes.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace audit {

/// 32 bytes of key material, wiped on destruction and on move.
class secret {
 public:
  static constexpr std::size_t size = 32;
  secret() noexcept { bytes_.fill(0); }
  secret(const unsigned char* p) noexcept { std::memcpy(bytes_.data(), p, size); }
  secret(const secret& o) noexcept : bytes_(o.bytes_) {}
  secret& operator=(const secret& o) noexcept {
    bytes_ = o.bytes_;
    return *this;
  }
  ~secret() { OPENSSL_cleanse(bytes_.data(), size); }
  const unsigned char* data() const noexcept { return bytes_.data(); }
  unsigned char* data() noexcept { return bytes_.data(); }

 private:
  std::array<unsigned char, size> bytes_;
};

namespace crypto {

inline std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    s[2 * i] = digits[p[i] >> 4];
    s[2 * i + 1] = digits[p[i] & 15];
  }
  return s;
}

/// Decodes exactly `n` bytes of hex (either case) into `out`; false on anything else.
inline bool unhex(std::string_view s, unsigned char* out, std::size_t n) noexcept {
  if (s.size() != 2 * n) return false;
  auto v = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < n; ++i) {
    int hi = v(s[2 * i]), lo = v(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

inline std::string base64(std::string_view bin) {
  std::string out(4 * ((bin.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bin.data()),
                          static_cast<int>(bin.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

inline std::optional<std::string> unbase64(std::string_view b64) {
  if (b64.size() % 4 != 0) return std::nullopt;
  std::string out(3 * (b64.size() / 4), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  std::size_t len = static_cast<std::size_t>(n);
  if (!b64.empty() && b64.back() == '=') --len;  // EVP_DecodeBlock counts padding
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

inline bool random_bytes(unsigned char* p, std::size_t n) noexcept {
  return RAND_bytes(p, static_cast<int>(n)) == 1;
}

/// HKDF-SHA256(master, info) → 32 bytes.
inline std::optional<secret> hkdf(const secret& master, std::string_view info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  if (!kdf) return std::nullopt;
  EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
  EVP_KDF_free(kdf);
  if (!ctx) return std::nullopt;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", digest, 0),
      OSSL_PARAM_construct_octet_string("key", const_cast<unsigned char*>(master.data()),
                                        secret::size),
      OSSL_PARAM_construct_octet_string("info", const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  secret out;
  bool ok = EVP_KDF_derive(ctx, out.data(), secret::size, params) == 1;
  EVP_KDF_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return out;
}

/// HMAC-SHA256 → 32 bytes.
inline std::array<unsigned char, 32> hmac_sha256(const secret& key, std::string_view data) {
  std::array<unsigned char, 32> mac{};
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(secret::size),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
  return mac;
}

inline constexpr std::size_t nonce_size = 12, tag_size = 16;

/// AES-256-GCM: returns ciphertext || 16-byte tag, or nullopt when OpenSSL fails.
inline std::optional<std::string> seal(const secret& key, const unsigned char* nonce,
                                       std::string_view aad, std::string_view plain) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return std::nullopt;
  std::string out(plain.size() + tag_size, '\0');
  int len = 0, fin = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  bool ok =
      EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, nonce_size, nullptr) == 1 &&
      EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx, o, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx, o + len, &fin) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag_size, o + plain.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return out;
}

/// Opens what seal() made; nullopt when the tag does not match (modified, wrong key/AAD).
inline std::optional<std::string> open(const secret& key, const unsigned char* nonce,
                                       std::string_view aad, std::string_view sealed) {
  if (sealed.size() < tag_size) return std::nullopt;
  std::size_t n = sealed.size() - tag_size;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return std::nullopt;
  std::string out(n, '\0');
  int len = 0, fin = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  unsigned char tag[tag_size];
  std::memcpy(tag, sealed.data() + n, tag_size);
  bool ok =
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, nonce_size, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx, nullptr, nullptr, key.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx, o, &len, reinterpret_cast<const unsigned char*>(sealed.data()),
                        static_cast<int>(n)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag_size, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx, o + len, &fin) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    OPENSSL_cleanse(out.data(), out.size());
    return std::nullopt;
  }
  return out;
}

}  // namespace crypto
}  // namespace audit
}  // namespace v1
}  // namespace gemini

// gemini-cxx — cache keys: SHA-256 (OpenSSL EVP) over a canonical encoding of everything
// that changes a generateContent answer, scoped by tenant.
//
// Included: the model, the tenant scope, contents (roles and every part), the system
// instruction, generation config, tools, tool config, safety settings, cached content and
// unknown request fields (kept for forward compatibility, so included conservatively).
// Left out: `service_tier` (changes latency and price, not the answer) and everything in
// call_options except model and tenant (deadlines, priority, labels, user).
//
// Encoding: a version tag, then each field as a one-byte marker and a length-prefixed byte
// string (scalars: marker and fixed-size bytes). Plain text parts and plain generation
// configs are hashed field by field (no JSON on the common cache-hit path); other parts and
// the structured fields are hashed as their compact JSON, which the serializer
// writes in a fixed field order. Two requests that differ only in the key order of an
// opaque JSON object (e.g. a responseSchema written by hand) get different keys: a miss,
// never a wrong answer.
#pragma once

#include <gemini/wire/json.hpp>
#include <gemini/wire/types.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace gemini {
inline namespace v1 {
namespace cache {

/// A 32-byte SHA-256 digest. Hashable (its first 8 bytes are already uniform).
struct key {
  std::array<unsigned char, 32> bytes{};

  /// 64 lowercase hex digits (Redis keys, logs).
  std::string hex() const {
    static constexpr char digits[] = "0123456789abcdef";
    std::string s(64, '\0');
    for (std::size_t i = 0; i < 32; ++i) {
      s[2 * i] = digits[bytes[i] >> 4];
      s[2 * i + 1] = digits[bytes[i] & 15];
    }
    return s;
  }
  friend bool operator==(const key&, const key&) = default;
};

struct key_hash {
  std::size_t operator()(const key& k) const noexcept {
    std::size_t h;
    std::memcpy(&h, k.bytes.data(), sizeof h);
    return h;
  }
};

/// Incremental SHA-256 over OpenSSL EVP. One context per thread, reused across keys.
class sha256 {
 public:
  sha256() : ctx_(context()) {
    if (!EVP_DigestInit_ex(ctx_, md(), nullptr))
      throw std::runtime_error("gemini: EVP_DigestInit_ex(SHA256) failed");
  }
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;

  void update(const void* p, std::size_t n) { EVP_DigestUpdate(ctx_, p, n); }
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// A one-byte marker, then the length (8 bytes, little endian), then the bytes.
  void field(char marker, std::string_view s) {
    unsigned char head[9];
    head[0] = static_cast<unsigned char>(marker);
    std::uint64_t n = s.size();
    for (int i = 0; i < 8; ++i) head[1 + i] = static_cast<unsigned char>(n >> (8 * i));
    update(head, sizeof head);
    update(s);
  }
  key finish() {
    key k;
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, k.bytes.data(), &n);
    return k;
  }

  /// SHA-256 of `s` in one go.
  static key of(std::string_view s) {
    sha256 h;
    h.update(s);
    return h.finish();
  }

 private:
  static const EVP_MD* md() {
    // Fetched once: OpenSSL 3's implicit fetch by EVP_sha256() costs a lookup per init.
    static const EVP_MD* m = [] {
      const EVP_MD* f = EVP_MD_fetch(nullptr, "SHA256", nullptr);
      return f ? f : EVP_sha256();
    }();
    return m;
  }
  static EVP_MD_CTX* context() {
    struct holder {
      EVP_MD_CTX* p = EVP_MD_CTX_new();
      ~holder() { EVP_MD_CTX_free(p); }
    };
    thread_local holder h;
    if (!h.p) throw std::bad_alloc();
    return h.p;
  }
  EVP_MD_CTX* ctx_;
};

namespace detail {

inline bool text_only(const wire::part& p) noexcept {
  return p.text && !p.inline_data && !p.file_data && !p.function_call && !p.function_response &&
         !p.executable_code && !p.code_execution_result && !p.video_metadata && !p.thought &&
         p.thought_signature.empty() && p.extra.empty();
}

inline void hash_content(sha256& h, char marker, const wire::content& c) {
  h.field(marker, c.role);
  for (auto const& p : c.parts) {
    if (text_only(p))
      h.field('T', *p.text);
    else
      h.field('J', wire::serialize(p));
  }
  if (!c.extra.empty()) h.field('X', boost::json::serialize(c.extra));
  h.field('.', {});
}

template <class T>
void hash_scalar(sha256& h, char marker, const std::optional<T>& v) {
  if (!v) return;
  unsigned char buf[1 + sizeof(T)];
  buf[0] = static_cast<unsigned char>(marker);
  std::memcpy(buf + 1, &*v, sizeof(T));
  h.update(buf, sizeof buf);
}

/// The common generation configs (scalars, stop sequences, MIME type) are hashed field by
/// field; a config with any structured field (schemas, modalities, thinking, speech, image,
/// media resolution, unknown fields) is hashed as its JSON under a different marker.
inline void hash_generation_config(sha256& h, const wire::generation_config& g) {
  bool structured = g.response_schema || g.response_json_schema || g.response_modalities ||
                    g.media_resolution || g.speech_config || g.image_config || g.thinking_config ||
                    !g.extra.empty();
  if (structured) {
    h.field('G', wire::serialize(g));
    return;
  }
  h.field('g', {});
  hash_scalar(h, 't', g.temperature);
  hash_scalar(h, 'p', g.top_p);
  hash_scalar(h, 'k', g.top_k);
  hash_scalar(h, 'n', g.candidate_count);
  hash_scalar(h, 'o', g.max_output_tokens);
  hash_scalar(h, 'r', g.presence_penalty);
  hash_scalar(h, 'f', g.frequency_penalty);
  hash_scalar(h, 's', g.seed);
  hash_scalar(h, 'l', g.response_logprobs);
  hash_scalar(h, 'L', g.logprobs);
  hash_scalar(h, 'c', g.enable_enhanced_civic_answers);
  if (g.stop_sequences) {
    h.field('q', {});
    for (auto const& s : *g.stop_sequences) h.field('Q', s);
  }
  if (g.response_mime_type) h.field('m', *g.response_mime_type);
  h.field('.', {});
}

}  // namespace detail

/// The cache key of a generateContent request for `model` (e.g. "models/gemini-2.5-flash")
/// in the scope of `tenant` ("" is the shared scope; two tenants never share an entry).
inline key request_key(const wire::generate_content_request& r, std::string_view model,
                       std::string_view tenant) {
  sha256 h;
  h.update(std::string_view("gemini-cxx/cache/v1", 19));
  h.field('M', model);
  h.field('N', tenant);
  for (auto const& c : r.contents) detail::hash_content(h, 'C', c);
  if (r.system_instruction) detail::hash_content(h, 'S', *r.system_instruction);
  if (r.generation_config) detail::hash_generation_config(h, *r.generation_config);
  for (auto const& t : r.tools) h.field('L', wire::serialize(t));
  if (r.tool_config) h.field('K', wire::serialize(*r.tool_config));
  for (auto const& s : r.safety_settings) h.field('F', wire::serialize(s));
  if (!r.cached_content.empty()) h.field('D', r.cached_content);
  if (!r.extra.empty()) h.field('E', boost::json::serialize(r.extra));
  return h.finish();
}

}  // namespace cache
}  // namespace v1
}  // namespace gemini

// gemini-cxx — audit keys: 256-bit master keys with an id, from a file or an environment
// variable. Each master key gives an AES-256-GCM key and an HMAC-SHA256 key (HKDF). The
// last key listed is the current one; older ones stay to verify and decrypt old records.
//
//   key file:  one key per line, "<id> <64 hex digits>"; '#' starts a comment
//   env:       GEMINI_AUDIT_KEYS="k1:<64 hex>,k2:<64 hex>"
#pragma once

#include <gemini/audit/crypto.hpp>
#include <gemini/error.hpp>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace audit {

/// One key: its id (written in clear in every record) and the derived keys.
struct key {
  std::string id;
  secret enc;  ///< AES-256-GCM
  secret mac;  ///< HMAC-SHA256 over each record
};

class keyring {
 public:
  /// Adds a master key (32 bytes) as `id`; it becomes the current key.
  std::optional<gemini::error> add(std::string id, const secret& master) {
    if (id.empty() || id.size() > 64 || id.find_first_of("\"\\ ,:\t\r\n") != std::string::npos)
      return gemini::error(errc::bad_configuration,
                           "audit key id must be 1-64 characters without quotes, spaces, ',' "
                           "or ':'");
    if (find(id)) return gemini::error(errc::bad_configuration, "audit key id repeated: " + id);
    auto enc = crypto::hkdf(master, "gemini-cxx audit v1 encryption");
    auto mac = crypto::hkdf(master, "gemini-cxx audit v1 record mac");
    if (!enc || !mac) return gemini::error(errc::internal, "audit: HKDF failed (OpenSSL)");
    keys_.push_back(std::make_unique<key>(key{std::move(id), *enc, *mac}));
    return std::nullopt;
  }

  /// "<id> <hex>" lines (file form) or "id:hex,id:hex" (environment form). The text is
  /// the caller's to wipe; nothing of it is kept but the derived keys.
  static result<keyring> parse(std::string_view text) {
    keyring r;
    std::size_t line_no = 0;
    while (!text.empty()) {
      std::size_t end = text.find_first_of("\n,");
      std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
      ++line_no;
      if (auto h = line.find('#'); h != std::string_view::npos) line = line.substr(0, h);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
        line.remove_suffix(1);
      if (line.empty()) continue;
      std::size_t sep = line.find_first_of(" \t:");
      if (sep == std::string_view::npos)
        return gemini::error(
            errc::bad_configuration,
            "audit keys entry " + std::to_string(line_no) + ": expected \"<id> <64 hex digits>\"");
      std::string_view id = line.substr(0, sep), hex = line.substr(sep + 1);
      while (!hex.empty() && (hex.front() == ' ' || hex.front() == '\t')) hex.remove_prefix(1);
      secret master;
      if (!crypto::unhex(hex, master.data(), secret::size))
        return gemini::error(errc::bad_configuration,
                             "audit keys entry " + std::to_string(line_no) + " (id " +
                                 std::string(id) + "): the key must be 64 hex digits (256 bits)");
      if (auto e = r.add(std::string(id), master)) return std::move(*e);
    }
    if (r.keys_.empty()) return gemini::error(errc::bad_configuration, "audit keys: no key given");
    return r;
  }

  static result<keyring> from_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return gemini::error(errc::bad_configuration, "audit keys: cannot read " + path);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto r = parse(text);
    OPENSSL_cleanse(text.data(), text.size());
    return r;
  }

  /// From an environment variable (GEMINI_AUDIT_KEYS by default).
  static result<keyring> from_env(const char* var = "GEMINI_AUDIT_KEYS") {
    const char* v = std::getenv(var);
    if (!v || !*v)
      return gemini::error(errc::bad_configuration,
                           std::string("audit keys: environment variable ") + var + " is not set");
    return parse(v);
  }

  /// A fresh random key (tests, first setup); `hex_out` receives its 64 hex digits.
  static result<keyring> generate(std::string id, std::string* hex_out = nullptr) {
    secret master;
    if (!crypto::random_bytes(master.data(), secret::size))
      return gemini::error(errc::internal, "audit: RAND_bytes failed");
    if (hex_out) *hex_out = crypto::hex(master.data(), secret::size);
    keyring r;
    if (auto e = r.add(std::move(id), master)) return std::move(*e);
    return r;
  }

  const key* find(std::string_view id) const noexcept {
    for (auto const& k : keys_)
      if (k->id == id) return k.get();
    return nullptr;
  }
  /// The key new records use (the last added). Precondition: !empty().
  const key& current() const noexcept { return *keys_.back(); }
  bool empty() const noexcept { return keys_.empty(); }

 private:
  std::vector<std::unique_ptr<key>> keys_;  // stable addresses
};

}  // namespace audit
}  // namespace v1
}  // namespace gemini

// gemini-cxx — PII and secret detection in text: e-mail, phone (E.164 and national forms),
// payment cards (Luhn), IBAN (mod-97), US SSN, IPv4/IPv6, and secrets (Google API keys,
// `sk-` keys, AWS access key ids, JWTs, PEM private keys). Hand-written scanners, no regex
// and no allocation but the result vector: a 1 KB prompt is screened in about a microsecond
// (benchmarks/bm_guard.cpp). Precision and recall per kind on tests/data/security: see
// docs/security.md.
#pragma once

#include <arpa/inet.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gemini {
inline namespace v1 {
namespace guard {

/// What a match is. `secret` covers every key and token form.
enum class pii_kind : std::uint8_t { email, phone, card, iban, ssn, ip, secret };
inline constexpr std::size_t pii_kind_count = 7;

/// Upper-case label: EMAIL, PHONE, CARD, IBAN, SSN, IP, SECRET (placeholders, flags, docs).
constexpr std::string_view name_of(pii_kind k) noexcept {
  constexpr std::string_view names[] = {"EMAIL", "PHONE", "CARD", "IBAN", "SSN", "IP", "SECRET"};
  return names[static_cast<std::size_t>(k)];
}

/// A set of kinds (bit i = pii_kind i).
struct pii_kinds {
  std::uint8_t bits = 0;
  static constexpr pii_kinds all() noexcept { return {0x7f}; }
  static constexpr pii_kinds none() noexcept { return {0}; }
  constexpr pii_kinds& add(pii_kind k) noexcept {
    bits = static_cast<std::uint8_t>(bits | (1u << static_cast<unsigned>(k)));
    return *this;
  }
  constexpr bool has(pii_kind k) const noexcept { return (bits >> static_cast<unsigned>(k)) & 1u; }
  constexpr bool empty() const noexcept { return bits == 0; }
  friend constexpr bool operator==(pii_kinds, pii_kinds) noexcept = default;
};

/// One match: text[begin, end).
struct pii_match {
  pii_kind kind;
  std::size_t begin;
  std::size_t end;
  friend constexpr bool operator==(const pii_match&, const pii_match&) noexcept = default;
};

/// The longest match a scanner reports (bytes), except `sk-` keys, JWTs and PEM private
/// key blocks, which are reported whole however long (a stream filter holds back a run
/// that starts like one until it ends). A stream filter holds back this much text.
inline constexpr std::size_t max_pii_length = 128;

namespace detail {

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_lower(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_alpha(char c) noexcept { return is_upper(c) || is_lower(c); }
constexpr bool is_alnum(char c) noexcept { return is_alpha(c) || is_digit(c); }
constexpr bool is_hex(char c) noexcept {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr bool is_b64url(char c) noexcept { return is_alnum(c) || c == '-' || c == '_'; }
constexpr bool is_email_local(char c) noexcept {
  return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
constexpr bool is_domain(char c) noexcept { return is_alnum(c) || c == '-' || c == '.'; }

/// A word character next to a match makes it part of something longer (an id, a hash).
inline bool word_at(std::string_view s, std::size_t i) noexcept {
  return i < s.size() && (is_alnum(s[i]) || s[i] == '_');
}
inline bool word_before(std::string_view s, std::size_t b) noexcept {
  return b > 0 && (is_alnum(s[b - 1]) || s[b - 1] == '_');
}

inline bool luhn(std::string_view digits) noexcept {
  int sum = 0;
  bool dbl = false;
  for (std::size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (dbl) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

/// IBAN check (ISO 13616): letters and digits only, upper case, 15..34 characters.
inline bool iban_valid(std::string_view s) noexcept {
  if (s.size() < 15 || s.size() > 34) return false;
  unsigned r = 0;
  auto feed = [&](char c) {
    if (is_digit(c)) {
      r = (r * 10 + static_cast<unsigned>(c - '0')) % 97;
    } else {
      unsigned v = static_cast<unsigned>(c - 'A') + 10;
      r = (r * 100 + v) % 97;
    }
  };
  for (std::size_t i = 4; i < s.size(); ++i) feed(s[i]);
  for (std::size_t i = 0; i < 4; ++i) feed(s[i]);
  return r == 1;
}

struct scanner {
  std::string_view s;
  pii_kinds kinds;
  std::vector<pii_match>& out;

  std::size_t floor = 0;  // the end of the last match: no match starts before it

  void add(pii_kind k, std::size_t b, std::size_t e) {
    if (kinds.has(k) && e > b && b >= floor) {
      out.push_back({k, b, e});
      floor = e;
    }
  }

  // "local@domain.tld" around the '@' at `at`; returns the end (or at + 1).
  std::size_t email(std::size_t at) {
    std::size_t b = at;
    while (b > floor && is_email_local(s[b - 1]) && at - b < 64) --b;
    while (b < at && s[b] == '.') ++b;  // a local part does not start with a dot
    std::size_t e = at + 1;
    std::size_t last_dot = 0;
    while (e < s.size() && is_domain(s[e]) && e - at < 100) {
      if (s[e] == '.') last_dot = e;
      ++e;
    }
    while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) --e;  // "…@x.com." ends a sentence
    if (last_dot >= e) {
      last_dot = 0;
      for (std::size_t i = at + 1; i < e; ++i)
        if (s[i] == '.') last_dot = i;
    }
    if (b == at || last_dot == 0 || last_dot == at + 1) return at + 1;
    std::size_t tld = e - last_dot - 1;
    if (tld < 2) return at + 1;
    for (std::size_t i = last_dot + 1; i < e; ++i)
      if (!is_alpha(s[i])) return at + 1;
    add(pii_kind::email, b, e);
    return e;
  }

  // A run of digits with single separators (space, '-', '.', '(', ')', '/') at `b`.
  // Classifies it as a card, an SSN, an IPv4 address or a phone number.
  std::size_t number(std::size_t b) {
    bool plus = false;
    std::size_t start = b;
    if (b > 0 && s[b - 1] == '+') {
      plus = true;
      start = b - 1;
    } else if (b > 0 && s[b - 1] == '(') {
      start = b - 1;
    }
    if (start > 0 && (word_before(s, start) || s[start - 1] == '.' || s[start - 1] == '-' ||
                      s[start - 1] == '/'))
      return skip_digits(b);
    char digits[24];
    std::size_t nd = 0, groups = 1, e = b, last_digit = b;
    char seps[24];
    std::size_t ns = 0;
    std::size_t group_len[24] = {};
    bool dots_only = true, paren = start < b && s[start] == '(';
    while (e < s.size()) {
      char c = s[e];
      if (is_digit(c)) {
        if (nd == sizeof digits) return skip_digits(e);
        digits[nd++] = c;
        ++group_len[groups - 1];
        last_digit = ++e;
        continue;
      }
      bool sep = c == ' ' || c == '-' || c == '.' || c == ')' || c == '(';
      if (!sep || e + 1 >= s.size()) break;
      std::size_t n = e + 1;
      if (c == ')' && n < s.size() && s[n] == ' ') ++n;  // "(415) 555-2671"
      if (c == ' ' && n < s.size() && s[n] == '(') ++n;  // "+1 (415) 555-2671"
      if (n >= s.size() || !is_digit(s[n]) || groups == 24) break;
      if (c != '.') dots_only = false;
      seps[ns++] = c;
      ++groups;
      e = n;
    }
    e = last_digit;
    if (word_at(s, e) || (e < s.size() && (s[e] == '@'))) return e;
    if (e + 1 < s.size() && (s[e] == '.' || s[e] == '-') && is_digit(s[e + 1])) return e;
    std::string_view ds(digits, nd);
    // IPv4: four dot-separated groups of 1-3 digits, each <= 255.
    if (dots_only && groups == 4 && !plus) {
      bool ok = true;
      std::size_t k = 0;
      for (std::size_t g = 0; g < 4; ++g) {
        unsigned v = 0;
        if (group_len[g] == 0 || group_len[g] > 3) ok = false;
        for (std::size_t i = 0; i < group_len[g]; ++i) v = v * 10 + unsigned(digits[k++] - '0');
        if (v > 255 || (group_len[g] > 1 && digits[k - group_len[g]] == '0')) ok = false;
      }
      if (ok) add(pii_kind::ip, b, e);
      return e;
    }
    // US SSN: 3-2-4 with dashes; area not 000/666/9xx, group not 00, serial not 0000.
    if (groups == 3 && ns == 2 && seps[0] == '-' && seps[1] == '-' && group_len[0] == 3 &&
        group_len[1] == 2 && group_len[2] == 4 && !plus && !paren) {
      std::string_view a = ds.substr(0, 3), g = ds.substr(3, 2), sr = ds.substr(5, 4);
      if (a != "000" && a != "666" && a[0] != '9' && g != "00" && sr != "0000")
        add(pii_kind::ssn, b, e);
      return e;
    }
    // Payment card: 13-19 digits passing Luhn, unseparated or in groups split by ' ' or '-'.
    if (nd >= 13 && nd <= 19 && !plus && !paren) {
      bool seps_ok = true;
      for (std::size_t i = 0; i < ns; ++i) seps_ok = seps_ok && (seps[i] == ' ' || seps[i] == '-');
      for (std::size_t g = 0; g < groups && seps_ok; ++g) seps_ok = group_len[g] >= 4;
      if (seps_ok && (groups == 1 || groups >= 3) && luhn(ds) && digits[0] >= '2') {
        add(pii_kind::card, b, e);
        return e;
      }
    }
    // Phone: "+" and 8-15 digits (E.164), or 10-11 digits in a national grouping (at least
    // one separator or a parenthesised area code): (415) 555-2671, 415-555-2671,
    // 020 7946 0958, 030 1234567.
    bool dotted_phone = groups == 3 && group_len[0] == 3 && group_len[1] == 3 && group_len[2] == 4;
    if (dots_only && groups > 1 && !plus && !dotted_phone) return e;  // 1.2.3, a version, a decimal
    if (plus) {
      if (nd >= 8 && nd <= 15 && digits[0] != '0') add(pii_kind::phone, start, e);
      return e;
    }
    if (nd >= 10 && nd <= 11 && (groups >= 2 || paren)) {
      bool grouping = true;
      for (std::size_t g = 0; g < groups; ++g)
        grouping = grouping && group_len[g] >= (g > 0 && g + 1 < groups ? 3u : 2u);
      grouping = grouping && group_len[groups - 1] >= 4;  // 123-45-67890 is a part number
      if (grouping && group_len[0] <= 5) add(pii_kind::phone, start, e);
    }
    return e;
  }
  std::size_t skip_digits(std::size_t i) const {
    while (i < s.size() && (is_alnum(s[i]) || s[i] == '.' || s[i] == '-')) ++i;
    return i;
  }

  // IBAN at `b` (two upper-case letters): "DE89 3704 0044 0532 0130 00" or unspaced.
  std::size_t iban(std::size_t b) {
    if (b + 15 > s.size() || !is_digit(s[b + 2]) || !is_digit(s[b + 3])) return b + 1;
    char buf[34];
    std::size_t n = 0, e = b;
    while (e < s.size() && n < 34) {
      if (is_upper(s[e]) || is_digit(s[e])) {
        buf[n++] = s[e++];
      } else if (s[e] == ' ' && n % 4 == 0 && e + 1 < s.size() &&
                 (is_upper(s[e + 1]) || is_digit(s[e + 1]))) {
        ++e;
      } else {
        break;
      }
    }
    if (word_at(s, e)) return b + 1;
    // Give back a trailing group that made the check fail (the word after the IBAN).
    for (std::size_t len = n; len >= 15; --len) {
      if (iban_valid(std::string_view(buf, len))) {
        std::size_t k = 0, end = b;
        while (k < len) {
          if (s[end] != ' ') ++k;
          ++end;
        }
        if (!word_at(s, end)) {
          add(pii_kind::iban, b, end);
          return end;
        }
      }
    }
    return b + 1;
  }

  // Secrets that start with a fixed prefix at `b`.
  std::size_t secret(std::size_t b) {
    auto run = [&](std::size_t from, auto pred) {
      std::size_t e = from;
      while (e < s.size() && pred(s[e])) ++e;
      return e;
    };
    std::string_view r = s.substr(b);
    if (r.starts_with("AIza")) {  // Google API key: AIza + 35
      std::size_t e = run(b + 4, is_b64url);
      if (e - b == 39) {
        add(pii_kind::secret, b, e);
        return e;
      }
      return e;
    }
    if (r.starts_with("AKIA") || r.starts_with("ASIA")) {  // AWS access key id: 20 chars
      std::size_t e = run(b + 4, [](char c) { return is_upper(c) || is_digit(c); });
      if (e - b == 20 && !word_at(s, e)) add(pii_kind::secret, b, e);
      return std::max(e, b + 1);
    }
    if (r.starts_with("sk-")) {  // OpenAI-style: sk-, sk-proj-…, at least 20 more
      std::size_t e = run(b + 3, is_b64url);
      std::size_t digits = 0;
      for (std::size_t i = b + 3; i < e; ++i) digits += is_digit(s[i]);
      if (e - b >= 23 && digits >= 2) add(pii_kind::secret, b, e);
      return e;
    }
    if (r.starts_with("eyJ")) {  // JWT: three base64url segments, the first two JSON
      std::size_t e1 = run(b, is_b64url);
      if (e1 >= s.size() || s[e1] != '.' || !s.substr(e1 + 1).starts_with("eyJ")) return e1;
      std::size_t e2 = run(e1 + 1, is_b64url);
      if (e2 >= s.size() || s[e2] != '.') return e2;
      std::size_t e3 = run(e2 + 1, is_b64url);
      if (e3 - e2 > 10 && e1 - b >= 10) add(pii_kind::secret, b, e3);
      return e3;
    }
    return b + 1;
  }

  // "-----BEGIN [RSA |EC |OPENSSH |ENCRYPTED ]PRIVATE KEY-----" up to its END line (or the
  // end of the text).
  std::size_t pem(std::size_t b) {
    std::string_view r = s.substr(b);
    std::size_t eol = r.find("-----", 11);
    if (eol == std::string_view::npos || eol > 60) return b + 1;
    std::string_view label = r.substr(11, eol - 11);
    if (!label.ends_with("PRIVATE KEY")) return b + 1;
    std::size_t end = r.find("-----END ", eol + 5);
    std::size_t e = s.size();
    if (end != std::string_view::npos) {
      std::size_t close = r.find("-----", end + 9);
      e = close == std::string_view::npos ? s.size() : b + close + 5;
    }
    add(pii_kind::secret, b, e);
    return e;
  }

  // IPv6: a run of hex digits and ':' (and '.' for a v4 tail) with at least two colons,
  // checked by inet_pton.
  std::size_t ipv6(std::size_t b) {
    std::size_t e = b, colons = 0;
    while (e < s.size() && e - b < 46 && (is_hex(s[e]) || s[e] == ':' || s[e] == '.')) {
      colons += s[e] == ':';
      ++e;
    }
    while (e > b && s[e - 1] == '.') --e;
    if (colons < 2 || word_at(s, e) || e - b < 3) return std::max(e, b + 1);
    char buf[48];
    std::copy(s.begin() + static_cast<std::ptrdiff_t>(b),
              s.begin() + static_cast<std::ptrdiff_t>(e), buf);
    buf[e - b] = '\0';
    unsigned char addr[16];
    bool hexdigit = false;
    for (std::size_t i = b; i < e; ++i) hexdigit = hexdigit || is_hex(s[i]);
    if (hexdigit && ::inet_pton(AF_INET6, buf, addr) == 1) add(pii_kind::ip, b, e);
    return e;
  }

  void run() {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
      char c = s[i];
      if (c == '@') {
        std::size_t e = email(i);
        i = e;
        continue;
      }
      if (is_digit(c)) {
        if (!word_before(s, i) && kinds.has(pii_kind::ip) && looks_v6(i)) {
          i = ipv6(i);
          continue;
        }
        if (word_before(s, i)) {
          i = skip_digits(i);
          continue;
        }
        i = number(i);
        continue;
      }
      if (is_upper(c) && !word_before(s, i)) {
        if (i + 1 < n && is_upper(s[i + 1]) && kinds.has(pii_kind::iban) && i + 2 < n &&
            is_digit(s[i + 2])) {
          std::size_t e = iban(i);
          if (e > i + 1) {
            i = e;
            continue;
          }
        }
        if (c == 'A' && kinds.has(pii_kind::secret)) {
          i = std::max(i + 1, secret(i));
          continue;
        }
      }
      if (c == 's' && !word_before(s, i) && kinds.has(pii_kind::secret) && i + 2 < n &&
          s[i + 1] == 'k' && s[i + 2] == '-') {
        i = secret(i);
        continue;
      }
      if (c == 'e' && !word_before(s, i) && kinds.has(pii_kind::secret) && i + 2 < n &&
          s[i + 1] == 'y' && s[i + 2] == 'J') {
        i = std::max(i + 1, secret(i));
        continue;
      }
      if (c == '-' && kinds.has(pii_kind::secret) && s.substr(i).starts_with("-----BEGIN ")) {
        i = pem(i);
        continue;
      }
      if (is_hex(c) && !word_before(s, i) && kinds.has(pii_kind::ip) && looks_v6(i)) {
        i = ipv6(i);
        continue;
      }
      if (c == ':' && i + 1 < n && s[i + 1] == ':' && !word_before(s, i) &&
          kinds.has(pii_kind::ip)) {
        i = ipv6(i);
        continue;
      }
      ++i;
    }
  }
  // 1-4 hex digits then ':' — the start of an IPv6 address (not a time "12:30").
  bool looks_v6(std::size_t i) const noexcept {
    std::size_t k = i;
    while (k < s.size() && k - i < 4 && is_hex(s[k])) ++k;
    if (k >= s.size() || s[k] != ':') return false;
    std::size_t colons = 0;
    for (std::size_t j = k; j < s.size() && j - i < 46; ++j) {
      if (s[j] == ':') {
        ++colons;
      } else if (!is_hex(s[j]) && s[j] != '.') {
        break;
      }
    }
    return colons >= 2;
  }
};

}  // namespace detail

/// Every match of the given kinds in `text`, in order, non-overlapping. Appends to `out`.
inline void find_pii(std::string_view text, pii_kinds kinds, std::vector<pii_match>& out) {
  if (kinds.empty()) return;
  detail::scanner{text, kinds, out}.run();
}

inline std::vector<pii_match> find_pii(std::string_view text, pii_kinds kinds = pii_kinds::all()) {
  std::vector<pii_match> out;
  find_pii(text, kinds, out);
  return out;
}

}  // namespace guard
}  // namespace v1
}  // namespace gemini
